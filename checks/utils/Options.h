// Reading check options through clang-tidy's own utilities, with one convention for configuration
// errors: an option is always named in full, as it is written in .clang-tidy
// ('tether-raw-thread.ThreadTypes'), so that a message says which check and which option is wrong.
//
// A bad value is a configuration error (clang-tidy exits non-zero), never a crash and never a silently
// ignored setting; the option then falls back as each reader documents.
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

/// The full name of option \p Option of check \p CheckName: "tether-raw-thread.ThreadTypes".
std::string optionKey(llvm::StringRef CheckName, llvm::StringRef Option);

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

  /// Reads option \p Option of \p Check, a semicolon-separated list parsed by
  /// utils::options::parseStringList (items trimmed, empty ones dropped). Each malformed name is a
  /// configuration error naming the option in full and is left out; the rest is used.
  static NameList fromOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                             llvm::StringRef CheckName, llvm::StringRef Option,
                             llvm::StringRef Default);

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

/// Reads option \p Option as an unsigned integer (clang-tidy's Options.get<unsigned> parsing). A value
/// that is not one is a configuration error, and \p Default is used.
unsigned readUnsignedOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef CheckName, llvm::StringRef Option, unsigned Default);

/// A regular-expression option: its text as configured (for storeOptions) and, unless the text is
/// empty or invalid, the compiled expression. An invalid one is a configuration error and matches
/// nothing.
struct RegexOption {
  std::string Text;
  std::optional<llvm::Regex> Regex;
  bool matches(llvm::StringRef S) const { return Regex && Regex->match(S); }
};
RegexOption readRegexOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef CheckName, llvm::StringRef Option, llvm::StringRef Default);

} // namespace clang::tidy::tether

#endif
