#include "OptionUtils.h"
#include "llvm/ADT/StringExtras.h"

namespace clang::tidy::tether {

std::vector<std::string> splitList(llvm::StringRef Value) {
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  Value.split(Parts, ';', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  std::vector<std::string> Items;
  for (llvm::StringRef Part : Parts) {
    Part = Part.trim();
    if (!Part.empty())
      Items.push_back(Part.str());
  }
  return Items;
}

std::string joinList(const std::vector<std::string> &Items) { return llvm::join(Items, ";"); }

std::optional<llvm::Regex> compileRegexOption(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                              llvm::StringRef Pattern) {
  llvm::Regex Re(Pattern);
  std::string Error;
  if (!Re.isValid(Error)) {
    Check.configurationDiag("invalid regular expression '%0' for option '%1': %2",
                            DiagnosticIDs::Error)
        << Pattern << OptionName << Error;
    return std::nullopt;
  }
  return Re;
}

static bool isIdentifier(llvm::StringRef S) {
  if (S.empty() || !(llvm::isAlpha(S.front()) || S.front() == '_'))
    return false;
  return llvm::all_of(S, [](char C) { return llvm::isAlnum(C) || C == '_'; });
}

std::vector<std::string> validateQualifiedNames(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                                const std::vector<std::string> &Names) {
  std::vector<std::string> Good;
  for (const std::string &Name : Names) {
    llvm::StringRef Rest(Name);
    Rest.consume_front("::");
    llvm::SmallVector<llvm::StringRef, 4> Parts;
    Rest.split(Parts, "::", -1, /*KeepEmpty=*/true);
    if (Parts.empty() || !llvm::all_of(Parts, isIdentifier)) {
      Check.configurationDiag("invalid qualified name '%0' in option '%1': expected a name such "
                              "as 'ns::function' or 'ns::Class::method'",
                              DiagnosticIDs::Error)
          << Name << OptionName;
      continue;
    }
    Good.push_back(Name);
  }
  return Good;
}

} // namespace clang::tidy::tether
