// tether-manual-lock: a mutex locked by hand stays locked on the path that forgets to unlock it (an
// early return, an exception). Use an RAII lock.
//
// Design notes (performance): the matchers are the manual-lock calls themselves, the blocks whose
// direct statements include one (for the fix-it), the lock()/unlock() members of classes (wrappers,
// recorded by source range before their bodies' calls are matched) and the unevaluated-operand
// recorders. No parent map.
#include "ManualLockCheck.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Lex/Lexer.h"
#include <algorithm>

using namespace clang::ast_matchers;

namespace clang::tidy::tether {
namespace {

constexpr llvm::StringLiteral Advice =
    "use 'std::lock_guard', 'std::scoped_lock' or 'std::unique_lock' so that it is released on every "
    "path";

std::vector<StringRef> methodNames(bool Locks, bool Unlocks) {
  std::vector<StringRef> Names;
  if (Locks)
    Names.insert(Names.end(), std::begin(locks::LockMethods), std::end(locks::LockMethods));
  if (Unlocks)
    Names.insert(Names.end(), std::begin(locks::UnlockMethods), std::end(locks::UnlockMethods));
  return Names;
}

/// Is \p S a call of member \p Name on a mutex type? Returns the call.
const CXXMemberCallExpr *mutexCall(const Stmt *S, StringRef Name, const NameList &MutexTypes) {
  const auto *Call = dyn_cast_or_null<CXXMemberCallExpr>(S);
  if (!Call)
    return nullptr;
  const CXXMethodDecl *MD = Call->getMethodDecl();
  if (!MD || !MD->getDeclName().isIdentifier() || MD->getName() != Name)
    return nullptr;
  return locks::isOrDerivesFrom(MD->getParent(), MutexTypes) ? Call : nullptr;
}

/// Does anything in \p S leave the block early (return, goto, throw, co_return, and break/continue not
/// inside a loop or switch of their own), or lock/unlock \p Mutex again, or use the name \p Name?
struct BlockScan {
  const ASTContext &Ctx;
  const Expr *Mutex;
  StringRef Name;
  bool Exits = false, Relocks = false, UsesName = false;

  void scan(const Stmt *S, bool InLoop, bool InSwitch) {
    if (!S || Exits)
      return;
    if (isa<ReturnStmt, GotoStmt, IndirectGotoStmt, CXXThrowExpr, CoreturnStmt>(S) ||
        (isa<BreakStmt>(S) && !InLoop && !InSwitch) || (isa<ContinueStmt>(S) && !InLoop)) {
      Exits = true;
      return;
    }
    if (const auto *DRE = dyn_cast<DeclRefExpr>(S); DRE && DRE->getDecl()->getDeclName().isIdentifier() &&
                                                    DRE->getDecl()->getName() == Name)
      UsesName = true;
    if (const auto *DS = dyn_cast<DeclStmt>(S))
      for (const Decl *D : DS->decls())
        if (const auto *ND = dyn_cast<NamedDecl>(D); ND && ND->getDeclName().isIdentifier() &&
                                                    ND->getName() == Name)
          UsesName = true;
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S))
      if (const CXXMethodDecl *MD = MC->getMethodDecl();
          MD && MD->getDeclName().isIdentifier() &&
          llvm::is_contained(methodNames(true, true), MD->getName()) &&
          locks::sameObject(MC->getImplicitObjectArgument(), Mutex, Ctx))
        Relocks = true;
    if (const auto *L = dyn_cast<LambdaExpr>(S)) {
      // The lambda's body runs elsewhere; only its captures' initializers run here.
      for (const Expr *Init : L->capture_inits())
        scan(Init, InLoop, InSwitch);
      return;
    }
    bool Loop = isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(S);
    bool Switch = isa<SwitchStmt>(S);
    for (const Stmt *Child : S->children())
      scan(Child, InLoop || Loop, InSwitch || Switch);
  }
};

bool hasNonTrivialDestructor(QualType T) {
  const CXXRecordDecl *RD = T->getBaseElementTypeUnsafe()->getAsCXXRecordDecl();
  return RD && RD->hasDefinition() && !RD->hasTrivialDestructor();
}

