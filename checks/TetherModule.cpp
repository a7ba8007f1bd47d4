// The tether clang-tidy module: registers every tether-* check under one name so that all four
// delivery routes (--load, tether-tidy, tether-clangd, -fplugin) see the same set.
#include "BackgroundContextCheck.h"
#include "BlockingUnderLockCheck.h"
#include "ComponentNameCheck.h"
#include "ManualLockCheck.h"
#include "OptionUtils.h"
#include "PlainStopFlagCheck.h"
#include "RawThreadCheck.h"
#include "SpawnInLoopCheck.h"
#include "ThreadDetachCheck.h"
#include "UnboundedContainerCheck.h"
#include "UnguardedLoopCheck.h"
#include "clang-tidy/ClangTidyModule.h"

namespace clang::tidy::tether {

class TetherModule : public ClangTidyModule {
public:
  void addCheckFactories(ClangTidyCheckFactories &Factories) override {
    registerTetherCheck<RawThreadCheck>(Factories, "tether-raw-thread");
    registerTetherCheck<ThreadDetachCheck>(Factories, "tether-thread-detach");
    registerTetherCheck<UnguardedLoopCheck>(Factories, "tether-unguarded-loop");
    registerTetherCheck<UnboundedContainerCheck>(Factories, "tether-unbounded-container");
    registerTetherCheck<SpawnInLoopCheck>(Factories, "tether-spawn-in-loop");
    registerTetherCheck<BackgroundContextCheck>(Factories, "tether-background-context");
    registerTetherCheck<ComponentNameCheck>(Factories, "tether-component-name");
    registerTetherCheck<ManualLockCheck>(Factories, "tether-manual-lock");
    registerTetherCheck<BlockingUnderLockCheck>(Factories, "tether-blocking-under-lock");
    registerTetherCheck<PlainStopFlagCheck>(Factories, "tether-plain-stop-flag");
  }

private:
  // Like Factories.registerCheck<T>(Name), through makeCheck (OptionUtils.h), which makes
  // --verify-config report bad option values.
  template <class CheckT>
  static void registerTetherCheck(ClangTidyCheckFactories &Factories, StringRef Name) {
    Factories.registerCheckFactory(Name, [](StringRef Name, ClangTidyContext *Context) {
      return makeCheck(Name, Context, [](StringRef Name, ClangTidyContext *Context) {
        return std::unique_ptr<ClangTidyCheck>(std::make_unique<CheckT>(Name, Context));
      });
    });
  }
};

} // namespace clang::tidy::tether

namespace clang::tidy {
// Registration runs when the object file is loaded: by dlopen (--load, -fplugin) or by being
// linked into tether-tidy / tether-clangd through the OBJECT library.
static ClangTidyModuleRegistry::Add<tether::TetherModule>
    TetherModuleRegistration("tether-module", "Go-style concurrency safety checks (tether).");
} // namespace clang::tidy
