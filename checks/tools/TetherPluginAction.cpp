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
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"
#include <optional>
#include "LoadGuard.h"
#include "../facts/Facts.h"
#include "llvm/Support/xxhash.h"
#include "../OptionUtils.h"
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
  Reporter(CompilerInstance &CI, ClangTidyDiagnosticConsumer &Collector,
           std::unique_ptr<::tether::facts::Sink> Sink, std::string FactsFile)
      : CI(CI), Collector(Collector), Sink(std::move(Sink)), FactsFile(std::move(FactsFile)) {}

  ~Reporter() override {
    if (Sink && ::tether::facts::currentSink() == Sink.get())
      ::tether::facts::setSink(nullptr);
  }

  void HandleTranslationUnit(ASTContext &) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    for (const ClangTidyError &E : Collector.take()) {
      // Whole-program facts probes (facts/Facts.h) are for the facts file, not for the user.
      if (StringRef(E.Message.Message).starts_with(::tether::facts::ProbePrefix)) {
        if (Sink)
          ::tether::facts::markProbe(Sink->Facts, E.Message.Message,
                                     E.DiagLevel == tooling::Diagnostic::Error || E.IsWarningAsError);
        continue;
      }
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
    if (Sink) {
      ::tether::facts::setSink(nullptr);
      std::string Error;
      if (!::tether::facts::writeFactsFile(FactsFile, Sink->Facts, Error))
        Diags.Report(Diags.getCustomDiagID(DiagnosticsEngine::Error, "tether plugin: %0")) << Error;
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
  std::unique_ptr<::tether::facts::Sink> Sink;
  std::string FactsFile;
};

class TetherPluginAction : public PluginASTAction {
public:
  ActionType getActionType() override { return AddBeforeMainAction; }

  bool ParseArgs(const CompilerInstance &CI, const std::vector<std::string> &Args) override {
    DiagnosticsEngine &Diags = CI.getDiagnostics();
    std::optional<std::string> Checks;
    bool OK = true;
    for (StringRef Arg : Args) {
      if (Arg.consume_front("checks=")) {
        if (Checks) {
          report(Diags, DiagnosticsEngine::Error,
                 "tether plugin: -fplugin-arg-tether-checks= is given twice ('" + *Checks +
                     "', then '" + Arg + "'): give one comma-separated glob list");
          OK = false;
        }
        Checks = Arg.str();
        continue;
      }
      if (Arg.consume_front("facts-dir=")) {
        if (Arg.empty()) {
          report(Diags, DiagnosticsEngine::Error,
                 "tether plugin: -fplugin-arg-tether-facts-dir= needs a folder");
          OK = false;
        }
        FactsDir = Arg.str();
        continue;
      }
      report(Diags, DiagnosticsEngine::Error,
             "tether plugin: unknown argument '" + Arg +
                 "' (supported: -fplugin-arg-tether-checks=<glob list>, "
                 "-fplugin-arg-tether-facts-dir=<folder>)");
      OK = false;
    }
    if (Checks && !validateChecksArgument(Diags, *Checks))
      OK = false;
    if (!OK)
      return false; // the errors fail the compile
    ClangTidyOptions Defaults = ClangTidyOptions::getDefaults();
    // Only the tether module is linked into the plugin; a .clang-tidy's Checks are appended to
    // this, so `-*,tether-raw-thread` there narrows it and a file that never mentions tether
    // keeps them all.
    Defaults.Checks = "-*,tether-*";
    // The argument comes last. clang-tidy's engine would also run the static analyzer's
    // checkers for a `*` or `clang-analyzer-*` there or in a .clang-tidy, which cannot work inside
    // a compile ("checker plugin ... not compatible with this version of the analyzer"): never.
    ClangTidyOptions Overrides;
    Overrides.Checks = (Checks ? *Checks + "," : std::string()) + "-clang-analyzer-*";
    Options = std::make_unique<FileOptionsProvider>(ClangTidyGlobalOptions(), Defaults, Overrides);
    return true;
  }

  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, StringRef File) override {
    // Honouring the .clang-tidy files is the point of this route: one that does not parse is a
    // compile error, and no check runs with guessed settings.
    if (!configFilesParse(CI, File))
      return std::make_unique<ASTConsumer>();
    auto Context = std::make_unique<ClangTidyContext>(std::move(Options));
    // No external engine: findings are collected, then reported by Reporter. Incompatible fix-its
    // must not drop findings: the plugin applies no fixes.
    auto Collector = std::make_unique<ClangTidyDiagnosticConsumer>(
        *Context, /*ExternalDiagEngine=*/nullptr, /*RemoveIncompatibleErrors=*/false);
    auto DiagOpts = std::make_unique<DiagnosticOptions>();
    auto DiagEngine = std::make_unique<DiagnosticsEngine>(DiagnosticIDs::create(), *DiagOpts,
                                                          Collector.get(), /*ShouldOwnClient=*/false);
    Context->setDiagnosticsEngine(std::move(DiagOpts), DiagEngine.get());

    // -fplugin-arg-tether-facts-dir: this TU's whole-program facts go to DIR/<file>-<hash>.json
    // (the hash of the main file's absolute path, so equal names in different folders differ),
    // for `tether check --facts DIR`. Per-TU findings are reported as without it.
    std::unique_ptr<::tether::facts::Sink> Sink;
    std::string FactsFile;
    if (!FactsDir.empty()) {
      llvm::SmallString<256> Main(File);
      llvm::sys::fs::make_absolute(Main);
      llvm::sys::path::remove_dots(Main, /*remove_dot_dot=*/false);
      if (std::error_code EC = llvm::sys::fs::create_directories(FactsDir)) {
        report(CI.getDiagnostics(), DiagnosticsEngine::Error,
               "tether plugin: cannot create the facts folder '" + FactsDir + "': " + EC.message());
      } else {
        char Hash[17];
        std::snprintf(Hash, sizeof Hash, "%016llx",
                      static_cast<unsigned long long>(llvm::xxh3_64bits(StringRef(Main))));
        FactsFile = (llvm::Twine(FactsDir) + "/" + llvm::sys::path::filename(Main) + "-" + Hash + ".json").str();
        Sink = std::make_unique<::tether::facts::Sink>();
        Sink->Facts.TU = std::string(Main);
        ::tether::facts::setSink(Sink.get());
      }
    }

    ClangTidyASTConsumerFactory Factory(*Context);
    std::vector<std::unique_ptr<ASTConsumer>> Consumers;
    Consumers.push_back(Factory.createASTConsumer(CI, File));
    Consumers.push_back(std::make_unique<Reporter>(CI, *Collector, std::move(Sink), std::move(FactsFile)));
    return std::make_unique<OwningConsumer>(std::move(Context), std::move(Collector),
                                            std::move(DiagEngine), std::move(Consumers));
  }

private:
  static void report(DiagnosticsEngine &Diags, DiagnosticsEngine::Level Level,
                     const llvm::Twine &Message, SourceLocation Loc = {}) {
    Diags.Report(Loc, Diags.getCustomDiagID(Level, "%0")) << Message.str();
  }

  /// The names of the checks linked into the plugin (the tether module's).
  static std::vector<std::string> knownChecks() {
    ClangTidyCheckFactories Factories;
    for (const ClangTidyModuleRegistry::entry &Module : ClangTidyModuleRegistry::entries())
      Module.instantiate()->addCheckFactories(Factories);
    std::vector<std::string> Names;
    for (const auto &Factory : Factories)
      Names.push_back(Factory.getKey().str());
    llvm::sort(Names);
    return Names;
  }

  /// Validates the glob list of -fplugin-arg-tether-checks= the way clang-tidy's --verify-config
  /// validates a Checks list, against the checks this plugin has. Errors: an empty list, a
  /// malformed glob, a `tether-...` name or glob that matches no tether check (a typo would
  /// silently turn a check off, or fail to). Warnings: another module's glob (`bugprone-*`:
  /// shared glob lists are common, but the plugin runs only tether checks), and a list that leaves
  /// no tether check enabled.
  static bool validateChecksArgument(DiagnosticsEngine &Diags, StringRef Value) {
    const std::vector<std::string> Known = knownChecks();
    if (Value.trim().empty()) {
      report(Diags, DiagnosticsEngine::Error,
             "tether plugin: -fplugin-arg-tether-checks= is empty; give a comma-separated glob "
             "list such as '-*,tether-raw-thread'");
      return false;
    }
    bool OK = true;
    llvm::SmallVector<StringRef, 8> Items;
    Value.split(Items, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
    std::vector<bool> Enabled(Known.size(), true); // the plugin's default: every tether check
    for (StringRef Item : Items) {
      Item = Item.trim();
      if (Item.empty())
        continue;
      StringRef Glob = Item;
      bool Negative = Glob.consume_front("-");
      Glob = Glob.trim();
      if (Glob.empty() || !llvm::all_of(Glob, [](char C) {
            return llvm::isAlnum(C) || C == '-' || C == '_' || C == '.' || C == '*';
          })) {
        report(Diags, DiagnosticsEngine::Error,
               "tether plugin: malformed glob '" + Item +
                   "' in -fplugin-arg-tether-checks=: a glob is a check name with '*' wildcards, "
                   "optionally prefixed by '-'; globs are separated by commas");
        OK = false;
        continue;
      }
      std::string Pattern = "^";
      for (char C : Glob)
        Pattern += C == '*' ? std::string(".*") : llvm::Regex::escape(StringRef(&C, 1));
      Pattern += "$";
      llvm::Regex Re(Pattern);
      bool Matched = false;
      for (size_t I = 0; I < Known.size(); ++I)
        if (Re.match(Known[I])) {
          Matched = true;
          Enabled[I] = !Negative;
        }
      if (Matched)
        continue;
      if (Glob.starts_with("tether")) {
        std::string Message = "tether plugin: ";
        if (Glob.contains('*')) {
          Message += "glob '" + Item.str() + "' in -fplugin-arg-tether-checks= matches no check";
        } else {
          Message += "unknown check '" + Glob.str() + "' in -fplugin-arg-tether-checks=";
          StringRef Closest;
          unsigned Best = 5;
          for (const std::string &K : Known)
            if (unsigned D = Glob.edit_distance(K, true, Best); D < Best) {
              Best = D;
              Closest = K;
            }
          if (!Closest.empty())
            Message += "; did you mean '" + Closest.str() + "'?";
        }
        Message += " (the tether checks: " + llvm::join(Known, ", ") + ")";
        report(Diags, DiagnosticsEngine::Error, Message);
        OK = false;
      } else if (!Negative && !Glob.starts_with("clang-diagnostic")) {
        report(Diags, DiagnosticsEngine::Warning,
               "tether plugin: glob '" + Item +
                   "' in -fplugin-arg-tether-checks= enables nothing: the plugin runs only the "
                   "tether checks");
      }
    }
    if (OK && llvm::none_of(Enabled, [](bool B) { return B; }))
      report(Diags, DiagnosticsEngine::Warning,
             "tether plugin: -fplugin-arg-tether-checks='" + Value +
                 "' turns every tether check off: the plugin checks nothing");
    return OK;
  }

  /// Parses the .clang-tidy files clang-tidy would read for \p File (the nearest one, and its
  /// parents' while InheritParentConfig is set); reports the first that does not parse as a
  /// compile error at the offending line of the file. True if all parse.
  static bool configFilesParse(CompilerInstance &CI, StringRef File) {
    for (const ConfigFile &Config : findConfigFiles(File)) {
      if (Config.Options)
        continue;
      const std::optional<llvm::SMDiagnostic> &E = Config.Error;
      std::string Why = E ? E->getMessage().str() : Config.Options.getError().message();
      SourceLocation Loc;
      SourceManager &SM = CI.getSourceManager();
      if (auto FE = SM.getFileManager().getOptionalFileRef(Config.Path); FE && E && E->getLineNo() > 0)
        Loc = SM.translateLineCol(SM.getOrCreateFileID(*FE, SrcMgr::C_User), E->getLineNo(),
                                  E->getColumnNo() + 1);
      report(CI.getDiagnostics(), DiagnosticsEngine::Error,
             "tether plugin: cannot parse " + Config.Path + ": " + Why + "; no tether check ran",
             Loc);
      return false;
    }
    return true;
  }

  std::unique_ptr<ClangTidyOptionsProvider> Options;
  std::string FactsDir;
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
