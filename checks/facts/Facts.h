// Whole-program facts of tether-unbounded-container: what one translation unit knows about the
// long-lived containers it touches, in a form that survives the TU (JSON), merges with every other
// TU's facts, and is judged once for the whole program (docs/checks/tether-unbounded-container.md,
// "Whole-program verdicts").
//
// Who writes and reads them
//   - `tether check` (checks/runner): each worker collects its TU's facts (the check runs with a
//     Sink installed), the cache stores them with the TU's result, the parent merges all TUs' facts
//     and judges; per-TU unbounded-container diagnostics are replaced by the judged ones.
//   - The compiler plugin with -fplugin-arg-tether-facts-dir=DIR writes DIR/<name>-<hash>.json per
//     TU during an ordinary build; `tether check --facts DIR` merges and judges them.
//   - Single-TU routes with the check option `tether-unbounded-container.FactsDir` read a folder of
//     facts (a previous run's) and report the program-wide verdicts of containers declared in the TU.
//
// The format (version 1). One JSON object per TU; unknown keys are ignored, a different "version"
// is an error. Every declaration is named by its clang USR (clang::index::generateUSRForDecl), which
// is the same in every TU that sees the declaration. Positions are absolute file paths with 1-based
// line and column (bytes).
//
//   { "format": "tether-facts", "version": 1, "tu": "/abs/main.cpp",
//     "containers": [ {                 // every container that could be long-lived: a non-static
//                                       // data member of any access, a static data member, a
//                                       // namespace-scope variable of any linkage, a static local
//        "usr", "name",                 // USR; qualified name as written in messages
//        "ignore_name",                 // the name IgnoredNames is matched against
//        "type", "kind",                // declared type; "associative" or "queue"
//        "storage",                     // "member" | "static-member" | "global" | "static-local"
//        "linkage", "access",           // "external"|"internal"|"none"; "public"|...|"none"
//        "owner", "owner_name",         // USR and name of the class owning a member, else ""
//        "file", "line", "column", "offset", "definition",  // where declared (definition preferred)
//        "scope",                       // enclosing declaration's qualified name (fingerprints)
//        "key_enum_or_bool",            // evidence for rule 1: key type is an enumeration or bool
//        "callable",                    // evidence for rule 2: mapped/element type is callable
//        "reportable", "error",         // a finding at the declaration survives NOLINT and the
//                                       // header filter; WarningsAsErrors makes it an error
//        "ignored",                     // its name matches the check's IgnoredNames
//        "sites": [ { "kind": "grow"|"bound"|"escape", "function": ID ("" outside functions),
//                     "file", "line", "column", "constant_key": bool } ] } ],
//     "functions": [ {                  // functions that enclose a site, call or are called
//        "id",                          // ID: xxh3 of the function's USR, 16 hex digits (compact:
//                                       // the call graph names functions many times)
//        "name",                        // qualified name, for messages
//        "constructor", "main",         // rule 3's roots: main; a constructor of a class the TU
//                                       // makes only as static objects (a registrar)
//        "callback",                    // its address escapes (a lambda, a function passed as a
//                                       // value): it may run per event, from a thread or a loop
//        "callers": [ID],               // call edges from code outside system headers
//        "loop_callers": [ID] } ],      // calls inside an event loop (utils/ContainerEvidence.h)
//     "classes": [ {                    // classes that own a container, or hold such a class
//        "usr", "name",
//        "needs_body": [ID],            // member and friend functions that must be defined somewhere
//        "defined": [ID],               // those defined in this TU
//        "friends": [ID or USR],        // friend functions (ID) and classes (USR)
//        "instances": [ { "how": "automatic"|"temporary"|"member"|"static"|"heap", "in": USR } ] } ]
//   }
//
// Facts are small: a TU records only containers, the classes owning them, and the call edges of
// code outside system headers (measured in docs/performance.md).
//
// Thread safety: none; a Sink belongs to the single thread analysing a TU.
#ifndef TETHER_CHECKS_FACTS_FACTS_H
#define TETHER_CHECKS_FACTS_FACTS_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tether::facts {

inline constexpr int FormatVersion = 1;
inline constexpr const char *FormatName = "tether-facts";

struct Site {
  enum class Kind : uint8_t { Grow, Bound, Escape };
  Kind K = Kind::Grow;
  std::string Function; // USR of the enclosing function
  std::string File;
  unsigned Line = 0, Column = 0;
  bool ConstantKey = false;

  bool operator<(const Site &O) const {
    return std::tie(File, Line, Column, K, Function) < std::tie(O.File, O.Line, O.Column, O.K, O.Function);
  }
  bool operator==(const Site &O) const {
    return File == O.File && Line == O.Line && Column == O.Column && K == O.K && Function == O.Function;
  }
};

