#include "Report.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA1.h"

#include <algorithm>
#include <map>
#include <tuple>

#ifndef TETHER_DOCS_URL
#define TETHER_DOCS_URL "https://github.com/tether-cpp/tether/blob/main/docs/checks/"
#endif

namespace tether::runner {

// Ordered: the written JSON keeps the order a reader expects (version and tool first, findings, stats).
using json = nlohmann::ordered_json;

unsigned Report::newFindings() const {
  return static_cast<unsigned>(std::count_if(Findings.begin(), Findings.end(),
                                             [](const Finding &F) { return !F.InBaseline; }));
}

std::string relativeTo(const std::string &File, const std::string &Base) {
  if (Base.empty())
    return File;
  if (File.size() > Base.size() && File.compare(0, Base.size(), Base) == 0 && File[Base.size()] == '/')
    return File.substr(Base.size() + 1);
  if (Base == "/" && !File.empty() && File[0] == '/')
    return File.substr(1);
  return File;
}

static std::string hexSha1(const std::string &Data) {
  llvm::SHA1 Hasher;
  Hasher.update(Data);
  std::array<uint8_t, 20> Digest = Hasher.final();
  static const char *Hex = "0123456789abcdef";
  std::string Out;
  for (int I = 0; I < 16; ++I) {
    Out.push_back(Hex[Digest[I] >> 4]);
    Out.push_back(Hex[Digest[I] & 15]);
  }
  return Out;
}

Report mergeResults(const std::vector<TUResult> &Results, const std::string &Root,
                    const std::vector<Finding> &Extra) {
  Report R;
  R.Root = Root;
  R.TUs = static_cast<unsigned>(Results.size());
  std::map<std::tuple<std::string, std::string, unsigned, unsigned, std::string>, size_t> Seen;
  // Merge in file order, so which TU's copy of a header finding is kept (their notes can differ)
  // does not depend on which TUs came from the cache.
  std::vector<const TUResult *> Ordered;
  for (const TUResult &T : Results)
    Ordered.push_back(&T);
  std::sort(Ordered.begin(), Ordered.end(), // TU files are unique
            [](const TUResult *A, const TUResult *B) { return A->File < B->File; });
  for (const TUResult *TP : Ordered) {
    const TUResult &T = *TP;
    (T.FromCache ? R.Cached : R.Analysed)++;
    if (T.State != TUResult::Status::Ok)
      R.Failed.push_back(
          {T.File, T.State == TUResult::Status::Crashed ? "crashed" : "failed", T.Failure, T.Details});
    R.Rules.insert(T.EnabledChecks.begin(), T.EnabledChecks.end());
    for (const Finding &F : T.Findings) {
      auto Key = std::make_tuple(F.Check, F.Main.File, F.Main.Line, F.Main.Column, F.Main.Text);
      if (!Seen.emplace(Key, R.Findings.size()).second)
        continue;
      R.Findings.push_back(F);
      R.Rules.insert(F.Check);
    }
  }
  for (const Finding &F : Extra) {
    auto Key = std::make_tuple(F.Check, F.Main.File, F.Main.Line, F.Main.Column, F.Main.Text);
    if (!Seen.emplace(Key, R.Findings.size()).second)
      continue;
    R.Findings.push_back(F);
    R.Rules.insert(F.Check);
  }
  std::sort(R.Findings.begin(), R.Findings.end(), [](const Finding &A, const Finding &B) {
    return std::tie(A.Main.File, A.Main.Line, A.Main.Column, A.Check, A.Main.Text) <
           std::tie(B.Main.File, B.Main.Line, B.Main.Column, B.Check, B.Main.Text);
  });
  std::sort(R.Failed.begin(), R.Failed.end(),
            [](const FailedTU &A, const FailedTU &B) { return A.File < B.File; });

  std::map<std::string, unsigned> Occurrences;
  for (Finding &F : R.Findings) {
    std::string Key = F.Check + '\0' + relativeTo(F.Main.File, Root) + '\0' + F.Scope + '\0' + F.Tokens;
    unsigned Index = Occurrences[Key]++;
    F.Fingerprint = hexSha1(Key + '\0' + std::to_string(Index));
  }
  return R;
}

// --- baseline -----------------------------------------------------------------------------------

static constexpr int BaselineFormat = 1;

bool readBaseline(const std::string &Path, std::vector<BaselineEntry> &Out, std::string &Error) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path);
  if (!Buffer) {
    Error = "cannot read baseline '" + Path + "': " + Buffer.getError().message();
    return false;
  }
  json J = json::parse((*Buffer)->getBuffer().begin(), (*Buffer)->getBuffer().end(), nullptr,
                       /*allow_exceptions=*/false);
  if (J.is_discarded()) {
    Error = "baseline '" + Path + "' is not valid JSON";
    return false;
  }
  if (!J.is_object() || J.value("tool", "") != "tether" || !J.contains("findings") ||
      !J["findings"].is_array()) {
    Error = "baseline '" + Path + "' is not a tether baseline (expected {\"tool\": \"tether\", \"findings\": [...]})";
    return false;
  }
  if (J.value("format", 0) != BaselineFormat) {
    Error = "baseline '" + Path + "' has format " + J.value("format", json(0)).dump() +
            ", this tether reads format " + std::to_string(BaselineFormat);
    return false;
  }
  for (const json &E : J["findings"]) {
    if (!E.is_object() || !E.contains("fingerprint") || !E["fingerprint"].is_string()) {
      Error = "baseline '" + Path + "': an entry has no \"fingerprint\" string: " + E.dump();
      return false;
    }
    BaselineEntry B;
    B.Fingerprint = E["fingerprint"].get<std::string>();
    B.Check = E.value("check", "");
    B.File = E.value("file", "");
    B.Message = E.value("message", "");
    B.Line = E.value("line", 0u);
    Out.push_back(std::move(B));
  }
  return true;
}

