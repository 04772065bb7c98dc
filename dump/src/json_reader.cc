// The JSON pull parser. The hot loop is the string scan: eight bytes at a time until one of them
// is a quote, a backslash, a control character or non-ASCII, then byte by byte; escapes are decoded
// only for strings that have them.
#include "json_reader.h"

#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <vector>

#include "absl/strings/str_format.h"
#include "concat.h"

namespace weave::dump {

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

// Whether some byte of w is zero.
constexpr std::uint64_t has_zero(std::uint64_t w) { return (w - kOnes) & ~w & kHighs; }

// The first byte at or after p (before n) that a string cannot hold as it is: a quote, a
// backslash, a control character, or non-ASCII (checked as UTF-8 by the caller); n if none.
std::size_t find_special(const char* s, std::size_t p, std::size_t n) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x20);
  while (p + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + p));
    // Signed bytes: below 0x20 is a control character or (negative) non-ASCII.
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    if (const int mask = _mm_movemask_epi8(hit))
      return p + static_cast<std::size_t>(__builtin_ctz(mask));
    p += 16;
  }
#endif
  while (p + 8 <= n) {
    std::uint64_t w;
    std::memcpy(&w, s + p, 8);
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    if (((w & kHighs) | below_space | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) !=
        0) {
      break;
    }
    p += 8;
  }
  for (; p < n; ++p) {
    const unsigned char c = s[p];
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return p;
  }
  return n;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (overlong forms,
// surrogates and code points past U+10FFFF are not).
std::size_t utf8_length(const unsigned char* s, std::size_t n) {
  const unsigned char c = s[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (std::size_t i = 2; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
  }
  return len;
}

// What stands at `pos`, for "found …" in messages.
std::string found_at(std::string_view in, std::size_t pos) {
  if (pos >= in.size()) return "the end of the input";
  const unsigned char c = in[pos];
  if (c >= 0x21 && c < 0x7F) return absl::StrFormat("'%c'", c);
  return absl::StrFormat("byte 0x%02x", c);
}

}  // namespace

std::string_view StringArena::keep(std::string&& s) { return strings_.emplace_back(std::move(s)); }

const char* json_type_name(JsonType t) {
  switch (t) {
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "a boolean";
    case JsonType::kNumber:
      return "a number";
    case JsonType::kString:
      return "a string";
    case JsonType::kArray:
      return "an array";
    case JsonType::kObject:
      return "an object";
  }
  return "a value";
}

std::string describe_error(std::string_view input, const InputError& e) {
  const std::string_view before = input.substr(0, std::min(e.offset(), input.size()));
  std::size_t line = 1, line_start = 0;
  for (const char *p = before.data(), *end = p + before.size();
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))));
       ++p) {
    ++line;
    line_start = static_cast<std::size_t>(p - before.data()) + 1;
  }
  std::size_t column = 1;
  for (unsigned char c : before.substr(line_start)) column += (c & 0xC0) != 0x80;
  const std::string where = e.path().empty() ? "" : cat("in ", e.path(), ": ");
  return absl::StrFormat("byte offset %d (line %d, column %d): %s%s", e.offset(), line, column,
                         where, e.what());
}

void InputError::prepend_path(std::string_view segment) {
  if (path_.empty() || path_[0] == '[') {
    path_ = cat(segment, path_);
  } else {
    path_ = cat(segment, ".", path_);
  }
}

void JsonReader::fail(std::size_t at, const std::string& message) const {
  throw InputError(at, message);
}

void JsonReader::fail_found(const char* expected) const {
  fail(pos_, cat("expected ", expected, ", found ", found_at(in_, pos_)));
}

