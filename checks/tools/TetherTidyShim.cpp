// libTetherTidy.so: the file users give clang-tidy (`clang-tidy-22 --load=build/lib/libTetherTidy.so`).
//
// A small front for the real module, libTetherTidyChecks.so, which sits next to it. The real module
// resolves clang-tidy's own symbols from the host clang-tidy, so a compiler's dlopen of it fails
// with an "undefined symbol" error before any of its code can run. This front needs only what
// every clang-based tool has (clang's plugin registry), so it always loads and can look at its host:
//  - clang-tidy: it loads the real module, which registers the tether checks;
//  - a compiler (`clang++ -fplugin=libTetherTidy.so`, the easy mistake): it registers a plugin
//    whose only job is a compiler error naming the file to use instead;
//  - tether-tidy, which has the checks built in: one line saying to drop --load.
#include "LoadGuard.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include <cstdio>
#include <unistd.h>

namespace {

using namespace tether::load_guard;

void anchor() {}

std::string pluginPath() {
  return siblingPath(reinterpret_cast<const void *>(&anchor), "libTetherClangPlugin.so");
}

// Runs in a compile that loaded the tidy module with -fplugin: fails it with one clear error.
class WrongFileAction : public clang::PluginASTAction {
public:
  ActionType getActionType() override { return AddBeforeMainAction; }
  bool ParseArgs(const clang::CompilerInstance &CI, const std::vector<std::string> &) override {
    clang::DiagnosticsEngine &Diags = CI.getDiagnostics();
    Diags.Report(Diags.getCustomDiagID(
        clang::DiagnosticsEngine::Error,
        "libTetherTidy.so is tether's clang-tidy module (clang-tidy-22 --load=...); to run the "
        "tether checks in a compile use -fplugin=%0"))
        << pluginPath();
    return false;
  }
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &,
                                                        llvm::StringRef) override {
    return std::make_unique<clang::ASTConsumer>();
  }
};

bool load() {
  const void *Self = reinterpret_cast<const void *>(&anchor);
  switch (detectHost(Self)) {
  case Host::ClangTidy: {
    std::string Module = siblingPath(Self, "libTetherTidyChecks.so");
    if (!dlopen(Module.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
      std::fprintf(stderr, "error: libTetherTidy.so: cannot load the tether checks from %s: %s\n",
                   Module.c_str(), dlerror());
      _exit(1);
    }
    return true;
  }
  case Host::TetherTidy:
    std::fprintf(stderr, "error: tether-tidy has the tether checks built in: drop "
                         "--load=libTetherTidy.so (it is for the stock clang-tidy-22)\n");
    _exit(1);
  case Host::Compiler:
    // Leaked on purpose: the registry keeps a pointer to it for the life of the process.
    new clang::FrontendPluginRegistry::Add<WrongFileAction>(
        "tether", "libTetherTidy.so loaded into a compiler: reports which file to use instead");
    return true;
  }
  return true;
}

[[maybe_unused]] const bool Loaded = load();

} // namespace
