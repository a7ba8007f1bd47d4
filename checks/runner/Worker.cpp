#include "Worker.h"

#include "clang-tidy/ClangTidy.h"
#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang/Lex/PreprocessorOptions.h"
#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Frontend/MultiplexConsumer.h"
#include "clang/Lex/Lexer.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <map>

namespace tether::runner {
namespace {

using namespace clang;
namespace tidy = clang::tidy;

// The declaration enclosing `Loc`, found by descending from the translation unit through the
// declaration contexts whose extent contains it (namespaces, classes, linkage specs) down to a
// function. Qualified name of the innermost one; "" at file scope. Only declarations that begin
// in the same file are considered, which keeps this a short walk per finding.
std::string enclosingScope(ASTContext &Ctx, SourceLocation Loc) {
  const SourceManager &SM = Ctx.getSourceManager();
  FileID FID = SM.getFileID(Loc);
  const DeclContext *DC = Ctx.getTranslationUnitDecl();
  std::string Best;
  while (DC) {
    const Decl *Inner = nullptr;
    for (const Decl *D : DC->decls()) {
      if (D->isImplicit())
        continue;
      SourceRange R = D->getSourceRange();
      if (R.isInvalid())
        continue;
      SourceLocation B = SM.getExpansionLoc(R.getBegin());
      SourceLocation E = SM.getExpansionRange(R.getEnd()).getEnd();
      if (SM.getFileID(B) != FID && !isa<LinkageSpecDecl>(D))
        continue;
      if (SM.isBeforeInTranslationUnit(Loc, B) || SM.isBeforeInTranslationUnit(E, Loc))
        continue;
      Inner = D;
      break;
    }
    if (!Inner)
      break;
    if (const auto *T = dyn_cast<TemplateDecl>(Inner); T && T->getTemplatedDecl())
      Inner = T->getTemplatedDecl();
    if (const auto *ND = dyn_cast<NamedDecl>(Inner); ND && !isa<LinkageSpecDecl>(Inner))
      Best = ND->getQualifiedNameAsString();
    if (isa<FunctionDecl>(Inner))
      break;
    if (isa<NamespaceDecl, RecordDecl, LinkageSpecDecl, ExportDecl>(Inner))
      DC = dyn_cast<DeclContext>(Inner);
    else
      break;
  }
  return Best;
}

// Collects findings, turning clang-tidy's SourceManager-free errors into our Findings with
// line/column, and the fingerprint inputs when the AST is at hand.
class Collector {
public:
  explicit Collector(TUResult &Result) : Result(Result) {}

  void add(std::vector<tidy::ClangTidyError> Errors, ASTContext *Ctx) {
    for (tidy::ClangTidyError &E : Errors) {
      // Compiler errors make the TU a failed one (reported by the parent), not a finding.
      if (E.DiagnosticName == "clang-diagnostic-error")
        continue;
      // A whole-program facts probe that survived NOLINT and the header filter (facts/Facts.h).
      if (llvm::StringRef(E.Message.Message).starts_with(tether::facts::ProbePrefix)) {
        if (tether::facts::Sink *S = tether::facts::currentSink())
          tether::facts::markProbe(S->Facts, E.Message.Message,
                                   E.DiagLevel == tooling::Diagnostic::Error || E.IsWarningAsError);
        continue;
      }
      Finding F;
      F.Check = E.DiagnosticName;
      bool IsError = E.DiagLevel == tooling::Diagnostic::Error || E.IsWarningAsError;
      F.Level = IsError ? "error" : "warning";
      F.Main = convert(E.Message, E.BuildDirectory);
      for (const tooling::DiagnosticMessage &N : E.Notes)
        F.Notes.push_back(convert(N, E.BuildDirectory));
      if (!F.Main.File.empty()) {
        F.Tokens = tokensAt(F.Main.File, F.Main.Offset, Ctx ? &Ctx->getLangOpts() : nullptr);
        if (Ctx)
          F.Scope = scopeOf(*Ctx, F.Main.File, F.Main.Offset);
      }
      Result.Findings.push_back(std::move(F));
    }
  }

