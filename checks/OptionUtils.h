// Parsing and validation of check options shared by the tether checks. A bad value must become a
// clear configuration error naming the option as `check.Option`, never a crash or a silently
// ignored setting, in every route: a run (clang-tidy, tether-tidy, tether-clangd, -fplugin),
// --verify-config and --dump-config.
#ifndef TETHER_CHECKS_OPTIONUTILS_H
#define TETHER_CHECKS_OPTIONUTILS_H

#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::tether {

/// Splits a semicolon-separated option value, trimming blanks and dropping empty items.
std::vector<std::string> splitList(llvm::StringRef Value);

/// splitList, and a warning when \p Value is not empty but names nothing (";", " ; "): that turns
/// this part of the check off, which an empty value '' does on purpose.
std::vector<std::string> splitListOption(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                         llvm::StringRef Value);

/// Joins items back into the option's serialized form.
std::string joinList(const std::vector<std::string> &Items);

/// \p Value quoted for a message, shortened in the middle when it is long (a whole generated
/// list pasted into one option must not become a screen-wide diagnostic).
std::string quoteForMessage(llvm::StringRef Value);

/// The full name of \p Check's option \p OptionName (check-local, e.g. "ThreadTypes"):
/// "tether-raw-thread.ThreadTypes", as written in CheckOptions and shown in messages.
std::string optionKey(const ClangTidyCheck &Check, llvm::StringRef OptionName);

/// Reports a bad value of \p Check's option \p OptionName as a configuration error (or, with
/// \p Level, a warning). \p Message must name the option by optionKey and quote the value with
/// quoteForMessage.
void reportBadOption(ClangTidyCheck &Check, llvm::StringRef OptionName, const llvm::Twine &Message,
                     DiagnosticIDs::Level Level = DiagnosticIDs::Error);

/// Compiles an option's regular expression. An invalid one is reported as a configuration error
/// naming the option, and std::nullopt is returned (the check then matches nothing by it).
std::optional<llvm::Regex> compileRegexOption(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                              llvm::StringRef Pattern);

/// Parses a boolean option the way clang-tidy does (YAML booleans, or an integer); a bad value is
/// a configuration error and gives \p Default.
bool parseBoolOption(ClangTidyCheck &Check, llvm::StringRef OptionName, llvm::StringRef Value,
                     bool Default);

/// Checks that every item of a list of qualified names is well formed ("ns::name", "::ns::name",
/// "ns::Class::method"; identifiers may use any letters C++ allows, in UTF-8); reports each bad one
/// as a configuration error. Returns the good ones.
std::vector<std::string> validateQualifiedNames(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                                const std::vector<std::string> &Names);

/// One configuration file clang-tidy reads for a source file, parsed.
struct ConfigFile {
  std::string Path;
  llvm::ErrorOr<ClangTidyOptions> Options;   ///< The parse error if it does not parse.
  std::optional<llvm::SMDiagnostic> Error; ///< The first YAML error, with its line and column.
};

/// The .clang-tidy files clang-tidy reads for \p SourceFile (relative to the working directory;
/// "-" for stdin), as its FileOptionsProvider finds them: the nearest one, then its parents' while
/// InheritParentConfig is set; nearest first. A file that does not parse ends the list. Parse
/// errors are returned, not printed (FileOptionsProvider prints its own).
std::vector<ConfigFile> findConfigFiles(llvm::StringRef SourceFile);

/// The check factory the tether module registers for each check. Beyond constructing the check it
/// makes `--verify-config` see bad option values: clang-tidy's --verify-config constructs every
/// check once with default options (collecting the option names they read), so a constructor never
/// sees the user's values. In that mode this constructs the check again for each configuration
/// source the user's run would read (--config-file, --config or the .clang-tidy files found for
/// the first input file, as clang-tidy's own verification does), prints every bad value as
/// `<source>: error: ... [-verify-config]`, and takes the option's name out of the set of known
/// options, which makes clang-tidy's verification fail (exit 1) and list it as well.
using CheckMaker =
    llvm::function_ref<std::unique_ptr<ClangTidyCheck>(llvm::StringRef, ClangTidyContext *)>;
std::unique_ptr<ClangTidyCheck> makeCheck(llvm::StringRef Name, ClangTidyContext *Context,
                                          CheckMaker Make);

} // namespace clang::tidy::tether

#endif
