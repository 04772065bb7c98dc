// Mapping or reading a dump file.
#include "input.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weave::dump {

InputFile::InputFile(const std::string& path) {
  const bool stdin_wanted = path == "-";
  const int fd = stdin_wanted ? 0 : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error_ = std::strerror(errno);
    return;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    error_ = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    error_ = "is a directory";
  } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ,
                   MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p != MAP_FAILED) {
      mapping_ = p;
      mapped_ = static_cast<std::size_t>(st.st_size);
      text_ = std::string_view(static_cast<const char*>(p), mapped_);
    } else {
      read_all(fd);
    }
  } else {
    read_all(fd);
  }
  if (!stdin_wanted) close(fd);
}

void InputFile::read_all(int fd) {
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = std::strerror(errno);
      return;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  text_ = buffer_;
}

InputFile::~InputFile() {
  if (mapping_) munmap(mapping_, mapped_);
}

}  // namespace weave::dump
