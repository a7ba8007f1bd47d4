#include "FactsCollector.h"
#include "../utils/ContainerEvidence.h"

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Index/USRGeneration.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/xxhash.h"

#include <cstdio>

namespace clang::tidy::tether {

namespace tf = ::tether::facts;

std::string FactsCollector::usr(const Decl *D) {
  if (!D)
    return "";
  D = D->getCanonicalDecl();
  auto It = Usrs.find(D);
  if (It != Usrs.end())
    return It->second;
  llvm::SmallString<128> Buf;
  std::string Result;
  if (!index::generateUSRForDecl(D, Buf))
    Result = std::string(Buf);
  Usrs[D] = Result;
  return Result;
}

std::string FactsCollector::functionId(const Decl *FD) {
  std::string U = usr(FD);
  if (U.empty())
    return U;
  char Buf[17];
  std::snprintf(Buf, sizeof Buf, "%016llx", static_cast<unsigned long long>(llvm::xxh3_64bits(U)));
  return Buf;
}

std::string FactsCollector::addFunction(const FunctionDecl *FD) {
  std::string U = functionId(FD);
  if (U.empty())
    return U;
  auto [It, Inserted] = Out.Functions.try_emplace(U);
  if (!Inserted)
    return U;
  tf::Function &F = It->second;
  F.Usr = U;
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD)) {
    if (MD->getParent()->isLambda()) {
      F.Name = "a lambda";
      if (const auto *Outer = dyn_cast_or_null<NamedDecl>(MD->getParent()->getDeclContext()->getNonClosureAncestor()))
        F.Name += " in " + Outer->getQualifiedNameAsString();
      F.Callback = true;
    } else {
      F.Name = MD->getQualifiedNameAsString();
      F.Class = usr(MD->getParent());
      F.Class.clear(); // not needed by the judge: kept out of the facts to keep them small
    }
    F.Constructor = isa<CXXConstructorDecl>(MD) && IsStartupRoot && IsStartupRoot(MD);
  } else {
    F.Name = FD->getQualifiedNameAsString();
    F.Main = FD->isMain();
  }
  return U;
}

void FactsCollector::addOwnerClass(const CXXRecordDecl *RD) {
  RD = RD->getDefinition();
  if (!RD)
    return;
  std::string U = usr(RD);
  if (U.empty())
    return;
  tf::Class &C = Out.Classes[U];
  C.Usr = U;
  C.Name = RD->getQualifiedNameAsString();
  auto NeedsBody = [](const FunctionDecl *FD) {
    if (FD->isDeleted() || FD->isDefaulted() || FD->isPureVirtual())
      return false;
    // The C++03 noncopyable idiom: a private copy constructor / assignment never defined.
    if (const auto *MD = dyn_cast<CXXMethodDecl>(FD); MD && MD->getAccess() == AS_private) {
      if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(MD); Ctor && Ctor->isCopyConstructor())
        return false;
      if (MD->isCopyAssignmentOperator())
        return false;
    }
    return true;
  };
  auto Note = [&](const FunctionDecl *FD) {
    if (!NeedsBody(FD))
      return;
    std::string F = functionId(FD);
    if (F.empty())
      return;
    C.NeedsBody.insert(F);
    if (FD->isDefined())
      C.Defined.insert(F);
  };
  for (const Decl *Member : RD->decls()) {
    if (Member->isImplicit())
      continue;
    if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(Member))
      Member = FTD->getTemplatedDecl();
    if (const auto *FD = dyn_cast<FunctionDecl>(Member)) {
      Note(FD);
    } else if (const auto *Friend = dyn_cast<FriendDecl>(Member)) {
      if (const NamedDecl *ND = Friend->getFriendDecl()) {
        if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(ND))
          ND = FTD->getTemplatedDecl();
        if (const auto *FD = dyn_cast<FunctionDecl>(ND)) {
          Note(FD);
          C.Friends.insert(functionId(FD));
        }
      } else if (const TypeSourceInfo *TSI = Friend->getFriendType()) {
        if (const CXXRecordDecl *FR = TSI->getType()->getAsCXXRecordDecl())
          C.Friends.insert(usr(FR));
      }
    }
  }
}

// --- the walk ----------------------------------------------------------------------------------

