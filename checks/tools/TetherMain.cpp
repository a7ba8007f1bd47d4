// tether: runs the tether checks (and any clang-tidy checks a .clang-tidy enables) over a whole
// project, N translation units at a time. See docs/cli.md for the manual.
//
// Process model. The parent is single-threaded: it loads compile_commands.json, answers what it
// can from the cache, and forks one child per remaining TU, at most --jobs at a time. Each child
// runs clang-tidy's engine in-process on its TU (Worker.h) and writes its result as JSON to a file
// in a private temporary folder, then exits. A child that dies (a crashing check, an assertion,
// the OOM killer) leaves no result: the parent lists that TU as crashed, with the signal and the
// end of the child's stderr, and carries on. One process per TU is what run-clang-tidy does too
// (it starts clang-tidy once per TU), so isolation costs nothing over it; fork() without exec
// saves loading the binary again.
#include "../OptionUtils.h"
#include "../runner/Cache.h"
#include "../runner/Report.h"
#include "../runner/Result.h"
#include "../runner/WholeProgram.h"
#include "../runner/Worker.h"

#include "clang-tidy/ClangTidy.h"
#include "clang-tidy/tool/ClangTidyMain.h"
#include "clang-tidy/ClangTidyOptions.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/PrettyStackTrace.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace tether::runner;
namespace tidy = clang::tidy;
using Clock = std::chrono::steady_clock;

// Every upstream clang-tidy module registers itself from a static library; referring to
// clangTidyMain links its object file, whose force-linker anchors pull every module in (Debian does
// not ship clang-tidy-config.h, which ClangTidyForceLinker.h needs). Never called.
__attribute__((used)) static int (*volatile LinkAllModules)(int, const char **) = &clang::tidy::clangTidyMain;

