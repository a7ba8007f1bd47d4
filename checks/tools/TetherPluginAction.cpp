// libTetherClangPlugin.so: the tether checks inside an ordinary clang++ compile.
//
//   clang++-22 -fplugin=build/lib/libTetherClangPlugin.so -c file.cpp
//
// Unlike upstream's clang-tidy plugin action (which must be requested with -add-plugin), this
// action runs automatically next to the main action, so `-fplugin=` alone is enough. It runs all
// tether-* checks, narrowed by the nearest .clang-tidy (its Checks and CheckOptions apply) and by
// `-fplugin-arg-tether-checks=<glob list>`. Findings are ordinary compiler warnings: -Werror
// makes them errors, and NOLINT comments work as in clang-tidy.
#include "clang-tidy/ClangTidy.h"
#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang-tidy/ClangTidyOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Frontend/MultiplexConsumer.h"

namespace clang::tidy::tether {
namespace {

// Keeps the tidy context and its diagnostics engine alive exactly as long as the AST consumer.
class OwningConsumer : public MultiplexConsumer {
public:
  OwningConsumer(std::unique_ptr<ClangTidyContext> Context,
                 std::unique_ptr<DiagnosticsEngine> DiagEngine,
                 std::vector<std::unique_ptr<ASTConsumer>> Consumers)
      : MultiplexConsumer(std::move(Consumers)), Context(std::move(Context)),
        DiagEngine(std::move(DiagEngine)) {}

private:
  std::unique_ptr<ClangTidyContext> Context;
  std::unique_ptr<DiagnosticsEngine> DiagEngine;
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
    // Tidy diagnostics are forwarded to the compiler's own engine, so they print, count and
    // honour -Werror like compiler warnings.
    auto *DiagConsumer = new ClangTidyDiagnosticConsumer(*Context, &CI.getDiagnostics());
    auto DiagOpts = std::make_unique<DiagnosticOptions>();
    auto DiagEngine =
        std::make_unique<DiagnosticsEngine>(DiagnosticIDs::create(), *DiagOpts, DiagConsumer);
    Context->setDiagnosticsEngine(std::move(DiagOpts), DiagEngine.get());

    ClangTidyASTConsumerFactory Factory(*Context);
    std::vector<std::unique_ptr<ASTConsumer>> Consumers;
    Consumers.push_back(Factory.createASTConsumer(CI, File));
    return std::make_unique<OwningConsumer>(std::move(Context), std::move(DiagEngine),
                                            std::move(Consumers));
  }

private:
  std::unique_ptr<ClangTidyOptionsProvider> Options;
};

} // namespace
} // namespace clang::tidy::tether

static clang::FrontendPluginRegistry::Add<clang::tidy::tether::TetherPluginAction>
    TetherPlugin("tether", "tether concurrency-safety checks (clang-tidy module as a plugin)");
