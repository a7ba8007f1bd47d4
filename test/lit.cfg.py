# lit configuration for tether's check tests and delivery-route tests.
import os
import lit.formats

config.name = "tether"
config.test_format = lit.formats.ShTest(execute_external=False)
# .c: the checks that apply to C (raw-thread, thread-detach, unguarded-loop) are tested on C too.
config.suffixes = [".cpp", ".c", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tether_obj_root, "test")
# Inputs/ folders hold headers and fixtures, not tests.
config.excludes = ["Inputs", "runtime", "lit"]

config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.tether_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
# clang-tidy and clangd look for .clang-tidy / .clangd upwards from each file; the lit tests
# must not pick up the repository's own dogfood configuration.
config.environment["HOME"] = config.test_exec_root

tidy = os.path.join(config.tether_tools_dir, "tether-tidy")
module = os.path.join(config.tether_lib_dir, "libTetherTidy.so")
plugin = os.path.join(config.tether_lib_dir, "libTetherClangPlugin.so")
lit_dir = os.path.join(config.test_source_root, "lit")
inputs = os.path.join(config.test_source_root, "checks", "Inputs")

config.substitutions.append(("%check_tidy",
    f"{config.python} {os.path.join(lit_dir, 'check_tidy.py')} --tidy={tidy}"))
config.substitutions.append(("%tether_tidy", tidy))
config.substitutions.append(("%clang_tidy_load", f"{config.clang_tidy} --load={module}"))
config.substitutions.append(("%tether_module", module))
config.substitutions.append(("%stock_clang_tidy", config.clang_tidy))
config.substitutions.append(("%tether_plugin", plugin))
config.substitutions.append(("%tether_clangd", os.path.join(config.tether_tools_dir, "tether-clangd")))
config.substitutions.append(("%clangxx", config.clangxx))
# The C compiler driver next to clang++ (for the -fplugin route on .c files).
config.substitutions.append(("%clangc", os.path.join(os.path.dirname(config.clangxx), "clang")))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%lsp_client", f"{config.python} {os.path.join(lit_dir, 'lsp_client.py')}"))
config.substitutions.append(("%tether_inputs", inputs))
config.substitutions.append(("%tether_src", config.tether_src_root))
config.substitutions.append(("%tether_build", config.tether_obj_root))
