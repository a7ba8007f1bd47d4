// Which tool has loaded one of tether's shared objects? Used by the two .so files to refuse, with
// one clear line, being loaded into the wrong tool (issue 9, crash #2):
//
//   libTetherTidy.so         (clang-tidy-22 --load=)  loaded by a compiler's -fplugin=
//   libTetherClangPlugin.so  (clang++-22 -fplugin=)   loaded by clang-tidy's --load=
//
// The host is recognised by the symbols it exports to plugins: the stock clang-tidy exports its
// module registry (`llvm::Registry<clang::tidy::ClangTidyModule>::Head`) so that --load modules can
// register; tether-tidy exports the marker symbol below. A compiler exports neither. Only symbols
// defined by another object than the asking .so count: the compiler plugin links clang-tidy's
// engine in statically and so defines a registry of its own.
#ifndef TETHER_CHECKS_TOOLS_LOADGUARD_H
#define TETHER_CHECKS_TOOLS_LOADGUARD_H

#include <dlfcn.h>
#include <string>

namespace tether::load_guard {

/// Exported by tether-tidy (see checks/CMakeLists.txt), which has the checks built in.
inline constexpr const char TetherTidyMarker[] = "tether_tidy_has_tether_checks_built_in";

/// The mangled name of `llvm::Registry<clang::tidy::ClangTidyModule>::Head`.
inline constexpr const char TidyModuleRegistry[] =
    "_ZN4llvm8RegistryIN5clang4tidy15ClangTidyModuleEE4HeadE";

enum class Host { Compiler, ClangTidy, TetherTidy };

/// The base address of the object holding \p Address, or null.
inline void *objectBase(const void *Address) {
  Dl_info Info;
  return Address && dladdr(Address, &Info) ? Info.dli_fbase : nullptr;
}

/// Is \p Symbol exported by an object of the process other than the one holding \p Self?
inline bool exportedByOther(const char *Symbol, const void *Self) {
  void *Address = dlsym(RTLD_DEFAULT, Symbol);
  return Address && objectBase(Address) != objectBase(Self);
}

/// The tool that loaded the object holding \p Self (any address inside it).
inline Host detectHost(const void *Self) {
  if (exportedByOther(TetherTidyMarker, Self))
    return Host::TetherTidy;
  if (exportedByOther(TidyModuleRegistry, Self))
    return Host::ClangTidy;
  return Host::Compiler;
}

/// The path of \p FileName in the directory of the object holding \p Self, as the user's tool was
/// given it (so that messages show the path the user typed, with the right file name).
inline std::string siblingPath(const void *Self, const char *FileName) {
  Dl_info Info;
  if (!dladdr(Self, &Info) || !Info.dli_fname)
    return FileName;
  std::string Path = Info.dli_fname;
  std::string::size_type Slash = Path.rfind('/');
  return Slash == std::string::npos ? std::string(FileName) : Path.substr(0, Slash + 1) + FileName;
}

} // namespace tether::load_guard

#endif
