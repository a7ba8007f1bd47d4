// Parsing and validation of check options shared by the tether checks. A bad value must become a
// clear configuration error, never a crash or a silently ignored setting.
#ifndef TETHER_CHECKS_OPTIONUTILS_H
#define TETHER_CHECKS_OPTIONUTILS_H

#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Regex.h"
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::tether {

/// Splits a semicolon-separated option value, trimming blanks and dropping empty items.
std::vector<std::string> splitList(llvm::StringRef Value);

/// Joins items back into the option's serialized form.
std::string joinList(const std::vector<std::string> &Items);

/// Compiles an option's regular expression. An invalid one is reported as a configuration error
/// naming the option, and std::nullopt is returned (the check then matches nothing by it).
std::optional<llvm::Regex> compileRegexOption(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                              llvm::StringRef Pattern);

/// Checks that every item of a list of qualified names is well formed ("ns::name", "::ns::name",
/// "ns::Class::method"); reports each bad one as a configuration error. Returns the good ones.
std::vector<std::string> validateQualifiedNames(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                                const std::vector<std::string> &Names);

} // namespace clang::tidy::tether

#endif
