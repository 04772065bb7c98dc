// String concatenation over std::string_view (this system's Abseil has its own string_view,
// which absl::StrCat wants): cat("fiber ", 7, " at ", file) and append(out, …).
#pragma once

#include <concepts>
#include <string>
#include <string_view>

namespace weave::dump {

inline void append_one(std::string& out, std::string_view s) { out.append(s); }
inline void append_one(std::string& out, char c) { out += c; }
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void append_one(std::string& out, T v) {
  out += std::to_string(v);
}

template <typename... A>
void append(std::string& out, const A&... a) {
  (append_one(out, a), ...);
}

template <typename... A>
std::string cat(const A&... a) {
  std::string out;
  append(out, a...);
  return out;
}

}  // namespace weave::dump
