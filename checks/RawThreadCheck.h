#ifndef TETHER_CHECKS_RAWTHREADCHECK_H
#define TETHER_CHECKS_RAWTHREADCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Regex.h"
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::tether {

namespace threads {

/// A configured qualified name ("::std::thread", "boost::thread"), split into components. A leading
/// "::" anchors it at the global namespace; without it the name matches in any enclosing scope.
/// Inline namespaces (libc++'s std::__1) may be named or skipped.
struct QualifiedName {
  std::vector<std::string> Parts;
  bool Anchored = false;
  std::string Display; // without the leading "::", as shown in diagnostics
};

QualifiedName parseQualifiedName(llvm::StringRef Name);
std::vector<QualifiedName> parseQualifiedNames(const std::vector<std::string> &Names);

/// Does \p D (a class, namespace or function) have the qualified name \p Name?
bool declHasName(const NamedDecl *D, const QualifiedName &Name);

/// The configured thread types (ThreadTypes option), with per-class caches so that the per-node
/// work of the matchers is one hash lookup. Shared by tether-raw-thread and tether-thread-detach.
class ThreadTypeSet {
public:
  void setNames(const std::vector<std::string> &Names);
  bool empty() const { return Types.empty(); }
  void clearCache();

  /// Index of the thread type that \p RD is exactly, or -1.
  int exact(const CXXRecordDecl *RD);
  /// Index of the thread type that \p RD is or derives from (directly or not), or -1.
  int sameOrDerived(const CXXRecordDecl *RD);
  /// Index of the thread type whose spawning constructors \p RD offers: the type itself or a class
  /// inheriting its constructors (`using std::thread::thread;`), transitively; or -1.
  int constructsAs(const CXXRecordDecl *RD);
  const std::string &display(int Index) const { return Types[Index].Display; }

  /// True if \p T (references and cv-qualifiers ignored) is a thread type or derived from one.
  bool isThreadValue(QualType T);

  /// If \p E constructs a thread with a callable (any constructor of a thread type other than the
  /// default, copy and move ones, also reached through inherited constructors), the index of the
  /// thread type; else -1.
  int spawnedBy(const CXXConstructExpr *E);

private:
  std::vector<QualifiedName> Types;
  llvm::DenseMap<const CXXRecordDecl *, int> ExactCache, DerivedCache, InheritCache;
};

/// The location a diagnostic about \p Loc should go to: where the user wrote it. For a token that
/// comes from a macro body that is the macro's expansion site; for a macro argument, the argument
/// as spelled at the use site.
SourceLocation userLocation(const SourceManager &SM, SourceLocation Loc);

/// The unevaluated operands of non-system code: `sizeof`/`alignof` of an expression,
/// `noexcept(...)`, `typeid` of a non-polymorphic operand, `decltype(...)`/`typeof(...)` and
/// requires-expressions.
/// Nothing written in them runs (a lambda written there included: its body counts as part of the
/// operand). Recorded by cheap matchers on those nodes themselves, so no parent map (a traversal of
/// the whole translation unit, system headers included) is needed to ask whether a finding sits in
/// one. This relies on the match finder matching a node before anything inside it: when a spawn in
/// `sizeof(...)` is matched, the sizeof has been recorded already (the lit tests pin this down).
class UnevaluatedOperands {
public:
  /// Adds the recording matchers, reported to \p Callback (a check, which passes them to record()).
  static void registerMatchers(ast_matchers::MatchFinder *Finder,
                               ast_matchers::MatchFinder::MatchCallback *Callback);
  /// Records a match of one of those matchers; false if \p Result is not one of them.
  bool record(const ast_matchers::MatchFinder::MatchResult &Result);
  /// Is \p S inside an unevaluated operand recorded so far?
  bool contains(const Stmt *S, const SourceManager &SM) const;
  void clear() { Operands.clear(); }

private:
  struct Operand {
    SourceLocation Begin, End; // expansion locations of the first and last token
    FileID File;               // of both, or invalid if they are in different files
    unsigned BeginOffset, EndOffset;
    const Stmt *Root; // the operand, for deciding locations shared with a macro expansion
  };
  std::vector<Operand> Operands;
};

/// The semantic context of the nearest declaration enclosing \p S, from the parent map. The first
/// call builds clang's parent map over the whole translation unit: use it only as a rare fallback.
const DeclContext *enclosingContextFromParents(const Stmt *S, ASTContext &Ctx);

/// Strips the implicit nodes around a constructed temporary or a variable's initializer:
/// parentheses, implicit casts, cleanups, materialization, binding, functional casts.
const Expr *stripConstruction(const Expr *E);

} // namespace threads

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

  std::string ThreadTypesRaw;
  std::string SpawnFunctionsRaw;
  std::string AllowedFileRegexText;
  std::string AllowedNamespacesRaw;
  std::vector<std::string> ThreadTypeNames;
  std::vector<std::string> SpawnFunctionNames;
  std::vector<std::string> AllowedNamespaceNames;

  threads::ThreadTypeSet Types;
  std::optional<llvm::Regex> AllowedFileRegex;
  std::vector<threads::QualifiedName> AllowedNamespaces;
  llvm::DenseSet<SourceLocation> Reported;
  threads::UnevaluatedOperands Unevaluated;

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
