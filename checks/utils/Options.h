// The name-list matcher and the typed option readers the checks share, on top of OptionUtils.h (which
// holds the convention: an option is named in full in every message, 'tether-raw-thread.ThreadTypes';
// bad values go through reportBadOption, so --verify-config sees them too).
//
// A bad value is a configuration error (clang-tidy exits non-zero), never a crash and never a silently
// ignored setting; the option then falls back as each reader documents. storeOptions writes back the
// value as written (Raw / Text), so --dump-config shows what the user configured.
#ifndef TETHER_CHECKS_UTILS_OPTIONS_H
#define TETHER_CHECKS_UTILS_OPTIONS_H

#include "clang-tidy/ClangTidyCheck.h"
#include "clang/ASTMatchers/ASTMatchersInternal.h"
#include "llvm/ADT/IntrusiveRefCntPtr.h"
#include "llvm/Support/Regex.h"
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::tether {

/// A list of qualified names ("::std::thread;boost::thread", "::tether::task_group::spawn") and the
/// one matcher for it, built on clang's own hasAnyName (ast_matchers::internal::HasNameMatcher): a
/// leading "::" anchors a name at the global namespace, without it the name matches in any enclosing
/// scope, and inline namespaces (libc++'s std::__1) may be named or skipped.
///
/// (clang-tidy's matchers::matchesAnyListedRegexName, the LLVM 22 form of matchesAnyListedName, takes
/// regular expressions; the tether options have always been exact names, so their meaning is kept.)
///
/// Cheap to copy (the matcher is shared). Thread-compatible: matching is const.
class NameList {
public:
  NameList() = default;
  /// From names known to be well formed (built-in lists).
  explicit NameList(llvm::ArrayRef<llvm::StringRef> Names);
  explicit NameList(std::vector<std::string> Names);

  /// Reads option \p Option of \p Check, a semicolon-separated list (splitListOption: items
  /// trimmed, empty ones dropped, a warning for a value that names nothing). Each malformed name is a
  /// configuration error naming the option in full and is left out; the rest is used. \p Raw gets
  /// the value as written.
  static NameList fromOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                             llvm::StringRef Option, llvm::StringRef Default, std::string &Raw);

  bool empty() const { return Names.empty(); }
  const std::vector<std::string> &names() const { return Names; }
  /// The option value that reads back as this list (for storeOptions).
  std::string serialize() const;

  /// Does \p D have one of the names? False for an empty list.
  bool matches(const NamedDecl &D) const { return Matcher && Matcher->matchesNode(D); }
  /// The same test as an AST matcher; matches nothing for an empty list.
  ast_matchers::internal::Matcher<NamedDecl> matcher() const;

private:
  std::vector<std::string> Names;
  llvm::IntrusiveRefCntPtr<ast_matchers::internal::HasNameMatcher> Matcher;
};

/// Reads option \p Option as an unsigned integer (\p Raw gets the value as written). A value that is
/// not one is a configuration error, and \p Default is used.
unsigned readUnsignedOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef Option, unsigned Default, std::string &Raw);

/// A regular-expression option: its text as configured (for storeOptions) and, unless the text is
/// empty or invalid, the compiled expression. An invalid one is a configuration error and matches
/// nothing.
struct RegexOption {
  std::string Text;
  std::optional<llvm::Regex> Regex;
  bool matches(llvm::StringRef S) const { return Regex && Regex->match(S); }
};
RegexOption readRegexOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef Option, llvm::StringRef Default);

} // namespace clang::tidy::tether

#endif
