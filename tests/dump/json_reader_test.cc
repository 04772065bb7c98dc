// The JSON reader: values, strings (escapes, UTF-8), integers, nesting without recursion, and
// errors that name the byte offset, line and column of what is wrong.
#include "json_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace weave::dump {
namespace {

// The error `read` gives on `text` (describe_error's text), or "" if it reads it.
template <typename F>
std::string error_of(const std::string& text, F&& read) {
  StringArena arena;
  JsonReader r(text, arena);
  try {
    read(r);
  } catch (const InputError& e) {
    return describe_error(text, e);
  }
  return "";
}

// One whole value, and nothing after it.
std::string skip_error(const std::string& text) {
  return error_of(text, [](JsonReader& r) {
    r.skip_value();
    r.expect_end();
  });
}

std::string string_error(const std::string& text) {
  return error_of(text, [](JsonReader& r) { r.read_string(); });
}

std::string int_error(const std::string& text) {
  return error_of(text, [](JsonReader& r) {
    r.read_int();
    r.expect_end();
  });
}

std::string read_string_of(const std::string& text) {
  StringArena arena;
  JsonReader r(text, arena);
  return std::string(r.read_string());
}

std::int64_t read_int_of(const std::string& text) {
  StringArena arena;
  JsonReader r(text, arena);
  return r.read_int();
}

TEST(JsonReader, SkipsEveryKindOfValue) {
  EXPECT_EQ(
      skip_error(R"( {"a": [1, -2.5e+3, 0, true, false, null, "s", {}, []], "b": {"c": {}}} )"),
      "");
  EXPECT_EQ(skip_error("\xEF\xBB\xBF{}"), "") << "a byte order mark is skipped";
  EXPECT_EQ(skip_error("\t\r\n 7 \n"), "");
}

TEST(JsonReader, ReadsObjectsAndArraysMemberByMember) {
  const std::string text = R"({"a": 1, "b": [true, "x"], "c": null})";
  StringArena arena;
  JsonReader r(text, arena);
  std::string_view key;
  std::vector<std::string> seen;
  for (r.begin_object(); r.next_key(key);) {
    seen.emplace_back(key);
    if (key == "a") {
      EXPECT_EQ(r.read_int(), 1);
    } else if (key == "b") {
      r.begin_array();
      ASSERT_TRUE(r.next_element());
      EXPECT_TRUE(r.read_bool());
      ASSERT_TRUE(r.next_element());
      EXPECT_EQ(r.read_string(), "x");
      EXPECT_FALSE(r.next_element());
    } else {
      EXPECT_TRUE(r.read_null_if_present());
    }
  }
  r.expect_end();
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(JsonReader, NestingIsLimitedByMemoryNotByTheStack) {
  const std::size_t depth = 1000000;
  EXPECT_EQ(skip_error(std::string(depth, '[') + std::string(depth, ']')), "");
  std::string objects;
  for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(depth, '}');
  EXPECT_EQ(skip_error(objects), "");
  const std::string unclosed = skip_error(std::string(depth, '['));
  EXPECT_NE(unclosed.find("byte offset 1000000"), std::string::npos) << unclosed;
  EXPECT_NE(unclosed.find("the end of the input"), std::string::npos) << unclosed;
  const std::string mismatched = skip_error("[[[}]]]");
  EXPECT_EQ(mismatched, "byte offset 3 (line 1, column 4): expected a value, found '}'");
}

TEST(JsonReader, SyntaxErrorsNameOffsetLineAndColumn) {
  EXPECT_EQ(skip_error("{\"a\": 1,\n \"b\" 2}"),
            "byte offset 14 (line 2, column 6): expected ':' after the member name, found '2'");
  EXPECT_EQ(skip_error("[1, 2,]"), "byte offset 6 (line 1, column 7): expected a value, found ']'");
  EXPECT_EQ(skip_error("{\"a\": 1,}"),
            "byte offset 8 (line 1, column 9): expected a member name (a string), found '}'");
  EXPECT_EQ(skip_error("[1 2]"),
            "byte offset 3 (line 1, column 4): expected ',' or ']' after an array element, found "
            "'2'");
  EXPECT_EQ(skip_error("{} {}"),
            "byte offset 3 (line 1, column 4): expected the end of the input after the dump, found "
            "'{'");
  EXPECT_EQ(skip_error(""),
            "byte offset 0 (line 1, column 1): expected a value, found the end of "
            "the input");
  EXPECT_EQ(skip_error("tru"),
            "byte offset 3 (line 1, column 4): expected 'true', found the end "
            "of the input");
  EXPECT_EQ(skip_error("nul!"), "byte offset 3 (line 1, column 4): expected 'null', found '!'");
  EXPECT_EQ(skip_error("\x01"),
            "byte offset 0 (line 1, column 1): expected a value, found byte "
            "0x01");
  // Columns count characters: "é" is two bytes and one column.
  EXPECT_EQ(skip_error("[\"\xC3\xA9\", x]"),
            "byte offset 7 (line 1, column 7): expected a value, found 'x'");
}

TEST(JsonReader, DecodesEscapes) {
  EXPECT_EQ(read_string_of(R"("plain")"), "plain");
  EXPECT_EQ(read_string_of(R"("a\"b\\c\/d\b\f\n\r\t")"), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(read_string_of(R"("\u0041\u00e9\u65e5")"), "A\xC3\xA9\xE6\x97\xA5");
  EXPECT_EQ(read_string_of(R"("\ud83d\ude00")"), "\xF0\x9F\x98\x80") << "a surrogate pair";
  EXPECT_EQ(read_string_of(R"("nul\u0000byte")"), std::string("nul\0byte", 8));
  EXPECT_EQ(read_string_of("\"caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80\""),
            "caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80");
  const std::string long_text(1000, 'x');
  EXPECT_EQ(read_string_of("\"" + long_text + "\\n" + long_text + "\""),
            long_text + "\n" + long_text);
}

TEST(JsonReader, RejectsBadStrings) {
  EXPECT_EQ(string_error(R"("ab)"),
            "byte offset 3 (line 1, column 4): unterminated string (it starts at byte offset 0)");
  EXPECT_EQ(string_error("\"a\nb\""),
            "byte offset 2 (line 1, column 3): control character 0x0a in a string (it must be "
            "escaped)");
  EXPECT_EQ(string_error(R"("\x")"),
            "byte offset 1 (line 1, column 2): invalid escape \\'x' in a "
            "string");
  EXPECT_EQ(string_error(R"("\u12G4")"),
            "byte offset 5 (line 1, column 6): expected four hex digits after \\u, found 'G'");
  EXPECT_EQ(string_error(R"("\u12")"),
            "byte offset 5 (line 1, column 6): expected four hex digits after \\u, found '\"'");
  EXPECT_EQ(string_error(R"("\ud800")"),
            "byte offset 1 (line 1, column 2): unpaired surrogate \\uD800 in a string");
  EXPECT_EQ(string_error(R"("\udc00x")"),
            "byte offset 1 (line 1, column 2): unpaired surrogate \\uDC00 in a string");
  EXPECT_EQ(string_error(R"("\ud800\u0041")"),
            "byte offset 1 (line 1, column 2): unpaired surrogate \\uD800 in a string");
  EXPECT_EQ(string_error("\"\\"),
            "byte offset 2 (line 1, column 3): unterminated string (it "
            "starts at byte offset 0)");
  EXPECT_EQ(string_error("7"),
            "byte offset 0 (line 1, column 1): expected a string, found a number");
}

TEST(JsonReader, RejectsInvalidUtf8) {
  const char* const bad[] = {
      "\"\xFF\"",              // never valid
      "\"\xC0\x80\"",          // overlong NUL
      "\"\xE0\x80\x80\"",      // overlong
      "\"\xED\xA0\x80\"",      // a surrogate
      "\"\xF4\x90\x80\x80\"",  // past U+10FFFF
      "\"\xC3\"",              // cut short
      "\"\x80\"",              // a lone continuation byte
      "\"ab\xE6\x97\"",        // cut short before the quote
  };
  for (const char* s : bad) {
    const std::string e = string_error(s);
    EXPECT_NE(e.find("invalid UTF-8"), std::string::npos) << s << ": " << e;
  }
  // The SIMD scan and the byte loop must agree wherever the bad byte sits.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string s = "\"" + std::string(40, 'a') + "\"";
    s[1 + at] = '\xFE';
    EXPECT_EQ(string_error(s), "byte offset " + std::to_string(1 + at) + " (line 1, column " +
                                   std::to_string(2 + at) +
                                   "): invalid UTF-8 (byte 0xfe) in a string");
  }
}

TEST(JsonReader, ReadsExactInt64s) {
  EXPECT_EQ(read_int_of("0"), 0);
  EXPECT_EQ(read_int_of("-0"), 0);
  EXPECT_EQ(read_int_of("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(read_int_of("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(int_error("9223372036854775808"),
            "byte offset 0 (line 1, column 1): integer out of range (it must fit in 64 bits)");
  EXPECT_EQ(int_error("-9223372036854775809"),
            "byte offset 0 (line 1, column 1): integer out of range (it must fit in 64 bits)");
  EXPECT_EQ(int_error(std::string(5000, '9')),
            "byte offset 0 (line 1, column 1): integer out of range (it must fit in 64 bits)");
  EXPECT_EQ(int_error("1.5"),
            "byte offset 0 (line 1, column 1): expected an integer, found a "
            "number with a fraction or an exponent");
  EXPECT_EQ(int_error("1e3"),
            "byte offset 0 (line 1, column 1): expected an integer, found a "
            "number with a fraction or an exponent");
  EXPECT_EQ(int_error("012"),
            "byte offset 0 (line 1, column 1): expected an integer, found a "
            "number with a leading zero");
  EXPECT_EQ(int_error("-"),
            "byte offset 1 (line 1, column 2): expected a digit, found the end of "
            "the input");
  EXPECT_EQ(int_error("1."),
            "byte offset 2 (line 1, column 3): expected a digit, found the end of "
            "the input");
  EXPECT_EQ(int_error("\"7\""),
            "byte offset 0 (line 1, column 1): expected an integer, found a "
            "string");
  EXPECT_EQ(int_error("true"),
            "byte offset 0 (line 1, column 1): expected an integer, found a "
            "boolean");
}

TEST(JsonReader, SkippedNumbersMayBeAnySize) {
  EXPECT_EQ(skip_error("[" + std::string(10000, '9') + ".5e-99999]"), "");
  EXPECT_NE(skip_error("[01]").find("expected ',' or ']'"), std::string::npos);
  EXPECT_NE(skip_error("[+1]").find("expected a value, found '+'"), std::string::npos);
  EXPECT_NE(skip_error("[.5]").find("expected a value, found '.'"), std::string::npos);
  EXPECT_NE(skip_error("[1e]").find("expected a digit"), std::string::npos);
}

}  // namespace
}  // namespace weave::dump
