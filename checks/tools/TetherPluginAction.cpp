// libTetherClangPlugin.so: the tether checks inside an ordinary clang++ compile.
//
//   clang++-22 -fplugin=build/lib/libTetherClangPlugin.so -c file.cpp
//
// Unlike upstream's clang-tidy plugin action (which must be requested with -add-plugin), this
// action runs automatically next to the main action, so `-fplugin=` alone is enough. It runs all
// tether-* checks, narrowed by the nearest .clang-tidy (its Checks and CheckOptions apply) and by
// `-fplugin-arg-tether-checks=<glob list>`. Findings are ordinary compiler warnings: -Werror
// makes them errors, -w silences them, and NOLINT comments work as in clang-tidy.
#include "clang-tidy/ClangTidy.h"
#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang-tidy/ClangTidyOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Frontend/MultiplexConsumer.h"
#include "LoadGuard.h"
#include <cstdio>
#include <unistd.h>

namespace clang::tidy::tether {
namespace {

// Keeps the tidy context and its diagnostics engine alive exactly as long as the AST consumer.
class OwningConsumer : public MultiplexConsumer {
public:
  OwningConsumer(std::unique_ptr<ClangTidyContext> Context,
                 std::unique_ptr<ClangTidyDiagnosticConsumer> Collector,
                 std::unique_ptr<DiagnosticsEngine> DiagEngine,
                 std::vector<std::unique_ptr<ASTConsumer>> Consumers)
      : MultiplexConsumer(std::move(Consumers)), Context(std::move(Context)),
        Collector(std::move(Collector)), DiagEngine(std::move(DiagEngine)) {}

private:
  std::unique_ptr<ClangTidyContext> Context;
  std::unique_ptr<ClangTidyDiagnosticConsumer> Collector;
  std::unique_ptr<DiagnosticsEngine> DiagEngine;
};

// Runs after the checks: re-emits what they found through the compiler's own engine.
//
// Upstream's plugin forwards each finding as it happens, as a custom diagnostic that -Werror does
// not promote, so a team could not fail its build on tether findings. Collecting first also gives
// clang-tidy's output: sorted by position, duplicates (e.g. from template instantiations) merged,
// NOLINT applied.
class Reporter : public ASTConsumer {
public:
  Reporter(CompilerInstance &CI, ClangTidyDiagnosticConsumer &Collector)
      : CI(CI), Collector(Collector) {}

  void HandleTranslationUnit(ASTContext &) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    for (const ClangTidyError &E : Collector.take()) {
      bool IsError = E.DiagLevel == tooling::Diagnostic::Error || E.IsWarningAsError;
      if (!IsError && Diags.getIgnoreAllWarnings())
        continue;
      if (!IsError && Diags.getWarningsAsErrors())
        IsError = true;
      std::string Name = E.DiagnosticName;
      if (E.IsWarningAsError)
        Name += ",-warnings-as-errors";
      emit(IsError ? DiagnosticsEngine::Error : DiagnosticsEngine::Warning, E.Message,
           (llvm::Twine(E.Message.Message) + " [" + Name + "]").str());
      for (const tooling::DiagnosticMessage &Note : E.Notes)
        emit(DiagnosticsEngine::Note, Note, Note.Message);
    }
  }

private:
  void emit(DiagnosticsEngine::Level Level, const tooling::DiagnosticMessage &Where,
            const std::string &Text) {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    unsigned ID = Diags.getCustomDiagID(Level, "%0");
    Diags.Report(location(Where), ID) << Text;
  }

  SourceLocation location(const tooling::DiagnosticMessage &Where) {
    if (Where.FilePath.empty())
      return {};
    SourceManager &SM = CI.getSourceManager();
    auto File = SM.getFileManager().getOptionalFileRef(Where.FilePath);
    if (!File)
      return {};
    FileID FID = SM.getOrCreateFileID(*File, SrcMgr::C_User);
    return SM.getComposedLoc(FID, Where.FileOffset);
  }

