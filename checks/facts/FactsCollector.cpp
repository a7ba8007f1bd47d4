#include "FactsCollector.h"
#include "../utils/ContainerEvidence.h"

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
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

bool FactsCollector::needsBody(const FunctionDecl *FD) {
  if (FD->isDeleted() || FD->isDefaulted() || FD->isPureVirtual())
    return false;
  // The C++03 noncopyable idiom: a private copy constructor / copy assignment declared and
  // deliberately never defined.
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD); MD && MD->getAccess() == AS_private) {
    if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(MD); Ctor && Ctor->isCopyConstructor())
      return false;
    if (MD->isCopyAssignmentOperator())
      return false;
  }
  return true;
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
  auto Note = [&](const FunctionDecl *FD) {
    if (!needsBody(FD))
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

// --- the call graph ------------------------------------------------------------------------------

void FactsCollector::walk(const llvm::DenseSet<const Expr *> &Refs) {
  // One traversal of the TU (utils/ContainerEvidence.h's FunctionIndex, the per-TU rule 3's own
  // index): every reference to a function with its enclosing function and event-loop flag, and the
  // enclosing function of each reference of interest.
  std::vector<const Stmt *> Watched(Refs.begin(), Refs.end());
  containers::FunctionIndex Index(Ctx, Watched);
  for (const Expr *E : Refs)
    if (const FunctionDecl *F = Index.placeOf(E).Function)
      Enclosing[E] = F;
  const SourceManager &SM = Ctx.getSourceManager();
  for (const auto &[Callee, Uses] : Index.allUses()) {
    const FunctionDecl *Target = Callee;
    if (Target->getLocation().isValid() && SM.isInSystemHeader(Target->getLocation()))
      continue; // the standard library's functions do not reach the program's containers
    if (const FunctionDecl *Pattern = Target->getTemplateInstantiationPattern())
      Target = Pattern;
    std::string Id;
    for (const containers::FunctionIndex::Use &U : Uses) {
      if (U.DirectCall && !U.From && !U.StaticInit)
        continue; // e.g. a default argument: no caller to record
      if (Id.empty())
        Id = addFunction(Target);
      if (Id.empty())
        break;
      tf::Function &F = Out.Functions[Id];
      if (!U.DirectCall) {
        F.Callback = true; // its address escapes: a lambda, a callback, a thread body
        continue;
      }
      std::string Caller = U.From ? addFunction(U.From) : std::string(); // "": a static initializer
      if (Caller != Id)
        F.Callers.insert({Caller, U.InEventLoop});
    }
  }
}

} // namespace clang::tidy::tether
