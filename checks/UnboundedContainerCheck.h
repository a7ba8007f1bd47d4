#ifndef TETHER_CHECKS_UNBOUNDEDCONTAINERCHECK_H
#define TETHER_CHECKS_UNBOUNDEDCONTAINERCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/ContainerEvidence.h"
#include "utils/ReportOnce.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <vector>

namespace clang::tidy::tether {

/// Flags long-lived containers (private members of classes whose whole code this translation unit
/// sees, and internal-linkage / function-local statics) that are inserted into but never erased,
/// cleared, size-checked or handed to code that could trim them: a memory leak a client can drive.
///
/// One matcher pass collects, per container declaration, every reference to it and the role of
/// each reference (grows / bounds / neutral); a reference in a role we do not recognise counts as
/// an escape, i.e. as possible bound evidence. The verdict is made in onEndOfTranslationUnit, where
/// the precision rules (utils/ContainerEvidence.h) exempt bounded key domains, registries of
/// callables, start-up filling and containers of short-lived owners.
class UnboundedContainerCheck : public ClangTidyCheck {
public:
  UnboundedContainerCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onEndOfTranslationUnit() override;

  enum class ContainerKind : uint8_t { None, Associative, Queue };
  /// Classifies a declared type (through aliases); cached per template.
  ContainerKind kindOfType(QualType T);
  ContainerKind kindOfDecl(const ValueDecl *D);

private:
  enum class UseKind : uint8_t { Neutral, Growth, Bound };

  void addCandidate(const ValueDecl *D, bool IsField);
  /// Whole-program facts (checks/facts/Facts.h): recorded when a facts sink is installed, with one
  /// probe diagnostic per container so that NOLINT and the header filter apply to it.
  void recordFacts();
  /// Reports the program-wide verdicts of FactsDir for this TU's containers; true if it did
  /// (the containers the facts know are then not judged per TU).
  bool loadProgramVerdicts();
  void recordUse(const Expr *Ref, UseKind Kind);
  void recordStructor(const FunctionDecl *F, bool IsCtor);
  bool classHasContainerField(const CXXRecordDecl *RD);
  bool isFullyVisible(const CXXRecordDecl *RD);
  bool computeFullyVisible(const CXXRecordDecl *RD);
  ContainerKind kindOfTemplate(const NamedDecl *Template);
  void reset();
  /// What a collected reference does to its container (per-TU rule and facts alike).
  enum class RefRole : uint8_t { Skip, Grow, Bound, Escape };
  RefRole roleOfRef(const ValueDecl *D, bool IsField, const CXXRecordDecl *Owner, const Expr *E);
  static const CXXRecordDecl *ownerOf(const ValueDecl *D, bool IsField);
  bool isStartupRootFor(const FunctionDecl *F, const ValueDecl *D, const CXXRecordDecl *Owner) const;
  std::string nameForIgnoring(const ValueDecl *D) const;

  // Options.
  std::string AssociativeContainersRaw;
  std::string QueueContainersRaw;
  std::string IgnoredNamesRaw;
  std::string FactsDir;
  std::string IgnoreCallableRegistriesRaw;
  bool IgnoreCallableRegistries = true;
  llvm::StringSet<> AssociativeNames; // normalised: no leading "::"
  llvm::StringSet<> QueueNames;
  std::optional<llvm::Regex> IgnoredNames;

  // Caches (valid for one translation unit).
  llvm::DenseMap<const NamedDecl *, ContainerKind> TemplateKinds;
  llvm::DenseMap<const ValueDecl *, ContainerKind> DeclKinds;
  llvm::DenseMap<const CXXRecordDecl *, bool> Visible;
  llvm::DenseMap<const CXXRecordDecl *, bool> HasContainerField;

  // Per-TU facts.
  struct Candidate {
    const ValueDecl *D;
    bool IsField;
    bool PerTU; // a candidate of the per-TU rule (else only of the whole-program facts)
  };
  std::vector<Candidate> Candidates;
  llvm::DenseSet<const ValueDecl *> CandidateSet;
  llvm::DenseMap<const ValueDecl *, llvm::SmallVector<const Expr *, 4>> Refs;
  llvm::DenseMap<const Expr *, UseKind> Uses;
  llvm::DenseSet<const Expr *> SizeCompared;
  /// The call a growth reference is the object of (`m_.insert(...)`, `m_[k]`): for its keys.
  llvm::DenseMap<const Expr *, const Expr *> CallOf;
  containers::InstanceIndex Instances;
  ReportOnce Reported;
  /// References inside a constructor / destructor body, mapped to that structor's class.
  llvm::DenseMap<const Expr *, const CXXRecordDecl *> InCtor, InDtor;
  /// Program-wide verdicts read from FactsDir: USR -> (message, growth sites "file:line:col").
  struct ProgramVerdict {
    std::string Message;
    std::vector<std::tuple<std::string, unsigned, unsigned>> Sites;
  };
  std::optional<std::map<std::string, ProgramVerdict>> ProgramVerdicts;
  std::optional<std::set<std::string>> ProgramKnown; // every container USR the facts record
  const SourceManager *SM = nullptr;
  ASTContext *Ctx = nullptr;
};

} // namespace clang::tidy::tether

#endif