struct Container {
  std::string Usr, Name, IgnoreName, Type, Kind, Storage, Linkage, Access, Owner, OwnerName;
  std::string File;
  unsigned Line = 0, Column = 0, Offset = 0;
  bool Definition = false;
  std::string Scope;
  bool KeyEnumOrBool = false, Callable = false;
  bool Reportable = false, Error = false, Ignored = false;
  std::vector<Site> Sites;
};

struct Call {
  std::string Caller;
  bool Loop = false;
  bool operator<(const Call &O) const { return std::tie(Caller, Loop) < std::tie(O.Caller, O.Loop); }
};

struct Function {
  std::string Usr, Name, Class;
  bool Constructor = false, Main = false, Callback = false;
  std::set<Call> Callers; // NOLINT(tether-unbounded-container): one program's call edges, one run
};

struct Instance {
  std::string How; // automatic, temporary, member, static, heap
  std::string In;  // for "member": the containing class's USR
  bool operator<(const Instance &O) const { return std::tie(How, In) < std::tie(O.How, O.In); }
};

// Facts live for one TU's analysis or one judgement: their sets and maps hold what the program
// has, once each, and are dropped with the run (hence the NOLINTs of the whole-program rule).
struct Class {
  std::string Usr, Name;
  std::set<std::string> NeedsBody, Defined, Friends; // NOLINT(tether-unbounded-container): one run
  std::set<Instance> Instances;                      // NOLINT(tether-unbounded-container): one run
};

// One TU's facts, or (after merge) the whole program's.
struct TUFacts {
  std::string TU; // the TU's main file; "" for merged facts
  std::map<std::string, Container> Containers; // NOLINT(tether-unbounded-container): one run
  std::map<std::string, Function> Functions;   // NOLINT(tether-unbounded-container): one run
  std::map<std::string, Class> Classes;        // NOLINT(tether-unbounded-container): one run

  bool empty() const { return Containers.empty(); }
};

void to_json(nlohmann::json &J, const TUFacts &F);
// Throws std::runtime_error with a readable message on a wrong format or version.
void from_json(const nlohmann::json &J, TUFacts &F);

// Reads one facts file; on error returns false and sets `Error` to a message naming the file.
bool readFactsFile(const std::string &Path, TUFacts &Out, std::string &Error);
// Reads and merges every *.json file of `Dir` (not recursive); errors name the folder or file.
bool readFactsDir(const std::string &Dir, TUFacts &Merged, std::string &Error, unsigned *Files = nullptr);
// Writes `F` to `Path` atomically (temporary file + rename). False on failure.
bool writeFactsFile(const std::string &Path, const TUFacts &F, std::string &Error);

// Adds `From` to `Into`: containers, functions and classes by USR; sites, callers and instances
// as sets; a container's position prefers a definition; Reportable/Error are or-ed. Linear in the
// size of `From` (times log of `Into`).
void merge(TUFacts &Into, const TUFacts &From);

// --- the whole-program judgement -------------------------------------------------------------

struct JudgeOptions {
  bool BoundedKeyDomain = true; // rule 1
  bool Registries = true;       // rule 2
  bool StartupFilling = true;   // rule 3
  bool ShortLivedOwner = true;  // rule 4
};

// A container the program grows and no TU bounds.
struct Verdict {
  const Container *C = nullptr;
  std::vector<const Site *> Growth; // sorted by position
  std::string Path;                 // the per-event path, e.g. "grown in S::on_request, called
                                    // from a loop in S::run"; "" when none was found
};

// Judges every container of merged facts. A container is reported when it is grown somewhere, no
// site anywhere bounds it (erase/clear/size check/assignment) or hands it to code that could (an
// escape), its owning class's member functions and friends are all defined in some TU, and no
// precision rule (JudgeOptions) applies. Only reportable containers (see the format) are returned.
std::vector<Verdict> judge(const TUFacts &Program, const JudgeOptions &Options = {});

// The finding's message and the text of its notes.
std::string verdictMessage(const Verdict &V);
inline constexpr unsigned MaxGrowthNotes = 5;

// --- the sink: how a check hands a TU's facts to the code that runs it -----------------------

// Installed by the runner's worker or the compiler plugin around one TU's analysis. While one is
// installed, tether-unbounded-container records facts into it; with ReplacePerTU it also emits no
// per-TU unbounded-container diagnostics (the whole-program judgement replaces them), only the
// probes below.
struct Sink {
  TUFacts Facts;
  bool ReplacePerTU = false;
};
void setSink(Sink *S);
Sink *currentSink();

// The check emits one "probe" diagnostic per recorded container at its declaration, with this
// message prefix followed by the USR, so that clang-tidy's own filtering (NOLINT, NOLINTBEGIN/END,
// HeaderFilterRegex, system headers, WarningsAsErrors) decides whether a whole-program finding
// there may be reported. The code that installed the sink removes the probes from the TU's
// diagnostics and calls markProbe for each that survived.
inline constexpr const char *ProbePrefix = "tether-facts-probe ";
void markProbe(TUFacts &F, const std::string &Message, bool IsError);

} // namespace tether::facts

#endif