  void addDependencies(const SourceManager &SM) {
    for (auto It = SM.fileinfo_begin(); It != SM.fileinfo_end(); ++It) {
      std::optional<llvm::MemoryBufferRef> Buffer = It->second->getBufferIfLoaded();
      if (!Buffer)
        continue;
      llvm::SmallString<256> Path(It->first.getName());
      SM.getFileManager().makeAbsolutePath(Path);
      // Only "." components: removing ".." lexically is wrong across symlinks (with a compiler
      // named without a folder, libstdc++ is found as /lib/gcc/<triple>/12/../../../../include,
      // /lib being a link to /usr/lib; lexically that is /include, which does not exist, so the
      // entry never validated and the cache never hit).
      llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/false);
      Deps[std::string(Path)] = contentHash(Buffer->getBuffer().str());
    }
  }

  void finish() {
    for (auto &[Path, Hash] : Deps)
      Result.Dependencies.push_back({Path, Hash});
  }

private:
  Message convert(const tooling::DiagnosticMessage &M, const std::string &BuildDir) {
    Message Out;
    Out.Text = M.Message;
    if (M.FilePath.empty())
      return Out;
    llvm::SmallString<256> Path(M.FilePath);
    if (!llvm::sys::path::is_absolute(Path) && !BuildDir.empty())
      llvm::sys::path::make_absolute(BuildDir, Path);
    llvm::sys::path::remove_dots(Path, true);
    Out.File = std::string(Path);
    Out.Offset = M.FileOffset;
    if (const std::string *Text = contents(Out.File)) {
      unsigned Line = 1, LineStart = 0;
      for (unsigned I = 0; I < M.FileOffset && I < Text->size(); ++I)
        if ((*Text)[I] == '\n') {
          ++Line;
          LineStart = I + 1;
        }
      Out.Line = Line;
      Out.Column = M.FileOffset - LineStart + 1;
    }
    return Out;
  }

  const std::string *contents(const std::string &Path) {
    auto It = Files.find(Path);
    if (It == Files.end()) {
      auto Buffer = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false, /*RequiresNullTerminator=*/true);
      std::string Text = Buffer ? (*Buffer)->getBuffer().str() : std::string();
      It = Files.emplace(Path, std::move(Text)).first;
    }
    return It->second.empty() ? nullptr : &It->second;
  }

  std::string tokensAt(const std::string &Path, unsigned Offset, const LangOptions *Opts) {
    const std::string *Text = contents(Path);
    return Text ? runner::tokensAt(*Text, Offset, Opts) : std::string();
  }

  std::string scopeOf(ASTContext &Ctx, const std::string &Path, unsigned Offset) {
    SourceManager &SM = Ctx.getSourceManager();
    OptionalFileEntryRef FE = SM.getFileManager().getOptionalFileRef(Path);
    if (!FE)
      return "";
    FileID FID = SM.translateFile(*FE);
    if (FID.isInvalid())
      return "";
    return enclosingScope(Ctx, SM.getComposedLoc(FID, Offset));
  }

  TUResult &Result;
  // A Collector lives for one TU: one entry per file the TU read.
  std::map<std::string, std::string> Files; // NOLINT(tether-unbounded-container): one TU's files
  std::map<std::string, std::string> Deps;  // NOLINT(tether-unbounded-container): one TU's files
};

// clang-tidy's diagnostic consumer, also remembering the first compiler error as clang prints it.
class RecordingConsumer : public tidy::ClangTidyDiagnosticConsumer {
public:
  RecordingConsumer(tidy::ClangTidyContext &Ctx) : ClangTidyDiagnosticConsumer(Ctx, nullptr, true, false) {}

  void HandleDiagnostic(DiagnosticsEngine::Level Level, const Diagnostic &Info) override {
    // Errors of clang-tidy's own engine (a bad check option) are configuration errors, which the
    // parent reports; they also make the frontend report failure, as they share this consumer.
    if (Level >= DiagnosticsEngine::Error && Info.getDiags() == TidyEngine) {
      SawTidyError = true;
    } else if (Level >= DiagnosticsEngine::Error && FirstError.empty()) {
      llvm::SmallString<256> Text;
      Info.FormatDiagnostic(Text);
      std::string Where;
      if (Info.getLocation().isValid() && Info.hasSourceManager()) {
        PresumedLoc P = Info.getSourceManager().getPresumedLoc(
            Info.getSourceManager().getFileLoc(Info.getLocation()));
        if (P.isValid())
          Where = std::string(P.getFilename()) + ":" + std::to_string(P.getLine()) + ":" +
                  std::to_string(P.getColumn()) + ": ";
      }
      FirstError = Where + "error: " + std::string(Text);
    }
    ClangTidyDiagnosticConsumer::HandleDiagnostic(Level, Info);
  }

