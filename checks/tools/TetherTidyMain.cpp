// tether-tidy: clang-tidy with the tether module linked in, so no --load is needed.
#include "clang-tidy/tool/ClangTidyMain.h"

int main(int argc, const char **argv) { return clang::tidy::clangTidyMain(argc, argv); }