JsonReader::JsonReader(std::string_view input, StringArena& arena) : in_(input), arena_(arena) {
  if (in_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

JsonType JsonReader::peek() {
  const char c = next_char("a value");
  switch (c) {
    case '{':
      return JsonType::kObject;
    case '[':
      return JsonType::kArray;
    case '"':
      return JsonType::kString;
    case 't':
    case 'f':
      return JsonType::kBool;
    case 'n':
      return JsonType::kNull;
    default:
      if (c == '-' || is_digit(c)) return JsonType::kNumber;
  }
  fail(pos_, "expected a value, found " + found_at(in_, pos_));
}

void JsonReader::begin_object() {
  const JsonType t = peek();
  if (t != JsonType::kObject) fail(pos_, cat("expected an object, found ", json_type_name(t)));
  ++pos_;
  just_opened_ = true;
}

bool JsonReader::next_key(std::string_view& key) {
  char c;
  if (just_opened_) {
    just_opened_ = false;
    c = next_char("a member name or '}'");
    if (c == '}') {
      ++pos_;
      return false;
    }
  } else {
    c = next_char("',' or '}'");
    if (c == '}') {
      ++pos_;
      return false;
    }
    if (c != ',') {
      fail(pos_, "expected ',' or '}' after an object member, found " + found_at(in_, pos_));
    }
    ++pos_;
    c = next_char("a member name");
  }
  if (c != '"') fail(pos_, "expected a member name (a string), found " + found_at(in_, pos_));
  key = scan_string();
  expect(':', "':' after the member name");
  return true;
}

void JsonReader::begin_array() {
  const JsonType t = peek();
  if (t != JsonType::kArray) fail(pos_, cat("expected an array, found ", json_type_name(t)));
  ++pos_;
  just_opened_ = true;
}

bool JsonReader::next_element() {
  if (just_opened_) {
    just_opened_ = false;
    if (next_char("a value or ']'") == ']') {
      ++pos_;
      return false;
    }
    return true;
  }
  const char c = next_char("',' or ']'");
  if (c == ']') {
    ++pos_;
    return false;
  }
  if (c != ',')
    fail(pos_, "expected ',' or ']' after an array element, found " + found_at(in_, pos_));
  ++pos_;
  return true;
}

std::string_view JsonReader::scan_string() {
  const std::size_t open = pos_;
  std::size_t p = pos_ + 1;
  const std::size_t n = in_.size();
  const char* s = in_.data();
  bool escaped = false;
  for (;;) {
    p = find_special(s, p, n);
    if (p >= n) fail(n, absl::StrFormat("unterminated string (it starts at byte offset %d)", open));
    const unsigned char c = s[p];
    if (c == '"') break;
    if (c == '\\') {
      escaped = true;
      p += 2;  // the escape itself is checked when decoded
      if (p > n) p = n;
    } else if (c < 0x20) {
      fail(p, absl::StrFormat("control character 0x%02x in a string (it must be escaped)", c));
    } else if (c >= 0x80) {
      const std::size_t len = utf8_length(reinterpret_cast<const unsigned char*>(s + p), n - p);
      if (len == 0) fail(p, absl::StrFormat("invalid UTF-8 (byte 0x%02x) in a string", c));
      p += len;
    } else {
      ++p;
    }
  }
  pos_ = p + 1;
  if (!escaped) return in_.substr(open + 1, p - open - 1);
  std::string out;
  out.reserve(p - open);
  decode_escapes(open + 1, out);
  return arena_.keep(std::move(out));
}

std::uint32_t JsonReader::read_hex4(std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int d = at + i < in_.size() ? hex_value(in_[at + i]) : -1;
    if (d < 0) fail(at + i, "expected four hex digits after \\u, found " + found_at(in_, at + i));
    v = v * 16 + static_cast<std::uint32_t>(d);
  }
  return v;
}

// Decodes the string body starting at `p`, whose closing quote scan_string found.
void JsonReader::decode_escapes(std::size_t p, std::string& out) {
  for (;;) {
    const char c = in_[p];
    if (c == '"') return;
    if (c != '\\') {
      out += c;
      ++p;
      continue;
    }
    const std::size_t at = p;
    const char e = in_[p + 1];
    p += 2;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        std::uint32_t cp = read_hex4(p);
        p += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          fail(at, absl::StrFormat("unpaired surrogate \\u%04X in a string", cp));
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (in_.substr(p, 2) != "\\u") {
            fail(at, absl::StrFormat("unpaired surrogate \\u%04X in a string", cp));
          }
          const std::uint32_t low = read_hex4(p + 2);
          if (low < 0xDC00 || low > 0xDFFF) {
            fail(at, absl::StrFormat("unpaired surrogate \\u%04X in a string", cp));
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          p += 6;
        }
        append_utf8(cp, out);
        break;
      }
      default:
        fail(at, "invalid escape \\" + found_at(in_, at + 1) + " in a string");
    }
  }
}

void JsonReader::scan_number(bool& integral) {
  std::size_t p = pos_;
  const std::size_t n = in_.size();
  auto digits = [&] {
    if (p >= n || !is_digit(in_[p])) fail(p, "expected a digit, found " + found_at(in_, p));
    while (p < n && is_digit(in_[p])) ++p;
  };
  if (in_[p] == '-') ++p;
  if (p < n && in_[p] == '0') {
    ++p;
  } else {
    digits();
  }
  integral = true;
  if (p < n && in_[p] == '.') {
    ++p;
    digits();
    integral = false;
  }
  if (p < n && (in_[p] == 'e' || in_[p] == 'E')) {
    ++p;
    if (p < n && (in_[p] == '+' || in_[p] == '-')) ++p;
    digits();
    integral = false;
  }
  pos_ = p;
}