  std::string FirstError;
  bool SawTidyError = false;
  const DiagnosticsEngine *TidyEngine = nullptr;
};

// Runs after clang-tidy's own consumer, while the AST is alive: takes the findings so far and
// resolves their enclosing declarations, and records every file the TU read.
class AfterChecks : public ASTConsumer {
public:
  AfterChecks(RecordingConsumer &Diags, Collector &Out, std::string File)
      : Diags(Diags), Out(Out), File(std::move(File)) {}

  void HandleTranslationUnit(ASTContext &Ctx) override {
    // Test-only hook (documented in docs/cli.md): lets the suite crash a worker deterministically.
    if (const char *Needle = std::getenv("TETHER_TEST_CRASH_ON"); Needle && *Needle &&
        File.find(Needle) != std::string::npos) {
      llvm::errs() << "tether: TETHER_TEST_CRASH_ON matches " << File << ": crashing as asked\n";
      std::abort();
    }
    Out.add(Diags.take(), &Ctx);
    Out.addDependencies(Ctx.getSourceManager());
  }

private:
  RecordingConsumer &Diags;
  Collector &Out;
  std::string File;
};

class ActionFactory : public tooling::FrontendActionFactory {
public:
  ActionFactory(tidy::ClangTidyContext &Context, RecordingConsumer &Diags, Collector &Out,
                TUResult &Result, llvm::IntrusiveRefCntPtr<llvm::vfs::OverlayFileSystem> FS)
      : Factory(Context, std::move(FS)), Diags(Diags), Out(Out), Result(Result) {}

  std::unique_ptr<FrontendAction> create() override { return std::make_unique<Action>(*this); }

  bool runInvocation(std::shared_ptr<CompilerInvocation> Invocation, FileManager *Files,
                     std::shared_ptr<PCHContainerOperations> PCH, DiagnosticConsumer *DC) override {
    // As clang-tidy: define __clang_analyzer__.
    Invocation->getPreprocessorOpts().SetUpStaticAnalyzer = true;
    return FrontendActionFactory::runInvocation(Invocation, Files, PCH, DC);
  }

private:
  class Action : public ASTFrontendAction {
  public:
    explicit Action(ActionFactory &F) : F(F) {}
    std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, StringRef File) override {
      std::vector<std::unique_ptr<ASTConsumer>> Consumers;
      Consumers.push_back(F.Factory.createASTConsumer(CI, File));
      for (std::string &Name : F.Factory.getCheckNames())
        F.Result.EnabledChecks.push_back(std::move(Name));
      Consumers.push_back(std::make_unique<AfterChecks>(F.Diags, F.Out, File.str()));
      return std::make_unique<MultiplexConsumer>(std::move(Consumers));
    }

  private:
    ActionFactory &F;
  };

  tidy::ClangTidyASTConsumerFactory Factory;
  RecordingConsumer &Diags;
  Collector &Out;
  TUResult &Result;
};

} // namespace

// The tokens from `Offset` to the end of the statement (`;`, `{` or `}`), at most 32, joined
// without whitespace: the finding's own text, unchanged by reformatting.
std::string tokensAt(const std::string &TextRef, unsigned Offset, const clang::LangOptions *Opts) {
  const std::string *Text = &TextRef;
  if (Offset >= Text->size())
    return "";
  LangOptions Default;
  Default.CPlusPlus = Default.CPlusPlus11 = Default.CPlusPlus14 = Default.CPlusPlus17 =
      Default.CPlusPlus20 = true;
  const char *Begin = Text->data();
  SourceLocation Base = SourceLocation::getFromRawEncoding(1);
  Lexer Lex(Base, Opts ? *Opts : Default, Begin, Begin + Offset, Begin + Text->size());
  std::string Out;
  Token Tok;
  for (int I = 0; I < 32; ++I) {
    if (Lex.LexFromRawLexer(Tok) && Tok.is(tok::eof))
      break;
    if (Tok.is(tok::eof))
      break;
    unsigned Start = Tok.getLocation().getRawEncoding() - Base.getRawEncoding();
    Out.append(Begin + Start, Tok.getLength());
    Out.push_back(' ');
    if (Tok.isOneOf(tok::semi, tok::l_brace, tok::r_brace))
      break;
  }
  if (!Out.empty())
    Out.pop_back();
  return Out;
}

