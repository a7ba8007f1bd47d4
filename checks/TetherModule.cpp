// The tether clang-tidy module: registers every tether-* check under one name so that all four
// delivery routes (--load, tether-tidy, tether-clangd, -fplugin) see the same set.
#include "BackgroundContextCheck.h"
#include "BlockingUnderLockCheck.h"
#include "ComponentNameCheck.h"
#include "ManualLockCheck.h"
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
    Factories.registerCheck<RawThreadCheck>("tether-raw-thread");
    Factories.registerCheck<ThreadDetachCheck>("tether-thread-detach");
    Factories.registerCheck<UnguardedLoopCheck>("tether-unguarded-loop");
    Factories.registerCheck<UnboundedContainerCheck>("tether-unbounded-container");
    Factories.registerCheck<SpawnInLoopCheck>("tether-spawn-in-loop");
    Factories.registerCheck<BackgroundContextCheck>("tether-background-context");
    Factories.registerCheck<ComponentNameCheck>("tether-component-name");
    Factories.registerCheck<ManualLockCheck>("tether-manual-lock");
    Factories.registerCheck<BlockingUnderLockCheck>("tether-blocking-under-lock");
  }
};

} // namespace clang::tidy::tether

namespace clang::tidy {
// Registration runs when the object file is loaded: by dlopen (--load, -fplugin) or by being
// linked into tether-tidy / tether-clangd through the OBJECT library.
static ClangTidyModuleRegistry::Add<tether::TetherModule>
    TetherModuleRegistration("tether-module", "Go-style concurrency safety checks (tether).");
} // namespace clang::tidy
