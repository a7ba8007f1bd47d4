// Merging the per-TU results of `tether check` into one report, fingerprinting, the baseline, and
// the three output formats (text, json, sarif).
//
// Fingerprints. A finding's fingerprint is a hash of
//   check, file (relative to the project root), the qualified name of the enclosing declaration,
//   the finding's own tokens (whitespace-free, to the end of its statement), and the occurrence
//   index among findings with equal values of all of those (in file order).
// Line and column are not part of it, so lines inserted above a finding and reformatting (of the
// finding's function or anything else) leave it unchanged; a second identical copy of a finding in
// the same function gets index 1 and so a new fingerprint.
#ifndef TETHER_RUNNER_REPORT_H
#define TETHER_RUNNER_REPORT_H

#include "Result.h"

#include "llvm/Support/raw_ostream.h"

#include <set>
#include <string>
#include <vector>

namespace tether::runner {

struct FailedTU {
  std::string File;   // absolute
  std::string Kind;   // "failed" (did not compile) or "crashed"
  std::string Reason; // first compiler error, or the signal
  std::string Details; // a crash's stderr excerpt, indented lines each starting with '\n'
};

struct Report {
  std::string Root;                // project root, absolute, without a trailing '/'
  std::vector<Finding> Findings;   // deduplicated, sorted by file, line, column, check; fingerprinted
  std::vector<FailedTU> Failed;    // sorted by file
  std::set<std::string> Rules;     // every enabled check, and every check with a finding
  unsigned TUs = 0, Analysed = 0, Cached = 0;
  bool UsedBaseline = false;
  unsigned Baselined = 0;          // findings matched by a baseline entry
  unsigned Fixed = 0;              // baseline entries that matched nothing
  double Seconds = 0;

  unsigned newFindings() const;
};

// Merges per-TU results: each finding once (same check, file, line, column and message), sorted,
// with fingerprints. Failed and crashed TUs are listed; their findings are kept. `Extra` are
// findings of no single TU (the whole-program judgement, WholeProgram.h).
Report mergeResults(const std::vector<TUResult> &Results, const std::string &Root,
                    const std::vector<Finding> &Extra = {});

// `File` relative to `Base` when it lies under it, else unchanged.
std::string relativeTo(const std::string &File, const std::string &Base);

struct BaselineEntry {
  std::string Fingerprint, Check, File, Message;
  unsigned Line = 0;
};

// Reads a baseline written by writeBaseline; on error returns false and sets `Error` to a message
// naming the file and what is wrong with it.
bool readBaseline(const std::string &Path, std::vector<BaselineEntry> &Out, std::string &Error);
// The findings of `R` as a baseline file (sorted, one entry per finding).
std::string baselineText(const Report &R);
std::vector<BaselineEntry> baselineEntries(const Report &R);
std::string baselineText(const std::vector<BaselineEntry> &Entries);

// Marks the findings whose fingerprint is in `Baseline` and counts the entries that matched none.
// Returns the entries that still match (what `tether baseline --prune` keeps).
std::vector<BaselineEntry> applyBaseline(Report &R, const std::vector<BaselineEntry> &Baseline);

// Output. Only findings that are not in the baseline are written. Text paths are relative to
// `DisplayBase` (the working directory) when under it.
void writeText(llvm::raw_ostream &OS, const Report &R, const std::string &DisplayBase);
void writeJson(llvm::raw_ostream &OS, const Report &R);
void writeSarif(llvm::raw_ostream &OS, const Report &R);

// The documentation URL of a check (tether's pages, clang-tidy's, or clang's diagnostics).
std::string helpUri(const std::string &Check);

} // namespace tether::runner

#endif