std::unique_ptr<tidy::ClangTidyOptionsProvider> makeOptionsProvider(const RunConfig &Config) {
  tidy::ClangTidyOptions Defaults = tidy::ClangTidyOptions::getDefaults();
  Defaults.Checks = DefaultChecks;
  tidy::ClangTidyOptions Overrides;
  if (Config.Checks)
    Overrides.Checks = *Config.Checks;
  return std::make_unique<tidy::FileOptionsProvider>(tidy::ClangTidyGlobalOptions(), std::move(Defaults),
                                                     std::move(Overrides),
                                                     llvm::vfs::getRealFileSystem());
}

TUResult analyseTU(const RunConfig &Config, const tooling::CompilationDatabase &Compilations,
                   const std::string &File) {
  auto Start = std::chrono::steady_clock::now();
  TUResult Result;
  Result.File = File;

  tidy::ClangTidyContext Context(makeOptionsProvider(Config), /*AllowEnablingAnalyzerAlphaCheckers=*/false,
                                 /*EnableModuleHeadersParsing=*/false, /*ExperimentalCustomChecks=*/false);
  auto BaseFS = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
  tooling::ClangTool Tool(Compilations, {File}, std::make_shared<PCHContainerOperations>(), BaseFS);
  // The same adjusters as clang-tidy's runClangTidy: the config's ExtraArgs(Before), no plugins.
  Tool.appendArgumentsAdjuster([&Context](const tooling::CommandLineArguments &Args, StringRef Filename) {
    tidy::ClangTidyOptions Opts = Context.getOptionsForFile(Filename);
    tooling::CommandLineArguments Adjusted = Args;
    if (Opts.ExtraArgsBefore) {
      auto I = Adjusted.begin();
      if (I != Adjusted.end() && !StringRef(*I).starts_with("-"))
        ++I;
      Adjusted.insert(I, Opts.ExtraArgsBefore->begin(), Opts.ExtraArgsBefore->end());
    }
    if (Opts.ExtraArgs)
      Adjusted.insert(Adjusted.end(), Opts.ExtraArgs->begin(), Opts.ExtraArgs->end());
    return Adjusted;
  });
  Tool.appendArgumentsAdjuster(tooling::getStripPluginsAdjuster());

  RecordingConsumer Diags(Context);
  auto DiagOpts = std::make_unique<DiagnosticOptions>();
  DiagnosticsEngine DE(llvm::makeIntrusiveRefCnt<DiagnosticIDs>(), *DiagOpts, &Diags,
                       /*ShouldOwnClient=*/false);
  Context.setDiagnosticsEngine(std::move(DiagOpts), &DE);
  Diags.TidyEngine = &DE;
  Tool.setDiagnosticConsumer(&Diags);

  Collector Out(Result);
  ActionFactory Factory(Context, Diags, Out, Result, BaseFS);
  std::optional<tether::facts::Sink> Sink;
  if (Config.WholeProgram) {
    Sink.emplace();
    Sink->ReplacePerTU = true;
    tether::facts::setSink(&*Sink);
  }
  int Status = Tool.run(&Factory);
  // Whatever came after the AST consumers (or everything, when parsing stopped early).
  Out.add(Diags.take(), nullptr);
  Out.finish();
  if (Sink) {
    tether::facts::setSink(nullptr);
    Result.Facts = std::move(Sink->Facts);
    Result.Facts.TU = File;
  }

  if (!Diags.FirstError.empty() || (Status != 0 && !Diags.SawTidyError)) {
    Result.State = TUResult::Status::Failed;
    Result.Failure = Diags.FirstError.empty() ? "the compiler failed without a diagnostic" : Diags.FirstError;
  }
  llvm::sort(Result.EnabledChecks);
  Result.EnabledChecks.erase(std::unique(Result.EnabledChecks.begin(), Result.EnabledChecks.end()),
                             Result.EnabledChecks.end());
  Result.Seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - Start).count();
  return Result;
}

} // namespace tether::runner