  CompilerInstance &CI;
  ClangTidyDiagnosticConsumer &Collector;
};

class TetherPluginAction : public PluginASTAction {
public:
  ActionType getActionType() override { return AddBeforeMainAction; }

  bool ParseArgs(const CompilerInstance &CI, const std::vector<std::string> &Args) override {
    ClangTidyOptions Overrides;
    for (StringRef Arg : Args) {
      if (Arg.consume_front("checks=")) {
        Overrides.Checks = Arg.str();
        continue;
      }
      DiagnosticsEngine &Diags = CI.getDiagnostics();
      Diags.Report(Diags.getCustomDiagID(
          DiagnosticsEngine::Error,
          "tether plugin: unknown argument '%0' (supported: -fplugin-arg-tether-checks=<glob list>)"))
          << Arg;
      return false;
    }
    ClangTidyOptions Defaults = ClangTidyOptions::getDefaults();
    // Only the tether module is linked into the plugin; a .clang-tidy's Checks are appended to
    // this, so `-*,tether-raw-thread` there narrows it and a file that never mentions tether
    // keeps them all.
    Defaults.Checks = "-*,tether-*";
    Options = std::make_unique<FileOptionsProvider>(ClangTidyGlobalOptions(), Defaults, Overrides);
    return true;
  }

  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, StringRef File) override {
    auto Context = std::make_unique<ClangTidyContext>(std::move(Options));
    // No external engine: findings are collected, then reported by Reporter. Incompatible fix-its
    // must not drop findings: the plugin applies no fixes.
    auto Collector = std::make_unique<ClangTidyDiagnosticConsumer>(
        *Context, /*ExternalDiagEngine=*/nullptr, /*RemoveIncompatibleErrors=*/false);
    auto DiagOpts = std::make_unique<DiagnosticOptions>();
    auto DiagEngine = std::make_unique<DiagnosticsEngine>(DiagnosticIDs::create(), *DiagOpts,
                                                          Collector.get(), /*ShouldOwnClient=*/false);
    Context->setDiagnosticsEngine(std::move(DiagOpts), DiagEngine.get());

    ClangTidyASTConsumerFactory Factory(*Context);
    std::vector<std::unique_ptr<ASTConsumer>> Consumers;
    Consumers.push_back(Factory.createASTConsumer(CI, File));
    Consumers.push_back(std::make_unique<Reporter>(CI, *Collector));
    return std::make_unique<OwningConsumer>(std::move(Context), std::move(Collector),
                                            std::move(DiagEngine), std::move(Consumers));
  }

private:
  std::unique_ptr<ClangTidyOptionsProvider> Options;
};

} // namespace
} // namespace clang::tidy::tether

namespace {
void pluginAnchor() {}

// Loaded into a clang-tidy by mistake (`--load=libTetherClangPlugin.so`), this plugin would register
// a second copy of the tether module and a compiler action that clang-tidy also runs, which crashed
// on the first finding. Refuse with one line naming the right file, before any registration runs
// (priority 101: ahead of this object's ordinary static initializers).
__attribute__((constructor(101))) void refuseWrongHost() {
  using namespace tether::load_guard;
  const void *Self = reinterpret_cast<const void *>(&pluginAnchor);
  switch (detectHost(Self)) {
  case Host::Compiler:
    return;
  case Host::ClangTidy:
    std::fprintf(stderr,
                 "error: libTetherClangPlugin.so is tether's compiler plugin (clang++-22 "
                 "-fplugin=...); to load the tether checks into clang-tidy use --load=%s\n",
                 siblingPath(Self, "libTetherTidy.so").c_str());
    _exit(1);
  case Host::TetherTidy:
    std::fprintf(stderr, "error: tether-tidy has the tether checks built in: drop "
                         "--load=libTetherClangPlugin.so (it is the compiler plugin, for clang++-22 "
                         "-fplugin=...)\n");
    _exit(1);
  }
}
} // namespace

static clang::FrontendPluginRegistry::Add<clang::tidy::tether::TetherPluginAction>
    TetherPlugin("tether", "tether concurrency-safety checks (clang-tidy module as a plugin)");