std::vector<BaselineEntry> baselineEntries(const Report &R) {
  std::vector<BaselineEntry> Out;
  for (const Finding &F : R.Findings)
    Out.push_back({F.Fingerprint, F.Check, relativeTo(F.Main.File, R.Root), F.Main.Text, F.Main.Line});
  return Out;
}

std::string baselineText(const std::vector<BaselineEntry> &Entries) {
  json Findings = json::array();
  for (const BaselineEntry &E : Entries)
    // `file`, `line`, `check` and `message` are for the reader of the file and of its diffs;
    // matching uses only the fingerprint.
    Findings.push_back(json{{"fingerprint", E.Fingerprint}, {"check", E.Check}, {"file", E.File},
                            {"line", E.Line}, {"message", E.Message}});
  json J{{"tool", "tether"}, {"format", BaselineFormat}, {"findings", Findings}};
  return J.dump(2) + "\n";
}

std::string baselineText(const Report &R) { return baselineText(baselineEntries(R)); }

std::vector<BaselineEntry> applyBaseline(Report &R, const std::vector<BaselineEntry> &Baseline) {
  R.UsedBaseline = true;
  std::map<std::string, const Finding *> ByFingerprint;
  for (Finding &F : R.Findings)
    ByFingerprint.emplace(F.Fingerprint, &F);
  std::vector<BaselineEntry> Kept;
  std::set<std::string> Matched;
  for (const BaselineEntry &E : Baseline) {
    auto It = ByFingerprint.find(E.Fingerprint);
    if (It == ByFingerprint.end() || !Matched.insert(E.Fingerprint).second) {
      ++R.Fixed;
      continue;
    }
    Kept.push_back(E);
  }
  for (Finding &F : R.Findings)
    if (Matched.count(F.Fingerprint)) {
      F.InBaseline = true;
      ++R.Baselined;
    }
  // Kept entries carry today's position, so the pruned file stays readable.
  for (BaselineEntry &E : Kept) {
    const Finding &F = *ByFingerprint[E.Fingerprint];
    E.File = relativeTo(F.Main.File, R.Root);
    E.Line = F.Main.Line;
    E.Message = F.Main.Text;
    E.Check = F.Check;
  }
  return Kept;
}

// --- text ---------------------------------------------------------------------------------------

static std::string where(const Message &M, const std::string &Base) {
  if (M.File.empty())
    return "";
  return relativeTo(M.File, Base) + ":" + std::to_string(M.Line) + ":" + std::to_string(M.Column) + ": ";
}

