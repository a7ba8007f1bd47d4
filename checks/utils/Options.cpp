#include "Options.h"
#include "../OptionUtils.h"
#include "clang-tidy/utils/OptionsUtils.h"

namespace clang::tidy::tether {

NameList::NameList(llvm::ArrayRef<llvm::StringRef> List)
    : NameList(std::vector<std::string>(List.begin(), List.end())) {}

NameList::NameList(std::vector<std::string> List) : Names(std::move(List)) {
  if (!Names.empty())
    Matcher = new ast_matchers::internal::HasNameMatcher(Names);
}

NameList NameList::fromOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                              llvm::StringRef Option, llvm::StringRef Default, std::string &Raw) {
  Raw = Options.get(Option, Default).str();
  return NameList(validateQualifiedNames(Check, Option, splitListOption(Check, Option, Raw)));
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
                            llvm::StringRef Option, unsigned Default, std::string &Raw) {
  std::optional<llvm::StringRef> Value = Options.get(Option);
  Raw = Value ? Value->str() : std::to_string(Default);
  if (!Value)
    return Default;
  unsigned N = 0;
  if (!Value->trim().getAsInteger(10, N))
    return N;
  reportBadOption(Check, Option,
                  "invalid configuration value " + quoteForMessage(*Value) + " for option '" +
                      optionKey(Check, Option) + "': expected an unsigned integer");
  return Default;
}

RegexOption readRegexOption(ClangTidyCheck &Check, const ClangTidyCheck::OptionsView &Options,
                            llvm::StringRef Option, llvm::StringRef Default) {
  RegexOption R;
  R.Text = Options.get(Option, Default).str();
  if (!R.Text.empty())
    R.Regex = compileRegexOption(Check, Option, R.Text);
  return R;
}

} // namespace clang::tidy::tether
