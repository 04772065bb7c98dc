// A dump file's bytes: a regular file is mapped (a million-fiber dump is read without copying),
// anything else (standard input, a pipe) is read into memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weave::dump {

class InputFile {
 public:
  // `path` "-" is standard input. On failure text() is empty and error() says why.
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::string_view text() const { return text_; }
  const std::string& error() const { return error_; }

 private:
  void read_all(int fd);

  std::string_view text_;
  void* mapping_ = nullptr;
  std::size_t mapped_ = 0;
  std::string buffer_;
  std::string error_;
};

}  // namespace weave::dump
