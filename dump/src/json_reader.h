// A pull parser for JSON (RFC 8259) over a buffer that outlives it: the caller asks for the value
// it expects next, and anything else is an InputError naming the byte offset and what was expected.
//
// Invariants: nothing recurses (skip_value keeps its own stack, so nesting depth costs heap, never
// call stack); strings are valid UTF-8 when returned (escapes decoded, surrogate pairs joined,
// control characters rejected); a returned string_view points into the input when the string had
// no escapes and into the reader's arena otherwise, and stays valid as long as both do. Integers
// are exact int64 or an error, never rounded. Reading a value never looks past its last byte, so
// a value's result depends on its bytes alone (what lets read_dump reuse the result of an earlier
// value with the same bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weave::dump {

// The input is not what was expected at `offset` (a byte offset into the input, from 0). The
// path names the value it happened in ("fibers[3].object.cap"), built up by the readers that
// catch the error on its way out.
class InputError : public std::runtime_error {
 public:
  InputError(std::size_t offset, const std::string& message)
      : std::runtime_error(message), offset_(offset) {}
  std::size_t offset() const { return offset_; }
  const std::string& path() const { return path_; }
  // `segment` is a member name or an index ("[3]").
  void prepend_path(std::string_view segment);

 private:
  std::size_t offset_;
  std::string path_;
};

// "byte offset 120 (line 4, column 7): in fibers[3].id: <message>" — line and column count from
// 1, the column in characters.
std::string describe_error(std::string_view input, const InputError& e);

enum class JsonType { kNull, kBool, kNumber, kString, kArray, kObject };

// A human name for a JSON type ("an object", "a string", …) for error messages.
const char* json_type_name(JsonType t);

// Strings whose escapes had to be decoded live here; views into it stay valid while it lives.
class StringArena {
 public:
  std::string_view keep(std::string&& s);

 private:
  std::deque<std::string> strings_;
};

class JsonReader {
 public:
  // A UTF-8 byte order mark at the start is skipped.
  JsonReader(std::string_view input, StringArena& arena);

  // The type of the next value (after white space); an error at the end of the input or on a
  // byte that starts no value.
  JsonType peek();
  // The offset of the next non-blank byte: where the value about to be read starts.
  std::size_t value_offset() {
    skip_blank();
    return pos_;
  }
  // The input from the reader's position on, and a step over n bytes of it.
  std::string_view rest() const { return in_.substr(pos_); }
  void advance(std::size_t n) { pos_ += n; }
  std::size_t position() const { return pos_; }
  std::string_view input() const { return in_; }

  // for (r.begin_object(); r.next_key(key);) { read the member's value }
  void begin_object();
  bool next_key(std::string_view& key);
  // for (r.begin_array(); r.next_element();) { read the element }
  void begin_array();
  bool next_element();

  std::string_view read_string();
  std::int64_t read_int();  // an integer in int64 range; no fraction, no exponent
  bool read_bool();
  bool read_null_if_present();  // consumes a null and returns true, or returns false
  void skip_value();            // any value, validated, at any depth
  void expect_end();            // only white space is left

  [[noreturn]] void fail(std::size_t at, const std::string& message) const;

 private:
  void skip_blank() {
    while (pos_ < in_.size() && static_cast<unsigned char>(in_[pos_]) <= ' ' &&
           (in_[pos_] == ' ' || in_[pos_] == '\n' || in_[pos_] == '\r' || in_[pos_] == '\t')) {
      ++pos_;
    }
  }
  // The next non-blank byte, not consumed; an error at the end of the input.
  char next_char(const char* expected) {
    skip_blank();
    if (pos_ >= in_.size()) [[unlikely]]
      fail_found(expected);
    return in_[pos_];
  }
  void expect(char c, const char* expected) {
    if (next_char(expected) != c) [[unlikely]]
      fail_found(expected);
    ++pos_;
  }
  // "expected <expected>, found <what is at the position>".
  [[noreturn]] void fail_found(const char* expected) const;
  std::string_view scan_string();    // at the opening quote
  void scan_number(bool& integral);  // at the first byte of the number
  void scan_literal(std::string_view word);
  std::uint32_t read_hex4(std::size_t at);
  void decode_escapes(std::size_t start, std::string& out);

  std::string_view in_;
  std::size_t pos_ = 0;
  bool just_opened_ = false;  // the last token was '{' or '[': no comma before the next member
  StringArena& arena_;
};

}  // namespace weave::dump
