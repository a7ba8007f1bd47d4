// tether-clangd: clangd with the tether module linked in. clangd runs checks it does not know
// only when the project's .clangd sets `Diagnostics: ClangTidy: FastCheckFilter: Loose` (or None).

// Debian ships libclangdMain.a but not its header.
namespace clang::clangd {
int clangdMain(int argc, char *argv[]);
} // namespace clang::clangd

int main(int argc, char *argv[]) { return clang::clangd::clangdMain(argc, argv); }