class FactsWalker : public RecursiveASTVisitor<FactsWalker> {
  using Base = RecursiveASTVisitor<FactsWalker>;

public:
  FactsWalker(FactsCollector &C, const llvm::DenseSet<const Expr *> &Refs)
      : C(C), SM(C.Ctx.getSourceManager()), Refs(Refs) {}

  bool shouldVisitTemplateInstantiations() const { return false; }
  bool shouldVisitImplicitCode() const { return false; }

  bool TraverseDecl(Decl *D) {
    if (!D)
      return true;
    if (!isa<TranslationUnitDecl>(D) && D->getLocation().isValid() && SM.isInSystemHeader(D->getLocation()))
      return true;
    const auto *FD = dyn_cast<FunctionDecl>(D);
    if (!FD || !FD->doesThisDeclarationHaveABody())
      return Base::TraverseDecl(D);
    Frames.push_back({FD, 0});
    bool R = Base::TraverseDecl(D);
    Frames.pop_back();
    return R;
  }

  bool TraverseLambdaExpr(LambdaExpr *LE) {
    C.addFunction(LE->getCallOperator()); // marks it a callback
    Frames.push_back({LE->getCallOperator(), 0});
    bool R = Base::TraverseLambdaExpr(LE);
    Frames.pop_back();
    return R;
  }

  // Only loops that may run as long as the program (containers::isEventLoop): a counted loop
  // or a range-for over a collection repeats a call a bounded number of times.
#define TETHER_LOOP(Kind)                                                                          \
  bool Traverse##Kind(Kind *S) {                                                                   \
    bool Event = !Frames.empty() && containers::isEventLoop(S, C.Ctx);                             \
    if (Event)                                                                                     \
      ++Frames.back().Loops;                                                                       \
    bool R = Base::Traverse##Kind(S);                                                              \
    if (Event)                                                                                     \
      --Frames.back().Loops;                                                                       \
    return R;                                                                                      \
  }
  TETHER_LOOP(ForStmt)
  TETHER_LOOP(WhileStmt)
  TETHER_LOOP(DoStmt)
  TETHER_LOOP(CXXForRangeStmt)
#undef TETHER_LOOP

  bool VisitMemberExpr(MemberExpr *ME) {
    noteRef(ME);
    return true;
  }

  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    noteRef(DRE);
    // A function named other than as the callee of a call: its address escapes (a callback,
    // a thread body, an argument of std::bind).
    if (const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl()); FD && !Callees.contains(DRE) && !inSystem(FD)) {
      std::string U = C.addFunction(FD);
      if (!U.empty())
        C.Out.Functions[U].Callback = true;
    }
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    if (const Expr *Callee = CE->getCallee()) {
      Callee = Callee->IgnoreParenImpCasts();
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Callee))
        Callees.insert(DRE);
    }
    edge(CE->getDirectCallee());
    return true;
  }

  bool VisitCXXConstructExpr(CXXConstructExpr *CE) {
    edge(CE->getConstructor());
    return true;
  }

private:
  bool inSystem(const Decl *D) const {
    return D->getLocation().isValid() && SM.isInSystemHeader(D->getLocation());
  }

  void noteRef(const Expr *E) {
    if (!Frames.empty() && Refs.contains(E))
      C.Enclosing[E] = Frames.back().Fn;
  }

  void edge(const FunctionDecl *Target) {
    if (!Target || Frames.empty() || inSystem(Target))
      return;
    if (const FunctionDecl *Pattern = Target->getTemplateInstantiationPattern())
      Target = Pattern;
    std::string Callee = C.addFunction(Target);
    std::string Caller = C.addFunction(Frames.back().Fn);
    if (!Callee.empty() && !Caller.empty() && Callee != Caller)
      C.Out.Functions[Callee].Callers.insert({Caller, Frames.back().Loops > 0});
  }

  struct Frame {
    const FunctionDecl *Fn;
    unsigned Loops;
  };
  FactsCollector &C;
  const SourceManager &SM;
  const llvm::DenseSet<const Expr *> &Refs;
  std::vector<Frame> Frames;
  llvm::DenseSet<const DeclRefExpr *> Callees;
};

void FactsCollector::walk(const llvm::DenseSet<const Expr *> &Refs) {
  FactsWalker(*this, Refs).TraverseDecl(Ctx.getTranslationUnitDecl());
}

} // namespace clang::tidy::tether