namespace {

constexpr int ExitClean = 0, ExitFindings = 1, ExitUsage = 2, ExitTUFailed = 3;

const char *UsageText = R"(usage: tether check    [options] [PATH...]
       tether baseline [options] [PATH...] [-o tether-baseline.json] [--prune]
       tether --version | --help

Runs the tether checks (and every clang-tidy check a .clang-tidy enables) over each translation
unit of compile_commands.json, or only those under the given PATHs, N at a time.

options:
  -p, --build-dir DIR    folder with compile_commands.json (default: the nearest one found from
                         the working directory upwards, also looking in each folder's build/)
  -j, --jobs N           translation units analysed at a time (default: number of cores)
  --checks GLOBS         clang-tidy check globs added to every .clang-tidy's Checks
                         (default checks when no .clang-tidy says otherwise: -*,tether-*)
  --format FORMAT        text (default), json or sarif
  -o, --output FILE      write the report (or, for `baseline`, the baseline) to FILE
  --baseline FILE        report and fail on only the findings not recorded in FILE
  --prune                (baseline) keep only the entries of the existing baseline that still occur
  --root DIR             project root: paths in json/sarif/baselines are relative to it
                         (default: the enclosing git checkout, else the working directory)
  --no-cache             analyse every TU; do not read or write BUILD_DIR/.tether-cache
  --facts DIR            judge the whole-program facts in DIR (written by the compiler plugin
                         with -fplugin-arg-tether-facts-dir=DIR) instead of analysing TUs:
                         only tether-unbounded-container findings, nothing is parsed
  -q, --quiet            no progress and no summary on stderr (failures are still listed)

exit codes: 0 nothing new, 1 new findings, 2 usage or configuration error, 3 a TU failed
)";

struct Options {
  std::string Command;
  std::string BuildDir;
  unsigned Jobs = 0;
  RunConfig Config;
  std::string Format = "text";
  std::string Output;
  std::string Baseline;
  std::string Root;
  std::string FactsDir;
  bool Prune = false, NoCache = false, Quiet = false;
  std::vector<std::string> Paths;
};

[[noreturn]] void usageError(const std::string &Message) {
  llvm::errs() << "tether: " << Message << "\n(run `tether --help` for usage)\n";
  std::exit(ExitUsage);
}

[[noreturn]] void configError(const std::string &Message) {
  llvm::errs() << "tether: " << Message << "\n";
  std::exit(ExitUsage);
}

std::string absolute(const std::string &Path) {
  llvm::SmallString<256> P(Path);
  llvm::sys::fs::make_absolute(P);
  llvm::sys::path::remove_dots(P, true);
  return std::string(P);
}

std::string currentDir() {
  llvm::SmallString<256> P;
  llvm::sys::fs::current_path(P);
  return std::string(P);
}

Options parseArgs(int Argc, const char **Argv) {
  Options O;
  std::vector<std::string> Args(Argv + 1, Argv + Argc);
  if (Args.empty())
    usageError("no command given: use `tether check` or `tether baseline`");
  if (Args[0] == "--help" || Args[0] == "-h" || Args[0] == "help") {
    llvm::outs() << UsageText;
    std::exit(ExitClean);
  }
  if (Args[0] == "--version") {
    llvm::outs() << "tether " << Version << "\n";
    std::exit(ExitClean);
  }
  if (Args[0] != "check" && Args[0] != "baseline")
    usageError("unknown command '" + Args[0] + "': use `tether check` or `tether baseline`");
  O.Command = Args[0];
  bool SawFormat = false, SawBaseline = false;
  for (size_t I = 1; I < Args.size(); ++I) {
    std::string A = Args[I];
    std::optional<std::string> Inline;
    if (llvm::StringRef(A).starts_with("--") && A.find('=') != std::string::npos) {
      Inline = A.substr(A.find('=') + 1);
      A = A.substr(0, A.find('='));
    }
    auto value = [&](const std::string &Flag) -> std::string {
      if (Inline)
        return *Inline;
      if (I + 1 >= Args.size())
        usageError(Flag + " needs a value");
      return Args[++I];
    };
    auto noValue = [&](const std::string &Flag) {
      if (Inline)
        usageError(Flag + " takes no value");
    };
    // Short flags with the value attached: -pbuild, -j8, -oout.sarif.
    if (A.size() > 2 && A[0] == '-' && A[1] != '-' && strchr("pjo", A[1])) {
      Inline = A.substr(2);
      A = A.substr(0, 2);
    }
    if (A == "-p" || A == "--build-dir") {
      O.BuildDir = value(A);
    } else if (A == "-j" || A == "--jobs") {
      std::string V = value(A);
      unsigned long N = 0;
      if (V.empty() || V.find_first_not_of("0123456789") != std::string::npos || (N = std::stoul(V)) == 0 ||
          N > 4096)
        usageError(A + " needs a number of jobs from 1 to 4096, not '" + V + "'");
      O.Jobs = static_cast<unsigned>(N);
    } else if (A == "--checks") {
      O.Config.Checks = value(A);
    } else if (A == "--format") {
      O.Format = value(A);
      SawFormat = true;
      if (O.Format != "text" && O.Format != "json" && O.Format != "sarif")
        usageError("--format must be text, json or sarif, not '" + O.Format + "'");
    } else if (A == "-o" || A == "--output") {
      O.Output = value(A);
      if (O.Output.empty())
        usageError(A + " needs a file name");
    } else if (A == "--baseline") {
      O.Baseline = value(A);
      SawBaseline = true;
    } else if (A == "--facts") {
      O.FactsDir = value(A);
      if (O.FactsDir.empty())
        usageError("--facts needs a folder");
    } else if (A == "--root") {
      O.Root = value(A);
    } else if (A == "--prune") {
      noValue(A);
      O.Prune = true;
    } else if (A == "--no-cache") {
      noValue(A);
      O.NoCache = true;
    } else if (A == "-q" || A == "--quiet") {
      noValue(A);
      O.Quiet = true;
    } else if (A == "-h" || A == "--help") {
      llvm::outs() << UsageText;
      std::exit(ExitClean);
    } else if (A == "--") {
      O.Paths.insert(O.Paths.end(), Args.begin() + I + 1, Args.end());
      break;
    } else if (!A.empty() && A[0] == '-') {
      usageError("unknown flag '" + Args[I] + "'");
    } else {
      O.Paths.push_back(A);
    }
  }
  if (!O.FactsDir.empty() && !O.Paths.empty())
    usageError("--facts judges the whole program: it takes no PATH");
  // Every TU of the compile database is seen: tether-unbounded-container is judged on the merged
  // facts of all of them. A PATH selection sees part of the program and keeps the per-TU rule.
  O.Config.WholeProgram = O.Paths.empty() && O.FactsDir.empty();
  if (O.Command == "check" && O.Prune)
    usageError("--prune belongs to `tether baseline` (tether baseline --prune -o FILE)");
  if (O.Command == "baseline" && SawFormat)
    usageError("--format is for `tether check`; `tether baseline` always writes its JSON baseline");
  if (O.Command == "baseline" && SawBaseline && !O.Prune)
    usageError("--baseline with `tether baseline` only makes sense with --prune");
  if (O.Command == "baseline" && O.Output.empty())
    O.Output = O.Prune && !O.Baseline.empty() ? O.Baseline : "tether-baseline.json";
  if (O.Command == "baseline" && O.Prune && O.Baseline.empty())
    O.Baseline = O.Output;
  if (O.Jobs == 0) {
    long N = sysconf(_SC_NPROCESSORS_ONLN);
    O.Jobs = N > 0 ? static_cast<unsigned>(N) : 1;
  }
  return O;
}

// The folder with compile_commands.json: -p, else the nearest one from the working directory up.
std::string findBuildDir(const Options &O) {
  if (!O.BuildDir.empty()) {
    std::string Dir = absolute(O.BuildDir);
    if (!llvm::sys::fs::is_directory(Dir))
      usageError("-p: '" + O.BuildDir + "' is not a folder");
    if (!llvm::sys::fs::exists(Dir + "/compile_commands.json"))
      usageError("-p: no compile_commands.json in '" + O.BuildDir +
                 "' (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)");
    return Dir;
  }
  for (std::string Dir = currentDir(); !Dir.empty(); Dir = std::string(llvm::sys::path::parent_path(Dir))) {
    if (llvm::sys::fs::exists(Dir + "/compile_commands.json"))
      return Dir;
    if (llvm::sys::fs::exists(Dir + "/build/compile_commands.json"))
      return Dir + "/build";
    if (Dir == "/")
      break;
  }
  usageError("no compile_commands.json found in the working directory, its parents or their build/ "
             "folders; pass -p BUILD_DIR");
}

std::string findRoot(const Options &O) {
  if (!O.Root.empty()) {
    std::string Root = absolute(O.Root);
    if (!llvm::sys::fs::is_directory(Root))
      usageError("--root: '" + O.Root + "' is not a folder");
    return Root;
  }
  std::string Cwd = currentDir();
  for (std::string Dir = Cwd; !Dir.empty(); Dir = std::string(llvm::sys::path::parent_path(Dir))) {
    if (llvm::sys::fs::exists(Dir + "/.git"))
      return Dir;
    if (Dir == "/")
      break;
  }
  return Cwd;
}

// Every positive glob of --checks must name at least one known check: a typo would otherwise
// silently run nothing.
void validateChecks(const Options &O) {
  if (!O.Config.Checks)
    return;
  llvm::SmallVector<llvm::StringRef> Globs;
  llvm::StringRef(*O.Config.Checks).split(Globs, ',', -1, false);
  for (llvm::StringRef G : Globs) {
    G = G.trim();
    if (G.empty() || G.starts_with("-"))
      continue;
    tidy::ClangTidyOptions Opts;
    Opts.Checks = "-*," + G.str();
    if (tidy::getCheckNames(Opts, false, false).empty() && !G.starts_with("clang-diagnostic-"))
      usageError("--checks: '" + G.str() + "' matches no known check (tether checks are tether-*)");
  }
}

// Every .clang-tidy that clang-tidy reads for a TU must parse: clang-tidy only warns and ignores
// a broken one, which would silently change what runs. Checked once per folder.
void validateConfigFiles(const std::vector<std::string> &Files) {
  std::set<std::string> Dirs;
  for (const std::string &F : Files) {
    if (!Dirs.insert(std::string(llvm::sys::path::parent_path(F))).second)
      continue;
    for (const clang::tidy::tether::ConfigFile &Config : clang::tidy::tether::findConfigFiles(F)) {
      if (Config.Options)
        continue;
      std::string Where = Config.Path;
      if (Config.Error && Config.Error->getLineNo() > 0)
        Where += ":" + std::to_string(Config.Error->getLineNo()) + ":" +
                 std::to_string(Config.Error->getColumnNo() + 1);
      configError("configuration error in '" + Where + "': " +
                  (Config.Error ? Config.Error->getMessage().str() : Config.Options.getError().message()));
    }
  }
}

// The TUs to analyse: every one of the database, or those whose main file is a PATH or lies under
// one. Spelled as the database spells them (absolute): that is how a worker looks their commands up.
std::vector<std::string> selectFiles(const Options &O, const clang::tooling::CompilationDatabase &DB,
                                     const std::string &BuildDir) {
  std::vector<std::string> Files = DB.getAllFiles();
  std::sort(Files.begin(), Files.end());
  Files.erase(std::unique(Files.begin(), Files.end()), Files.end());
  if (!O.Paths.empty()) {
    std::vector<std::string> Selected;
    for (const std::string &P : O.Paths) {
      if (!llvm::sys::fs::exists(P))
        usageError("PATH '" + P + "' does not exist");
      std::string A = absolute(P);
      llvm::SmallString<256> Real;
      if (!llvm::sys::fs::real_path(A, Real))
        A = std::string(Real);
      auto under = [&](llvm::StringRef F) { return F == A || F.starts_with(A == "/" ? A : A + "/"); };
      size_t Before = Selected.size();
      for (const std::string &DBFile : Files) {
        llvm::SmallString<256> R;
        if (under(absolute(DBFile)) || (!llvm::sys::fs::real_path(DBFile, R) && under(R)))
          Selected.push_back(DBFile);
      }
      if (Selected.size() == Before)
        usageError("PATH '" + P + "' matches no translation unit of " + BuildDir + "/compile_commands.json");
    }
    std::sort(Selected.begin(), Selected.end());
    Selected.erase(std::unique(Selected.begin(), Selected.end()), Selected.end());
    Files = std::move(Selected);
  }
  if (Files.empty())
    configError(BuildDir + "/compile_commands.json lists no translation unit");
  return Files;
}

std::string fmtDuration(double Seconds) {
  long S = static_cast<long>(Seconds + 0.5);
  char Buf[32];
  if (S >= 3600)
    snprintf(Buf, sizeof Buf, "%ld:%02ld:%02ld", S / 3600, S / 60 % 60, S % 60);
  else
    snprintf(Buf, sizeof Buf, "%ld:%02ld", S / 60, S % 60);
  return Buf;
}

// Progress on stderr: a self-updating line on a terminal, else a line at every ~10% and at the end.
class Progress {
public:
  Progress(bool Quiet, unsigned Total, std::string Root)
      : Enabled(!Quiet), Tty(isatty(STDERR_FILENO)), Total(Total), Root(std::move(Root)), Start(Clock::now()) {}