std::string_view JsonReader::read_string() {
  const JsonType t = peek();
  if (t != JsonType::kString) fail(pos_, cat("expected a string, found ", json_type_name(t)));
  return scan_string();
}

std::int64_t JsonReader::read_int() {
  const char c = next_char("an integer");
  if (c != '-' && !is_digit(c)) {
    fail(pos_, cat("expected an integer, found ", json_type_name(peek())));
  }
  const std::size_t start = pos_;
  const bool negative = c == '-';
  const std::uint64_t limit =
      negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;  // int64's range
  std::size_t p = start + (negative ? 1 : 0);
  const std::size_t n = in_.size();
  std::uint64_t v = 0;
  bool too_big = false;
  const std::size_t first = p;
  for (; p < n && is_digit(in_[p]); ++p) {
    const unsigned d = static_cast<unsigned>(in_[p] - '0');
    if (v > (limit - d) / 10) too_big = true;
    v = v * 10 + d;
  }
  if (p == first || (in_[first] == '0' && p - first > 1) ||
      (p < n && (in_[p] == '.' || in_[p] == 'e' || in_[p] == 'E'))) {
    // Not a plain integer: let the number grammar name the problem, or say what it is.
    bool integral;
    scan_number(integral);
    if (!integral)
      fail(start, "expected an integer, found a number with a fraction or an exponent");
    fail(start, "expected an integer, found a number with a leading zero");
  }
  if (too_big) fail(start, "integer out of range (it must fit in 64 bits)");
  pos_ = p;
  return negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
}

void JsonReader::scan_literal(std::string_view word) {
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (pos_ + i >= in_.size() || in_[pos_ + i] != word[i]) {
      fail(pos_ + i, cat("expected '", word, "', found ", found_at(in_, pos_ + i)));
    }
  }
  pos_ += word.size();
}

bool JsonReader::read_bool() {
  const JsonType t = peek();
  if (t != JsonType::kBool) fail(pos_, cat("expected true or false, found ", json_type_name(t)));
  const bool v = in_[pos_] == 't';
  scan_literal(v ? "true" : "false");
  return v;
}

bool JsonReader::read_null_if_present() {
  if (peek() != JsonType::kNull) return false;
  scan_literal("null");
  return true;
}

void JsonReader::skip_value() {
  std::vector<char> open;  // the containers entered, innermost last: '{' or '['
  for (;;) {
    switch (peek()) {
      case JsonType::kString:
        scan_string();
        break;
      case JsonType::kNumber: {
        bool integral;
        scan_number(integral);
        break;
      }
      case JsonType::kBool:
        scan_literal(in_[pos_] == 't' ? "true" : "false");
        break;
      case JsonType::kNull:
        scan_literal("null");
        break;
      case JsonType::kObject:
      case JsonType::kArray: {
        const char kind = in_[pos_];
        ++pos_;
        const char close = kind == '{' ? '}' : ']';
        if (next_char(kind == '{' ? "a member name or '}'" : "a value or ']'") == close) {
          ++pos_;
          break;
        }
        open.push_back(kind);
        if (kind == '{') {
          if (in_[pos_] != '"')
            fail(pos_, "expected a member name (a string), found " + found_at(in_, pos_));
          scan_string();
          expect(':', "':' after the member name");
        }
        continue;  // to the first member's value
      }
    }
    // A value ended: close every container that ends here, then go on with the next member.
    for (;;) {
      if (open.empty()) {
        just_opened_ = false;
        return;
      }
      const bool object = open.back() == '{';
      const char c = next_char(object ? "',' or '}'" : "',' or ']'");
      if (c == (object ? '}' : ']')) {
        ++pos_;
        open.pop_back();
        continue;
      }
      if (c != ',') {
        fail(pos_, cat("expected ',' or '", object ? "}" : "]", "' after ",
                       object ? "an object member" : "an array element", ", found ",
                       found_at(in_, pos_)));
      }
      ++pos_;
      if (object) {
        if (next_char("a member name") != '"') {
          fail(pos_, "expected a member name (a string), found " + found_at(in_, pos_));
        }
        scan_string();
        expect(':', "':' after the member name");
      }
      break;
    }
  }
}

void JsonReader::expect_end() {
  skip_blank();
  if (pos_ != in_.size()) {
    fail(pos_, "expected the end of the input after the dump, found " + found_at(in_, pos_));
  }
}

}  // namespace weave::dump
