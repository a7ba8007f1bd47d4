#ifndef TETHER_CHECKS_RAWTHREADCHECK_H
#define TETHER_CHECKS_RAWTHREADCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/SpawnSites.h"
#include "utils/Threads.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Regex.h"
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::tether {

/// Flags every place that starts a thread outside the tether runtime: constructing a thread type with
/// a callable (also through aliases, derived classes, new, make_unique/make_shared and emplace into
/// containers) and calls to spawn functions (pthread_create, thrd_create, std::async).
///
/// C and C++: in C only the spawn functions exist to report (there are no thread types).
class RawThreadCheck : public ClangTidyCheck {
public:
  RawThreadCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override { return true; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
  }

private:
  /// Reports \p Loc once (after allow-list filtering); returns false if it must not be reported.
  bool shouldReport(SourceLocation &Loc, const Stmt *Site, ASTContext &Ctx);
  bool isInAllowedNamespace(const DeclContext *DC) const;
  /// Is \p Site in code inside an allowed namespace? Found from the namespace-level declaration
  /// whose source range holds it (see indexNamespaceLevel); the parent map only when that is
  /// ambiguous (one macro expansion holding several such declarations).
  bool isSiteInAllowedNamespace(const Stmt *Site, ASTContext &Ctx);
  void indexNamespaceLevel(ASTContext &Ctx);
  void checkFactoryOrEmplace(const CallExpr *Call, ASTContext &Ctx);
  /// Templates: a construction of thread type \p T that clang left unresolved (its arguments \p Args
  /// depend on template arguments), reported at \p Loc (where an instantiation's construction would
  /// be) unless the verdict hinges on a template argument. \p Via names the factory or emplace.
  void checkUnresolvedConstruction(QualType T, llvm::ArrayRef<const Expr *> Args, SourceLocation Loc,
                                   const Stmt *Site, ASTContext &Ctx, llvm::StringRef Via = {});
  /// Templates: a call whose callee clang left unresolved (dependent arguments): a spawn function, a
  /// factory (`std::make_unique<std::thread>(&C::run, this)`) or an emplace into a container of threads.
  void checkUnresolvedCall(const CallExpr *Call, ASTContext &Ctx);
  /// Reports a call to spawn function \p FD (std::async: unless its policy is std::launch::deferred).
  void checkSpawnCall(const CallExpr *Call, const FunctionDecl *FD, ASTContext &Ctx);
  /// After a finding at \p Site: a note on the loop that repeats it without a bound, if any.
  void noteLoop(const Stmt *Site, ASTContext &Ctx);

  std::string ThreadTypesRaw;
  std::string SpawnFunctionsRaw;
  std::string AllowedFileRegexText;
  std::string AllowedNamespacesRaw;
  std::vector<std::string> ThreadTypeNames;
  std::vector<std::string> SpawnFunctionNames;
  std::vector<std::string> AllowedNamespaceNames;

  threads::ThreadTypeSet Types;
  std::optional<llvm::Regex> AllowedFileRegex;
  NameList AllowedNamespaces;
  NameList SpawnFunctionList; ///< SpawnFunctions, for the candidates of unresolved calls
  ReportOnce Reported;
  threads::UnevaluatedOperands Unevaluated;
  LoopIndex Loops;

  /// The declarations at namespace level (not namespaces themselves) of the non-system files, per
  /// file, as expansion-location offsets; built on the first finding that needs AllowedNamespaces.
  struct NamespaceLevelDecl {
    unsigned Begin, End;
    const Decl *D;
  };
  llvm::DenseMap<FileID, std::vector<NamespaceLevelDecl>> NamespaceLevel;
  bool NamespaceLevelIndexed = false;
};

} // namespace clang::tidy::tether

#endif
