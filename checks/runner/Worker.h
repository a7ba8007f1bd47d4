// Analysing one translation unit in-process, exactly as clang-tidy would: the same options
// providers (every .clang-tidy from the file's folder upwards, then --checks on top), the same
// diagnostic consumer (NOLINT, NOLINTNEXTLINE, NOLINTBEGIN/END, HeaderFilterRegex, SystemHeaders,
// WarningsAsErrors), the same argument adjusters (ExtraArgs, ExtraArgsBefore, plugins stripped).
//
// `tether check` calls analyseTU() in a forked child per TU (see TetherMain.cpp), so a crash in a
// check ends that child only.
#ifndef TETHER_RUNNER_WORKER_H
#define TETHER_RUNNER_WORKER_H

#include "Result.h"

#include "clang-tidy/ClangTidyOptions.h"
#include "clang/Tooling/CompilationDatabase.h"

#include <memory>
#include <optional>
#include <string>

namespace tether::runner {

// The command line's say in the configuration; everything else comes from .clang-tidy files.
struct RunConfig {
  std::optional<std::string> Checks;  // --checks, appended to each file's Checks like clang-tidy's
  // Collect tether-unbounded-container's whole-program facts into TUResult::Facts instead of
  // reporting its per-TU findings (the parent judges the merged facts).
  bool WholeProgram = false;
};

// The checks that apply when no .clang-tidy says otherwise: tether's own.
inline constexpr const char *DefaultChecks = "-*,tether-*";

// The options provider clang-tidy's main would build for these flags, with tether's default checks.
std::unique_ptr<clang::tidy::ClangTidyOptionsProvider> makeOptionsProvider(const RunConfig &Config);

// Runs every enabled check over every compile command of `File` in `Compilations`.
// Never throws; a TU that does not compile comes back Failed with its first error.
TUResult analyseTU(const RunConfig &Config, const clang::tooling::CompilationDatabase &Compilations,
                   const std::string &File);

// The tokens of `Text` from `Offset` to the end of the statement (`;`, `{` or `}`), at most 32,
// joined by single spaces: a finding's fingerprint input (Report.h).
std::string tokensAt(const std::string &Text, unsigned Offset, const clang::LangOptions *Opts = nullptr);

} // namespace tether::runner

#endif