  // Counts each finding once, as the report will.
  void tuDone(const std::vector<Finding> &Found) {
    ++Done;
    for (const Finding &F : Found)
      Seen.insert(F.Check + '\0' + F.Main.File + '\0' + std::to_string(F.Main.Offset) + '\0' + F.Main.Text);
    Findings = static_cast<unsigned>(Seen.size());
  }

  struct Running {
    std::string File;
    Clock::time_point Since;
  };

  void show(const std::map<pid_t, Running> &Active, bool Final = false) {
    if (!Enabled || Total == 0)
      return;
    double Elapsed = std::chrono::duration<double>(Clock::now() - Start).count();
    if (Tty) {
      if (!Final && Clock::now() - LastDraw < std::chrono::milliseconds(100))
        return;
      LastDraw = Clock::now();
      std::string Line = "tether: " + std::to_string(Done) + "/" + std::to_string(Total) + " TUs, " +
                         std::to_string(Findings) + " findings, " + fmtDuration(Elapsed) + " elapsed";
      if (Done > 0 && Done < Total)
        Line += ", ETA " + fmtDuration(Elapsed / Done * (Total - Done));
      const Running *Longest = nullptr;
      for (const auto &[Pid, R] : Active)
        if (!Longest || R.Since < Longest->Since)
          Longest = &R;
      if (Longest && !Final)
        Line += ", longest: " + relativeTo(Longest->File, Root) + " (" +
                fmtDuration(std::chrono::duration<double>(Clock::now() - Longest->Since).count()) + ")";
      winsize W{};
      if (ioctl(STDERR_FILENO, TIOCGWINSZ, &W) == 0 && W.ws_col > 10 && Line.size() >= W.ws_col)
        Line = Line.substr(0, W.ws_col - 1);
      llvm::errs() << "\r\033[K" << Line;
      if (Final)
        llvm::errs() << "\n";
      llvm::errs().flush();
      return;
    }
    unsigned Decile = Done * 10 / Total;
    if (!Final && Decile <= LastDecile)
      return;
    if (Final && Printed100)
      return;
    LastDecile = Decile;
    Printed100 = Done == Total;
    llvm::errs() << "tether: " << Done << "/" << Total << " TUs (" << Done * 100 / Total << "%), " << Findings
                 << " findings, " << fmtDuration(Elapsed) << " elapsed\n";
  }

private:
  bool Enabled, Tty;
  unsigned Total, Done = 0, Findings = 0;
  unsigned LastDecile = 0;
  bool Printed100 = false;
  std::string Root;
  Clock::time_point Start, LastDraw{};
  std::set<std::string> Seen; // NOLINT(tether-unbounded-container): one per finding of one run
};

std::string signalName(int Sig) {
  const char *Name = strsignal(Sig);
  std::string Abbrev;
  switch (Sig) {
  case SIGSEGV: Abbrev = "SIGSEGV"; break;
  case SIGABRT: Abbrev = "SIGABRT"; break;
  case SIGBUS: Abbrev = "SIGBUS"; break;
  case SIGILL: Abbrev = "SIGILL"; break;
  case SIGFPE: Abbrev = "SIGFPE"; break;
  case SIGKILL: Abbrev = "SIGKILL"; break;
  default: Abbrev = "signal " + std::to_string(Sig);
  }
  return Abbrev + (Name ? std::string(" (") + Name + ")" : "");
}

// What a crashed worker said on stderr: its own messages and LLVM's "Stack dump:" (the program
// arguments and the AST node being visited), then the innermost frames of the backtrace. Indented.
std::string crashExcerpt(const std::string &Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path);
  if (!Buffer)
    return "";
  llvm::SmallVector<llvm::StringRef> Lines;
  (*Buffer)->getBuffer().split(Lines, '\n', -1, false);
  std::string Out;
  unsigned Text = 0, Frames = 0;
  for (llvm::StringRef L : Lines) {
    bool Frame = L.ltrim().starts_with("#");
    if (Frame ? Frames++ >= 10 : Text++ >= 12)
      continue;
    Out += "\n    " + L.rtrim().str();
  }
  return Out;
}

