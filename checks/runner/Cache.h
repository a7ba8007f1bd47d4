// The per-TU result cache of `tether check`, in BUILD_DIR/.tether-cache/.
//
// An entry is found by a key: a hash of tether's version and binary (size and mtime), the TU's
// compile commands (directory, file, arguments) and the TU's effective clang-tidy configuration
// (every .clang-tidy on its path merged with --checks, as clang-tidy would apply it). It is used
// only when every file the TU read when it was analysed still has the same content (the entry
// lists each file with an xxh3 hash of its content). Limitation: a header created later that would
// now shadow one found further along the include path is not noticed; `--no-cache` covers that.
//
// Only TUs that compiled are cached; a failed or crashed TU is analysed again on the next run.
// Not thread-safe; one process (the parent of the workers) uses it.
#ifndef TETHER_RUNNER_CACHE_H
#define TETHER_RUNNER_CACHE_H

#include "Result.h"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace tether::runner {

class Cache {
public:
  explicit Cache(std::string Dir) : Dir(std::move(Dir)) {}

  // The key of a TU from its commands and configuration text.
  static std::string key(const std::string &CommandsAndConfig);

  // The cached result for `Key` if its entry exists and every dependency is unchanged.
  std::optional<TUResult> lookup(const std::string &Key);

  // Stores `R` under `Key` (written to a temporary file and renamed, so readers never see half an
  // entry). Failures to write are ignored: the cache only saves time.
  void store(const std::string &Key, const TUResult &R);

  // Deletes the entries whose key is not in `Keys` (after a run over every TU: entries of TUs that
  // left the database, or of old commands and configurations).
  void retainOnly(const std::set<std::string> &Keys);

  const std::string &directory() const { return Dir; }

private:
  // Content hash of `Path`, or "" if it cannot be read; memoized for the run.
  const std::string &fileHash(const std::string &Path);

  std::string Dir;
  // One entry per distinct file read during one run; the Cache lives for one run.
  std::map<std::string, std::string> Hashes; // NOLINT(tether-unbounded-container): one per file, one run
};

// Identifies this tether binary (version, size and modification time of the executable), so a
// rebuilt tether with changed checks does not reuse results of the old one.
std::string binaryIdentity(const char *Argv0);

} // namespace tether::runner

#endif