/// The range of statement \p S (a call) including its ';', or the whole line when the statement is
/// alone on it.
CharSourceRange statementRange(const Expr *S, const SourceManager &SM, const LangOptions &LO,
                               bool WholeLine) {
  SourceLocation AfterSemi = Lexer::findLocationAfterToken(S->getEndLoc(), tok::semi, SM, LO,
                                                           /*SkipTrailingWhitespaceAndNewLine=*/false);
  if (AfterSemi.isInvalid())
    return {};
  if (!WholeLine)
    return CharSourceRange::getCharRange(S->getBeginLoc(), AfterSemi);
  bool Invalid = false;
  StringRef Buffer = SM.getBufferData(SM.getFileID(S->getBeginLoc()), &Invalid);
  if (Invalid)
    return {};
  unsigned Begin = SM.getFileOffset(S->getBeginLoc()), End = SM.getFileOffset(AfterSemi);
  unsigned LineBegin = Begin;
  while (LineBegin > 0 && (Buffer[LineBegin - 1] == ' ' || Buffer[LineBegin - 1] == '\t'))
    --LineBegin;
  unsigned LineEnd = End;
  while (LineEnd < Buffer.size() && (Buffer[LineEnd] == ' ' || Buffer[LineEnd] == '\t'))
    ++LineEnd;
  bool AloneOnLine = (LineBegin == 0 || Buffer[LineBegin - 1] == '\n') &&
                     (LineEnd == Buffer.size() || Buffer[LineEnd] == '\n');
  if (!AloneOnLine)
    return CharSourceRange::getCharRange(S->getBeginLoc(), AfterSemi);
  if (LineEnd < Buffer.size())
    ++LineEnd;
  SourceLocation Start = S->getBeginLoc().getLocWithOffset(-(int)(Begin - LineBegin));
  return CharSourceRange::getCharRange(Start, Start.getLocWithOffset(LineEnd - LineBegin));
}

/// A member that forwards to a mutex: lock-family names, compared without case and underscores
/// (leveldb's port::Mutex::Lock(), a TryLock()), and constructors and destructors (a hand-written RAII
/// guard locks in one and unlocks in the other).
AST_MATCHER(CXXMethodDecl, isLockForwarder) {
  if (isa<CXXConstructorDecl, CXXDestructorDecl>(Node))
    return true;
  if (!Node.getDeclName().isIdentifier())
    return false;
  std::string Key;
  for (char C : Node.getName())
    if (C != '_')
      Key.push_back(llvm::toLower(C));
  for (StringRef N : methodNames(true, true)) {
    std::string Name = N.str();
    Name.erase(std::remove(Name.begin(), Name.end(), '_'), Name.end());
    if (Key == Name)
      return true;
  }
  return false;
}

} // namespace

ManualLockCheck::ManualLockCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      MutexTypes(NameList::fromOption(*this, Options, "MutexTypes", locks::DefaultMutexTypes,
                                      MutexTypesRaw)),
      LockFunctions(NameList::fromOption(*this, Options, "LockFunctions", locks::DefaultLockFunctions,
                                         LockFunctionsRaw)) {}

void ManualLockCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "MutexTypes", MutexTypesRaw);
  Options.store(Opts, "LockFunctions", LockFunctionsRaw);
}

void ManualLockCheck::onStartOfTranslationUnit() {
  Unevaluated.clear();
  Reported.clear();
  Wrappers.clear();
  TrivialPairs.clear();
}

void ManualLockCheck::registerMatchers(MatchFinder *Finder) {
  if (MutexTypes.empty() && LockFunctions.empty())
    return;
  UnevaluatedOperands::registerMatchers(Finder, this);
  std::vector<StringRef> AllMethods = methodNames(true, true);
  Finder->addMatcher(cxxMethodDecl(isDefinition(), unless(isExpansionInSystemHeader()),
                                   isLockForwarder())
                         .bind("wrapper"),
                     this);
  if (!MutexTypes.empty()) {
    auto MutexCall = cxxMemberCallExpr(
        callee(cxxMethodDecl(hasAnyName(AllMethods),
                             ofClass(cxxRecordDecl(isSameOrDerivedFrom(MutexTypes.matcher()))))
                   .bind("method")),
        unless(isExpansionInSystemHeader()));
    Finder->addMatcher(MutexCall.bind("call"), this);
    Finder->addMatcher(compoundStmt(unless(isExpansionInSystemHeader()),
                                    hasAnySubstatement(cxxMemberCallExpr(
                                        callee(cxxMethodDecl(hasName("lock"))))))
                           .bind("block"),
                       this);
  }
  if (!LockFunctions.empty())
    Finder->addMatcher(callExpr(callee(functionDecl(LockFunctions.matcher()).bind("fn")),
                                unless(isExpansionInSystemHeader()))
                           .bind("call"),
                       this);
}

void ManualLockCheck::recordWrapper(const FunctionDecl &FD, const SourceManager &SM) {
  const Stmt *Body = FD.getBody();
  if (!Body)
    return;
  auto [BF, BO] = SM.getDecomposedExpansionLoc(Body->getBeginLoc());
  auto [EF, EO] = SM.getDecomposedExpansionLoc(Body->getEndLoc());
  if (BF.isValid() && BF == EF)
    Wrappers.push_back({BF, BO, EO});
}

bool ManualLockCheck::inWrapper(const Stmt &S, const SourceManager &SM) const {
  auto [F, O] = SM.getDecomposedExpansionLoc(S.getBeginLoc());
  for (const Range &R : Wrappers)
    if (R.File == F && R.Begin <= O && O <= R.End)
      return true;
  return false;
}