void writeText(llvm::raw_ostream &OS, const Report &R, const std::string &DisplayBase) {
  for (const Finding &F : R.Findings) {
    if (F.InBaseline)
      continue;
    OS << where(F.Main, DisplayBase) << F.Level << ": " << F.Main.Text << " [" << F.Check << "]\n";
    for (const Message &N : F.Notes)
      OS << where(N, DisplayBase) << "note: " << N.Text << "\n";
  }
}

// --- json ---------------------------------------------------------------------------------------

static json messageJson(const Message &M, const std::string &Root) {
  return json{{"file", relativeTo(M.File, Root)}, {"line", M.Line}, {"column", M.Column}, {"message", M.Text}};
}

static json statsJson(const Report &R) {
  json S{{"translation_units", R.TUs}, {"analysed", R.Analysed}, {"cached", R.Cached},
         {"failed", R.Failed.size()},  {"findings", R.Findings.size()}, {"new", R.newFindings()},
         {"seconds", R.Seconds}};
  if (R.UsedBaseline) {
    S["baselined"] = R.Baselined;
    S["fixed_baseline_entries"] = R.Fixed;
  }
  return S;
}

void writeJson(llvm::raw_ostream &OS, const Report &R) {
  json Findings = json::array();
  for (const Finding &F : R.Findings) {
    if (F.InBaseline)
      continue;
    json J = messageJson(F.Main, R.Root);
    J["check"] = F.Check;
    J["level"] = F.Level;
    J["fingerprint"] = F.Fingerprint;
    json Notes = json::array();
    for (const Message &N : F.Notes)
      Notes.push_back(messageJson(N, R.Root));
    J["notes"] = Notes;
    Findings.push_back(J);
  }
  json Failed = json::array();
  for (const FailedTU &T : R.Failed)
    Failed.push_back(json{{"file", relativeTo(T.File, R.Root)}, {"kind", T.Kind}, {"reason", T.Reason}});
  json J{{"tool", "tether"}, {"version", Version}, {"root", R.Root},
         {"findings", Findings}, {"failed", Failed}, {"stats", statsJson(R)}};
  OS << J.dump(2) << "\n";
}

// --- sarif --------------------------------------------------------------------------------------

static std::string shortDescription(const std::string &Check) {
  static const std::map<std::string, std::string> Tether = {
      {"tether-raw-thread", "Raw thread creation outside the tether runtime (std::thread, std::jthread, "
                            "boost::thread, pthread_create, thrd_create, std::async)"},
      {"tether-thread-detach", "Detached thread: unowned, cannot be cancelled or waited for"},
      {"tether-unguarded-loop", "Loop that never exits and never checks for cancellation"},
      {"tether-unbounded-container", "Long-lived container that only grows"},
      {"tether-spawn-in-loop", "Task started once per loop iteration with no bound"},
      {"tether-background-context", "Work started on a context or token nothing can cancel"},
      {"tether-component-name", "Task without a real, constant component name"},
      {"tether-manual-lock", "Mutex locked or unlocked by hand instead of by an RAII lock"},
      {"tether-blocking-under-lock", "Blocking call while a lock is held"},
      {"tether-plain-stop-flag", "Loop that stops only through a plain, non-atomic flag"},
  };
  if (auto It = Tether.find(Check); It != Tether.end())
    return It->second;
  if (llvm::StringRef(Check).starts_with("clang-diagnostic-"))
    return "Compiler warning " + Check.substr(strlen("clang-diagnostic-"));
  if (llvm::StringRef(Check).starts_with("clang-analyzer-"))
    return "Clang Static Analyzer checker " + Check.substr(strlen("clang-analyzer-"));
  return "clang-tidy check " + Check;
}

std::string helpUri(const std::string &Check) {
  llvm::StringRef C(Check);
  if (C.starts_with("tether-"))
    return std::string(TETHER_DOCS_URL) + Check + ".md";
  if (C.starts_with("clang-diagnostic-"))
    return "https://clang.llvm.org/docs/DiagnosticsReference.html#" + Check.substr(strlen("clang-diagnostic-"));
  if (C.starts_with("clang-analyzer-"))
    return "https://clang.llvm.org/docs/analyzer/checkers.html";
  auto [Module, Name] = C.split('-');
  return "https://clang.llvm.org/extra/clang-tidy/checks/" + Module.str() + "/" + Name.str() + ".html";
}

