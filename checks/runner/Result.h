// The data `tether check` moves around: what one translation unit produced (a worker's answer,
// also what the cache stores), and the findings after the whole run is merged.
//
// Everything here is plain data with a JSON form (nlohmann/json); the worker writes a TUResult as
// JSON to a file that the parent reads, so a worker that crashes leaves no half-written result
// behind (the parent sees no file, or one that does not parse, and lists the TU as crashed).
#ifndef TETHER_RUNNER_RESULT_H
#define TETHER_RUNNER_RESULT_H

#include "../facts/Facts.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tether::runner {

// tether's own version, printed by --version and recorded in SARIF and the cache key.
inline constexpr const char *Version = "0.1.0";

// One position in a file with a message: a finding's main message or one of its notes.
// `File` is absolute; `Line` and `Column` are 1-based (bytes, as clang prints them).
struct Message {
  std::string File;
  unsigned Offset = 0;
  unsigned Line = 0;
  unsigned Column = 0;
  std::string Text;
};

// One diagnostic of one check.
struct Finding {
  std::string Check;       // e.g. "tether-raw-thread"
  std::string Level;       // "warning" or "error" (WarningsAsErrors)
  Message Main;
  std::vector<Message> Notes;
  // Fingerprint inputs, computed by the worker which has the AST: the qualified name of the
  // declaration enclosing the finding (function, else class, else namespace; "" at file scope)
  // and the tokens from the finding's position to the end of its statement, whitespace removed.
  std::string Scope;
  std::string Tokens;
  // Filled in by the parent after the merge (see Report.h).
  std::string Fingerprint;
  bool InBaseline = false;
};

// A file the TU read, with the hash of the content it read (xxh3, hex).
struct Dependency {
  std::string Path;
  std::string Hash;
};

// What one translation unit produced.
struct TUResult {
  std::string File;                    // the TU's main file, absolute
  enum class Status { Ok, Failed, Crashed } State = Status::Ok;
  std::string Failure;                 // first compiler error, or how the worker died
  std::string Details;                 // a crashed worker's stderr excerpt (not serialized)
  std::vector<Finding> Findings;
  std::vector<Dependency> Dependencies;
  std::vector<std::string> EnabledChecks;
  double Seconds = 0;
  bool FromCache = false;
  // Whole-program facts of tether-unbounded-container (when `tether check` judges the whole
  // program); cached with the rest of the result.
  tether::facts::TUFacts Facts;
};

void to_json(nlohmann::json &J, const Message &M);
void from_json(const nlohmann::json &J, Message &M);
void to_json(nlohmann::json &J, const Finding &F);
void from_json(const nlohmann::json &J, Finding &F);
void to_json(nlohmann::json &J, const TUResult &R);
void from_json(const nlohmann::json &J, TUResult &R);

// Hex of xxh3_64 of `Data`: the content hash used for cache validation.
std::string contentHash(const std::string &Data);

} // namespace tether::runner

#endif
