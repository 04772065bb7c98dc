// Reading NOLINT comments from the source buffer around a finding.
#include "lib/Nolint.h"

#include "lib/CheckRegistry.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {
using namespace clang;

namespace {

// Finds `marker` as a whole word (NOLINT must not match NOLINTNEXTLINE) and checks its list.
bool markerSuppresses(llvm::StringRef text, llvm::StringRef marker, llvm::StringRef check) {
  size_t pos = 0;
  while ((pos = text.find(marker, pos)) != llvm::StringRef::npos) {
    llvm::StringRef rest = text.substr(pos + marker.size());
    pos += marker.size();
    if (!rest.empty() && (isalnum(static_cast<unsigned char>(rest[0])) || rest[0] == '_')) continue;
    if (!rest.starts_with("(")) return true;
    size_t close = rest.find(')');
    if (close == llvm::StringRef::npos) return true;
    llvm::SmallVector<llvm::StringRef, 4> names;
    rest.substr(1, close - 1).split(names, ',', -1, false);
    for (llvm::StringRef n : names)
      if (globMatch(n.trim(), check)) return true;
  }
  return false;
}

}  // namespace

bool nolintMatches(llvm::StringRef line, llvm::StringRef marker, llvm::StringRef check) {
  size_t comment = line.find("//");
  size_t block = line.find("/*");
  size_t start = std::min(comment, block);
  if (start == llvm::StringRef::npos) return false;
  return markerSuppresses(line.substr(start), marker, check);
}

bool isSuppressedByNolint(const SourceManager& sm, SourceLocation loc, llvm::StringRef check) {
  if (loc.isInvalid()) return false;
  loc = sm.getFileLoc(loc);
  FileID fid = sm.getFileID(loc);
  bool invalid = false;
  llvm::StringRef text = sm.getBufferData(fid, &invalid);
  if (invalid) return false;
  unsigned offset = sm.getFileOffset(loc);
  size_t lineStart = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  lineStart = (lineStart == llvm::StringRef::npos || offset == 0) ? 0 : lineStart + 1;
  size_t lineEnd = text.find('\n', offset);
  llvm::StringRef line = text.slice(lineStart, lineEnd);
  if (nolintMatches(line, "NOLINT", check)) return true;
  if (lineStart > 0) {
    size_t prevStart = text.rfind('\n', lineStart - 1 == 0 ? 0 : lineStart - 2);
    prevStart = prevStart == llvm::StringRef::npos ? 0 : prevStart + 1;
    if (lineStart >= 1 &&
        nolintMatches(text.slice(prevStart, lineStart - 1), "NOLINTNEXTLINE", check))
      return true;
  }
  // NOLINTBEGIN/NOLINTEND: count open regions for this check above the finding.
  int open = 0;
  llvm::StringRef before = text.substr(0, lineStart);
  size_t pos = 0;
  while (pos < before.size()) {
    size_t eol = before.find('\n', pos);
    llvm::StringRef l = before.slice(pos, eol);
    if (nolintMatches(l, "NOLINTBEGIN", check)) ++open;
    if (nolintMatches(l, "NOLINTEND", check) && open > 0) --open;
    if (eol == llvm::StringRef::npos) break;
    pos = eol + 1;
  }
  return open > 0;
}

}  // namespace weave::lint
