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

size_t lineStartOf(llvm::StringRef text, size_t offset) {
  if (offset == 0) return 0;
  size_t nl = text.rfind('\n', offset - 1);
  return nl == llvm::StringRef::npos ? 0 : nl + 1;
}

}  // namespace

bool nolintMatches(llvm::StringRef line, llvm::StringRef marker, llvm::StringRef check) {
  size_t comment = line.find("//");
  size_t block = line.find("/*");
  size_t start = std::min(comment, block);
  if (start == llvm::StringRef::npos) return false;
  return markerSuppresses(line.substr(start), marker, check);
}

const NolintIndex::RegionMarks& NolintIndex::marksOf(FileID file, llvm::StringRef text) {
  auto [it, fresh] = marks_.try_emplace(file);
  if (!fresh) return it->second;
  RegionMarks& m = it->second;
  for (size_t pos = 0; (pos = text.find("NOLINT", pos)) != llvm::StringRef::npos;) {
    llvm::StringRef rest = text.substr(pos + 6);
    if (!rest.starts_with("BEGIN") && !rest.starts_with("END")) {
      pos += 6;
      continue;
    }
    size_t start = lineStartOf(text, pos);
    size_t end = text.find('\n', pos);
    m.lines.push_back(text.slice(start, end));
    m.starts.push_back(static_cast<unsigned>(start));
    // The scan goes on from the end of the line, so each line is recorded once.
    pos = end == llvm::StringRef::npos ? text.size() : end;
  }
  return m;
}

bool NolintIndex::suppresses(SourceLocation loc, llvm::StringRef check) {
  if (loc.isInvalid()) return false;
  loc = sm_.getFileLoc(loc);
  FileID fid = sm_.getFileID(loc);
  bool invalid = false;
  llvm::StringRef text = sm_.getBufferData(fid, &invalid);
  if (invalid) return false;
  unsigned offset = sm_.getFileOffset(loc);
  size_t lineStart = lineStartOf(text, offset);
  if (nolintMatches(text.slice(lineStart, text.find('\n', offset)), "NOLINT", check)) return true;
  if (lineStart > 0) {
    size_t prevStart = lineStartOf(text, lineStart - 1);
    if (nolintMatches(text.slice(prevStart, lineStart - 1), "NOLINTNEXTLINE", check)) return true;
  }
  // NOLINTBEGIN/NOLINTEND: count the regions for this check still open above the finding.
  const RegionMarks& marks = marksOf(fid, text);
  int open = 0;
  for (size_t i = 0; i < marks.lines.size() && marks.starts[i] < lineStart; ++i) {
    if (nolintMatches(marks.lines[i], "NOLINTBEGIN", check)) ++open;
    if (nolintMatches(marks.lines[i], "NOLINTEND", check) && open > 0) --open;
  }
  return open > 0;
}

}  // namespace weave::lint