void ManualLockCheck::recordTrivialBlock(const CompoundStmt &Block, ASTContext &Ctx) {
  if (Block.size() < 2)
    return;
  const CXXMemberCallExpr *Lock = mutexCall(Block.body_front(), "lock", MutexTypes);
  const CXXMemberCallExpr *Unlock = mutexCall(Block.body_back(), "unlock", MutexTypes);
  if (!Lock || !Unlock || Lock->getBeginLoc().isMacroID() || Lock->getEndLoc().isMacroID() ||
      Unlock->getBeginLoc().isMacroID() || Unlock->getEndLoc().isMacroID() ||
      !locks::sameObject(Lock->getImplicitObjectArgument(), Unlock->getImplicitObjectArgument(), Ctx))
    return;
  BlockScan Scan{Ctx, Lock->getImplicitObjectArgument(), "lk"};
  for (auto It = Block.body_begin() + 1, End = Block.body_end() - 1; It != End; ++It) {
    Scan.scan(*It, false, false);
    if (const auto *DS = dyn_cast<DeclStmt>(*It))
      for (const Decl *D : DS->decls())
        if (const auto *VD = dyn_cast<VarDecl>(D); VD && hasNonTrivialDestructor(VD->getType()))
          return; // its destructor would run with the lock held, where it ran after unlock()
  }
  if (Scan.Exits || Scan.Relocks || Scan.UsesName)
    return;
  TrivialPairs[Lock] = Unlock;
}

void ManualLockCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result))
    return;
  const SourceManager &SM = *Result.SourceManager;
  if (const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("wrapper")) {
    recordWrapper(*FD, SM);
    return;
  }
  if (const auto *Block = Result.Nodes.getNodeAs<CompoundStmt>("block")) {
    recordTrivialBlock(*Block, *Result.Context);
    return;
  }
  const auto *Call = Result.Nodes.getNodeAs<CallExpr>("call");
  if (!Call)
    return;
  SourceLocation Loc = userLocation(SM, Call->getExprLoc());
  if (Reported.claimed(Loc) || Unevaluated.contains(Call, SM) || inWrapper(*Call, SM))
    return;
  if (!Reported.claim(Loc))
    return;

  if (const auto *MD = Result.Nodes.getNodeAs<CXXMethodDecl>("method")) {
    bool IsUnlock = llvm::is_contained(methodNames(false, true), MD->getName());
    auto D = diag(Loc, "manual '%0()' on '%1' %2; %3")
             << MD->getName() << MD->getParent()->getQualifiedNameAsString()
             << (IsUnlock ? "releases the lock outside an RAII owner"
                          : "keeps it locked on every path that misses the unlock")
             << Advice << Call->getSourceRange();
    auto Pair = TrivialPairs.find(Call);
    if (Pair == TrivialPairs.end())
      return;
    // The trivial shape: `m.lock(); ... m.unlock();` filling one block.
    const LangOptions &LO = Result.Context->getLangOpts();
    const auto *Lock = cast<CXXMemberCallExpr>(Call);
    const Expr *Obj = Lock->getImplicitObjectArgument();
    const auto *ME = dyn_cast<MemberExpr>(Lock->getCallee()->IgnoreParenImpCasts());
    std::string Text;
    if (Obj->isImplicitCXXThis())
      Text = "*this";
    else {
      Text = Lexer::getSourceText(CharSourceRange::getTokenRange(Obj->getSourceRange()), SM, LO).str();
      if (ME && ME->isArrow())
        Text = isa<DeclRefExpr, MemberExpr>(Obj->IgnoreParenImpCasts()) ? "*" + Text : "*(" + Text + ")";
    }
    QualType MutexType = Obj->getType();
    if (ME && ME->isArrow())
      MutexType = MutexType->getPointeeType();
    std::string Guard = LO.CPlusPlus17
                            ? "std::lock_guard"
                            : "std::lock_guard<" +
                                  MutexType.getUnqualifiedType().getAsString(
                                      Result.Context->getPrintingPolicy()) +
                                  ">";
    CharSourceRange LockRange = statementRange(Lock, SM, LO, false);
    CharSourceRange UnlockRange = statementRange(Pair->second, SM, LO, true);
    if (Text.empty() || LockRange.isInvalid() || UnlockRange.isInvalid())
      return;
    D << FixItHint::CreateReplacement(LockRange, Guard + " lk(" + Text + ");")
      << FixItHint::CreateRemoval(UnlockRange);
    return;
  }
  const auto *Fn = Result.Nodes.getNodeAs<FunctionDecl>("fn");
  diag(Loc, "manual '%0()' locks or unlocks a mutex outside an RAII owner; %1")
      << Fn->getName() << Advice << Call->getSourceRange();
}

} // namespace clang::tidy::tether