// Percent-encodes what may not appear in a URI path (RFC 3986 unreserved, '/' and sub-delims kept).
static std::string uriPath(const std::string &Path) {
  static const char *Hex = "0123456789ABCDEF";
  std::string Out;
  for (unsigned char C : Path) {
    if (isalnum(C) || strchr("-._~/!$&'()*+,;=:@", C))
      Out.push_back(static_cast<char>(C));
    else {
      Out.push_back('%');
      Out.push_back(Hex[C >> 4]);
      Out.push_back(Hex[C & 15]);
    }
  }
  return Out;
}

static json artifactLocation(const std::string &File, const std::string &Root) {
  std::string Rel = relativeTo(File, Root);
  if (Rel != File)
    return json{{"uri", uriPath(Rel)}, {"uriBaseId", "%SRCROOT%"}};
  return json{{"uri", "file://" + uriPath(File)}};
}

static json physicalLocation(const Message &M, const std::string &Root) {
  json Region{{"startLine", std::max(M.Line, 1u)}};
  if (M.Column)
    Region["startColumn"] = M.Column;
  return json{{"artifactLocation", artifactLocation(M.File, Root)}, {"region", Region}};
}

void writeSarif(llvm::raw_ostream &OS, const Report &R) {
  json Rules = json::array();
  std::map<std::string, unsigned> RuleIndex;
  for (const std::string &Check : R.Rules) {
    RuleIndex[Check] = static_cast<unsigned>(Rules.size());
    Rules.push_back(json{{"id", Check},
                         {"shortDescription", {{"text", shortDescription(Check)}}},
                         {"helpUri", helpUri(Check)},
                         {"defaultConfiguration", {{"level", "warning"}}}});
  }
  json Results = json::array();
  for (const Finding &F : R.Findings) {
    if (F.InBaseline)
      continue;
    json Res{{"ruleId", F.Check},
             {"ruleIndex", RuleIndex[F.Check]},
             {"level", F.Level == "error" ? "error" : "warning"},
             {"message", {{"text", F.Main.Text}}}};
    if (!F.Main.File.empty())
      Res["locations"] = json::array({json{{"physicalLocation", physicalLocation(F.Main, R.Root)}}});
    json Related = json::array();
    for (const Message &N : F.Notes) {
      if (N.File.empty())
        continue;
      Related.push_back(json{{"id", Related.size()},
                             {"physicalLocation", physicalLocation(N, R.Root)},
                             {"message", {{"text", N.Text}}}});
    }
    if (!Related.empty())
      Res["relatedLocations"] = Related;
    Res["partialFingerprints"] = {{"tetherFingerprint/v1", F.Fingerprint}};
    if (R.UsedBaseline)
      Res["baselineState"] = "new";
    Results.push_back(Res);
  }
  json Notifications = json::array();
  for (const FailedTU &T : R.Failed)
    Notifications.push_back(json{
        {"level", "error"},
        {"message", {{"text", "translation unit " + T.Kind + ": " + T.Reason}}},
        {"locations", json::array({json{{"physicalLocation", {{"artifactLocation", artifactLocation(T.File, R.Root)}}}}})}});
  json Invocation{{"executionSuccessful", R.Failed.empty()}};
  if (!Notifications.empty())
    Invocation["toolExecutionNotifications"] = Notifications;
  json Run{{"tool", {{"driver", {{"name", "tether"},
                                 {"version", Version},
                                 {"semanticVersion", Version},
                                 {"informationUri", std::string(TETHER_DOCS_URL)},
                                 {"rules", Rules}}}}},
           {"originalUriBaseIds",
            {{"%SRCROOT%", {{"uri", "file://" + uriPath(R.Root == "/" ? "" : R.Root) + "/"}}}}},
           {"invocations", json::array({Invocation})},
           {"results", Results}};
  json Log{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
           {"version", "2.1.0"},
           {"runs", json::array({Run})}};
  OS << Log.dump(2) << "\n";
}

} // namespace tether::runner