struct Job {
  std::string File;
  std::string Key; // cache key, "" when not caching
};

// Runs the jobs in forked children, at most `Jobs` at a time.
std::vector<TUResult> runJobs(const Options &O, const clang::tooling::CompilationDatabase &DB,
                              const std::vector<Job> &Todo, Progress &P, const std::string &TempDir) {
  std::vector<TUResult> Results(Todo.size());
  std::map<pid_t, size_t> Children;
  std::map<pid_t, Progress::Running> Active;
  // SIGCHLD is blocked and waited for with a timeout, so the progress line keeps moving.
  sigset_t ChildSet;
  sigemptyset(&ChildSet);
  sigaddset(&ChildSet, SIGCHLD);
  sigprocmask(SIG_BLOCK, &ChildSet, nullptr);

  size_t Next = 0;
  auto resultPath = [&](size_t I) { return TempDir + "/" + std::to_string(I) + ".json"; };
  auto logPath = [&](size_t I) { return TempDir + "/" + std::to_string(I) + ".log"; };
  while (Next < Todo.size() || !Children.empty()) {
    while (Next < Todo.size() && Children.size() < O.Jobs) {
      size_t I = Next++;
      llvm::errs().flush();
      llvm::outs().flush();
      pid_t Pid = fork();
      if (Pid < 0) {
        Results[I].File = Todo[I].File;
        Results[I].State = TUResult::Status::Failed;
        Results[I].Failure = std::string("cannot start a worker: ") + strerror(errno);
        P.tuDone({});
        continue;
      }
      if (Pid == 0) {
        sigprocmask(SIG_UNBLOCK, &ChildSet, nullptr);
        int Log = open(logPath(I).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int Null = open("/dev/null", O_RDWR);
        if (Log >= 0)
          dup2(Log, STDERR_FILENO);
        if (Null >= 0) {
          dup2(Null, STDOUT_FILENO);
          dup2(Null, STDIN_FILENO);
        }
        llvm::PrettyStackTraceFormat Entry("tether worker analysing %s", Todo[I].File.c_str());
        TUResult R = analyseTU(O.Config, DB, Todo[I].File);
        {
          std::error_code EC;
          llvm::raw_fd_ostream OS(resultPath(I) + ".tmp", EC);
          if (EC)
            _exit(4);
          OS << nlohmann::json(R).dump();
          OS.close();
          if (OS.has_error())
            _exit(4);
        }
        if (llvm::sys::fs::rename(resultPath(I) + ".tmp", resultPath(I)))
          _exit(4);
        _exit(0);
      }
      Children[Pid] = I;
      Active[Pid] = {Todo[I].File, Clock::now()};
    }
    P.show(Active);
    int Status = 0;
    pid_t Pid;
    bool Reaped = false;
    while ((Pid = waitpid(-1, &Status, WNOHANG)) > 0) {
      auto It = Children.find(Pid);
      if (It == Children.end())
        continue;
      size_t I = It->second;
      Children.erase(It);
      Reaped = true;
      double Seconds = std::chrono::duration<double>(Clock::now() - Active[Pid].Since).count();
      Active.erase(Pid);
      TUResult &R = Results[I];
      bool Parsed = false;
      if (WIFEXITED(Status) && WEXITSTATUS(Status) == 0) {
        if (auto Buffer = llvm::MemoryBuffer::getFile(resultPath(I))) {
          nlohmann::json J = nlohmann::json::parse((*Buffer)->getBuffer().begin(), (*Buffer)->getBuffer().end(),
                                                   nullptr, false);
          if (!J.is_discarded()) {
            try {
              J.get_to(R);
              Parsed = true;
            } catch (const nlohmann::json::exception &) {
            }
          }
        }
      }
      if (!Parsed) {
        R = TUResult();
        R.File = Todo[I].File;
        R.State = TUResult::Status::Crashed;
        if (WIFSIGNALED(Status))
          R.Failure = "the worker crashed with " + signalName(WTERMSIG(Status));
        else
          R.Failure = "the worker exited with status " + std::to_string(WEXITSTATUS(Status)) +
                      " without a result";
        R.Details = crashExcerpt(logPath(I));
        R.Seconds = Seconds;
      }
      P.tuDone(R.Findings);
      P.show(Active);
    }
    // A slot was freed: refill it before waiting. (Waiting first left it idle until the next SIGCHLD or
    // the timeout: on leveldb's 39 short TUs the run used 0.84 of 2 cores, 1.6x run-clang-tidy's wall
    // time; strace showed each new worker forked ~200 ms after its predecessor was reaped.)
    if (Reaped)
      continue;
    if (!Children.empty()) {
      timespec Timeout{0, 200 * 1000 * 1000};
      sigtimedwait(&ChildSet, nullptr, &Timeout);
    }
  }
  sigprocmask(SIG_UNBLOCK, &ChildSet, nullptr);
  return Results;
}

void writeOutput(const Options &O, const std::string &Text) {
  if (O.Output.empty()) {
    llvm::outs() << Text;
    llvm::outs().flush();
    return;
  }
  std::error_code EC;
  llvm::raw_fd_ostream OS(O.Output, EC);
  if (EC)
    configError("cannot write '" + O.Output + "': " + EC.message());
  OS << Text;
}

} // namespace

