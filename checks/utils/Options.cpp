#include "Options.h"
#include "../OptionUtils.h"
#include "clang-tidy/utils/OptionsUtils.h"

namespace clang::tidy::tether {

std::string optionKey(llvm::StringRef CheckName, llvm::StringRef Option) {
  return (CheckName + "." + Option).str();
}

NameList::NameList(llvm::ArrayRef<llvm::StringRef> List)
    : NameList(std::vector<std::string>(List.begin(), List.end())) {}

NameList::NameList(std::vector<std::string> List) : Names(std::move(List)) {
  if (!Names.empty())
    Matcher = new ast_matchers::internal::HasNameMatcher(Names);
}

NameList NameList::fromOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                              llvm::StringRef CheckName, llvm::StringRef Option,
                              llvm::StringRef Default) {
  std::vector<std::string> Items;
  for (llvm::StringRef Item : utils::options::parseStringList(Options.get(Option, Default)))
    Items.push_back(Item.str());
  return NameList(validateQualifiedNames(Check, optionKey(CheckName, Option), Items));
}

std::string NameList::serialize() const {
  std::vector<llvm::StringRef> Refs(Names.begin(), Names.end());
  return utils::options::serializeStringList(Refs);
}

ast_matchers::internal::Matcher<NamedDecl> NameList::matcher() const {
  if (!Matcher)
    return ast_matchers::internal::Matcher<NamedDecl>(
        new ast_matchers::internal::HasNameMatcher({"::<tether: no names>"}));
  return ast_matchers::internal::Matcher<NamedDecl>(Matcher.get());
}

unsigned readUnsignedOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef CheckName, llvm::StringRef Option, unsigned Default) {
  std::optional<llvm::StringRef> Value = Options.get(Option);
  if (!Value)
    return Default;
  unsigned N = 0;
  if (!Value->trim().getAsInteger(10, N))
    return N;
  Check.configurationDiag("invalid configuration value '%0' for option '%1': expected an unsigned "
                          "integer",
                          DiagnosticIDs::Error)
      << *Value << optionKey(CheckName, Option);
  return Default;
}

RegexOption readRegexOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef CheckName, llvm::StringRef Option, llvm::StringRef Default) {
  RegexOption R;
  R.Text = Options.get(Option, Default).str();
  if (!R.Text.empty())
    R.Regex = compileRegexOption(Check, optionKey(CheckName, Option), R.Text);
  return R;
}

} // namespace clang::tidy::tether
