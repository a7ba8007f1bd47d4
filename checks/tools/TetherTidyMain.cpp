// tether-tidy: clang-tidy with the tether module linked in, so no --load is needed.
#include "clang-tidy/tool/ClangTidyMain.h"

// Exported (see checks/CMakeLists.txt) so that tether's .so files, given to tether-tidy's --load
// by mistake, can say that the checks are built in (tools/LoadGuard.h).
extern "C" {
extern const char tether_tidy_has_tether_checks_built_in[];
__attribute__((used, visibility("default"))) const char tether_tidy_has_tether_checks_built_in[] =
    "tether";
}

int main(int argc, const char **argv) { return clang::tidy::clangTidyMain(argc, argv); }