int main(int Argc, const char **Argv) {
  llvm::InitLLVM Init(Argc, Argv); // a crashing worker prints its arguments and a stack dump
  llvm::setBugReportMsg("tether: a worker crashed; the run goes on without its translation unit. "
                        "Please report it with this stack dump.\n");
  Options O = parseArgs(Argc, Argv);
  auto Start = Clock::now();

  std::string Root = findRoot(O);
  std::string Err;
  std::vector<BaselineEntry> Baseline;
  if (!O.Baseline.empty()) {
    if (!readBaseline(O.Baseline, Baseline, Err))
      configError("--baseline: " + Err);
  }

  std::vector<TUResult> Results;
  std::vector<Finding> WholeProgram;
  unsigned FactsFiles = 0;
  if (!O.FactsDir.empty()) {
    // The distributed route: facts written by the compiler plugin during a build; nothing is parsed.
    tether::facts::TUFacts Program;
    if (!tether::facts::readFactsDir(absolute(O.FactsDir), Program, Err, &FactsFiles))
      configError("--facts: " + Err);
    if (FactsFiles == 0)
      configError("--facts: no facts files (*.json) in '" + O.FactsDir +
                  "': build with -fplugin=libTetherClangPlugin.so -fplugin-arg-tether-facts-dir=" + O.FactsDir);
    WholeProgram = wholeProgramFindings(Program);
  } else {
    std::string BuildDir = findBuildDir(O);
    std::unique_ptr<clang::tooling::JSONCompilationDatabase> DB = clang::tooling::JSONCompilationDatabase::loadFromFile(
        BuildDir + "/compile_commands.json", Err, clang::tooling::JSONCommandLineSyntax::AutoDetect);
    if (!DB)
      configError("cannot load " + BuildDir + "/compile_commands.json: " + Err);
    validateChecks(O);

    std::vector<std::string> Files = selectFiles(O, *DB, BuildDir);
    validateConfigFiles(Files);

    // Answer what the cache can.
    std::optional<Cache> TheCache;
    if (!O.NoCache)
      TheCache.emplace(BuildDir + "/.tether-cache");
    std::unique_ptr<tidy::ClangTidyOptionsProvider> Provider = makeOptionsProvider(O.Config);
    std::string Identity = binaryIdentity(Argv[0]);
    std::vector<Job> Todo;
    std::set<std::string> UsedKeys;
    for (const std::string &F : Files) {
      Job J{F, ""};
      if (TheCache) {
        std::string Material = Identity + '\0' + (O.Config.WholeProgram ? "whole-program" : "per-tu") + '\0' +
                               tidy::configurationAsText(Provider->getOptions(F));
        for (const clang::tooling::CompileCommand &C : DB->getCompileCommands(F)) {
          Material += '\0' + C.Directory + '\0' + C.Filename;
          for (const std::string &Arg : C.CommandLine)
            Material += '\0' + Arg;
        }
        J.Key = Cache::key(Material);
        UsedKeys.insert(J.Key);
        if (std::optional<TUResult> Hit = TheCache->lookup(J.Key)) {
          Results.push_back(std::move(*Hit));
          continue;
        }
      }
      Todo.push_back(std::move(J));
    }

    Progress P(O.Quiet, static_cast<unsigned>(Files.size()), Root);
    for (const TUResult &R : Results)
      P.tuDone(R.Findings);

    llvm::SmallString<128> TempDir;
    if (std::error_code EC = llvm::sys::fs::createUniqueDirectory("tether", TempDir))
      configError("cannot create a temporary folder: " + EC.message());
    std::vector<TUResult> Fresh = runJobs(O, *DB, Todo, P, std::string(TempDir));
    P.show({}, /*Final=*/true);
    llvm::sys::fs::remove_directories(TempDir);

    for (size_t I = 0; I < Fresh.size(); ++I) {
      if (TheCache && Fresh[I].State == TUResult::Status::Ok)
        TheCache->store(Todo[I].Key, Fresh[I]);
      Results.push_back(std::move(Fresh[I]));
    }
    // After a run over the whole database, entries nobody asked for are stale.
    if (TheCache && O.Paths.empty())
      TheCache->retainOnly(UsedKeys);
    if (O.Config.WholeProgram)
      WholeProgram = wholeProgramFindings(mergeFacts(Results));
  }

  Report R = mergeResults(Results, Root, WholeProgram);
  if (!O.FactsDir.empty()) {
    R.TUs = R.Analysed = FactsFiles;
    R.Rules.insert(UnboundedContainerCheck);
  }
  R.Seconds = std::chrono::duration<double>(Clock::now() - Start).count();

  // Configuration errors the checks found (a bad option value) are usage errors, as in clang-tidy.
  bool ConfigProblem = false;
  std::vector<Finding> Kept;
  for (Finding &F : R.Findings) {
    if (F.Check == "clang-tidy-config") {
      llvm::errs() << "tether: configuration error: " << F.Main.Text << "\n";
      ConfigProblem = true;
    } else {
      Kept.push_back(std::move(F));
    }
  }
  R.Findings = std::move(Kept);
  R.Rules.erase("clang-tidy-config");

  std::vector<BaselineEntry> StillThere;
  if (!O.Baseline.empty())
    StillThere = applyBaseline(R, Baseline);

  if (O.Command == "check") {
    std::string Text;
    llvm::raw_string_ostream OS(Text);
    if (O.Format == "json")
      writeJson(OS, R);
    else if (O.Format == "sarif")
      writeSarif(OS, R);
    else
      writeText(OS, R, currentDir());
    writeOutput(O, Text);
  } else if (O.Prune) {
    writeOutput(O, baselineText(StillThere));
  } else {
    writeOutput(O, baselineText(R));
  }

  if (!R.Failed.empty()) {
    llvm::errs() << "tether: " << R.Failed.size() << " translation unit" << (R.Failed.size() == 1 ? "" : "s")
                 << " could not be analysed (the report misses what they would have found):\n";
    for (const FailedTU &T : R.Failed)
      llvm::errs() << "  " << relativeTo(T.File, currentDir()) << ": " << T.Kind << ": " << T.Reason << T.Details
                   << "\n";
  }
  if (O.Command == "check" && R.UsedBaseline && R.Fixed > 0)
    llvm::errs() << "tether: " << R.Fixed << " baseline entr" << (R.Fixed == 1 ? "y no longer occurs" : "ies no longer occur")
                 << " (fixed: remove them with `tether baseline --prune`)\n";
  if (!O.Quiet) {
    std::string Summary = "tether: " + std::to_string(R.TUs) + " TUs (" + std::to_string(R.Analysed) +
                          " analysed, " + std::to_string(R.Cached) + " cached), " +
                          std::to_string(R.Findings.size()) + " findings";
    if (R.UsedBaseline)
      Summary += ", " + std::to_string(R.newFindings()) + " new, " + std::to_string(R.Baselined) + " in the baseline";
    if (!R.Failed.empty())
      Summary += ", " + std::to_string(R.Failed.size()) + " failed";
    Summary += ", " + fmtDuration(R.Seconds);
    llvm::errs() << Summary << "\n";
    if (O.Command == "baseline")
      llvm::errs() << "tether: wrote " << (O.Prune ? StillThere.size() : R.Findings.size()) << " baseline entries to "
                   << O.Output << (O.Prune ? " (pruned " + std::to_string(R.Fixed) + ")" : "") << "\n";
  }

  if (ConfigProblem)
    return ExitUsage;
  if (!R.Failed.empty())
    return ExitTUFailed;
  if (O.Command == "check" && R.newFindings() > 0)
    return ExitFindings;
  return ExitClean;
}
