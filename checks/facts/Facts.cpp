#include "Facts.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <unistd.h>

namespace tether::facts {

using nlohmann::json;

namespace {

const char *siteKindName(Site::Kind K) {
  switch (K) {
  case Site::Kind::Grow: return "grow";
  case Site::Kind::Bound: return "bound";
  case Site::Kind::Escape: return "escape";
  }
  return "grow";
}

template <typename T> T field(const json &J, const char *Key, T Default = T()) {
  auto It = J.find(Key);
  if (It == J.end() || It->is_null())
    return Default;
  return It->get<T>();
}

} // namespace

void to_json(json &J, const TUFacts &F) {
  json Containers = json::array();
  for (const auto &[Usr, C] : F.Containers) {
    json Sites = json::array();
    for (const Site &S : C.Sites) {
      json JS = {{"kind", siteKindName(S.K)}, {"function", S.Function}, {"file", S.File},
                 {"line", S.Line},            {"column", S.Column}};
      if (S.ConstantKey)
        JS["constant_key"] = true;
      Sites.push_back(std::move(JS));
    }
    Containers.push_back({{"usr", C.Usr},
                          {"name", C.Name},
                          {"ignore_name", C.IgnoreName},
                          {"type", C.Type},
                          {"kind", C.Kind},
                          {"storage", C.Storage},
                          {"linkage", C.Linkage},
                          {"access", C.Access},
                          {"owner", C.Owner},
                          {"owner_name", C.OwnerName},
                          {"file", C.File},
                          {"line", C.Line},
                          {"column", C.Column},
                          {"offset", C.Offset},
                          {"definition", C.Definition},
                          {"scope", C.Scope},
                          {"key_enum_or_bool", C.KeyEnumOrBool},
                          {"callable", C.Callable},
                          {"reportable", C.Reportable},
                          {"error", C.Error},
                          {"ignored", C.Ignored},
                          {"sites", std::move(Sites)}});
  }
  json Functions = json::array();
  for (const auto &[Usr, Fn] : F.Functions) {
    json Callers = json::array(), LoopCallers = json::array();
    for (const Call &C : Fn.Callers)
      (C.Loop ? LoopCallers : Callers).push_back(C.Caller);
    json JF = {{"id", Fn.Usr}, {"name", Fn.Name}};
    if (!Fn.Class.empty())
      JF["class"] = Fn.Class;
    if (Fn.Constructor)
      JF["constructor"] = true;
    if (Fn.Main)
      JF["main"] = true;
    if (Fn.Callback)
      JF["callback"] = true;
    if (!Callers.empty())
      JF["callers"] = std::move(Callers);
    if (!LoopCallers.empty())
      JF["loop_callers"] = std::move(LoopCallers);
    Functions.push_back(std::move(JF));
  }
  json Classes = json::array();
  for (const auto &[Usr, C] : F.Classes) {
    json Instances = json::array();
    for (const Instance &I : C.Instances)
      Instances.push_back(I.In.empty() ? json{{"how", I.How}} : json{{"how", I.How}, {"in", I.In}});
    Classes.push_back({{"usr", C.Usr},
                       {"name", C.Name},
                       {"needs_body", C.NeedsBody},
                       {"defined", C.Defined},
                       {"friends", C.Friends},
                       {"instances", std::move(Instances)}});
  }
  J = json{{"format", FormatName},          {"version", FormatVersion}, {"tu", F.TU},
           {"containers", std::move(Containers)}, {"functions", std::move(Functions)},
           {"classes", std::move(Classes)}};
}

void from_json(const json &J, TUFacts &F) {
  if (!J.is_object() || field<std::string>(J, "format") != FormatName)
    throw std::runtime_error("not a tether facts file (no \"format\": \"tether-facts\")");
  int Version = field<int>(J, "version", -1);
  if (Version != FormatVersion)
    throw std::runtime_error("facts format version " + std::to_string(Version) + ", this tether reads version " +
                             std::to_string(FormatVersion) + " (regenerate the facts with this tether)");
  F = TUFacts();
  F.TU = field<std::string>(J, "tu");
  for (const json &JC : J.at("containers")) {
    Container C;
    C.Usr = JC.at("usr").get<std::string>();
    C.Name = field<std::string>(JC, "name");
    C.IgnoreName = field<std::string>(JC, "ignore_name");
    C.Type = field<std::string>(JC, "type");
    C.Kind = field<std::string>(JC, "kind", "associative");
    C.Storage = field<std::string>(JC, "storage");
    C.Linkage = field<std::string>(JC, "linkage");
    C.Access = field<std::string>(JC, "access");
    C.Owner = field<std::string>(JC, "owner");
    C.OwnerName = field<std::string>(JC, "owner_name");
    C.File = field<std::string>(JC, "file");
    C.Line = field<unsigned>(JC, "line");
    C.Column = field<unsigned>(JC, "column");
    C.Offset = field<unsigned>(JC, "offset");
    C.Definition = field<bool>(JC, "definition");
    C.Scope = field<std::string>(JC, "scope");
    C.KeyEnumOrBool = field<bool>(JC, "key_enum_or_bool");
    C.Callable = field<bool>(JC, "callable");
    C.Reportable = field<bool>(JC, "reportable");
    C.Error = field<bool>(JC, "error");
    C.Ignored = field<bool>(JC, "ignored");
    for (const json &JS : JC.at("sites")) {
      Site S;
      std::string K = JS.at("kind").get<std::string>();
      if (K == "grow")
        S.K = Site::Kind::Grow;
      else if (K == "bound")
        S.K = Site::Kind::Bound;
      else if (K == "escape")
        S.K = Site::Kind::Escape;
      else
        throw std::runtime_error("unknown site kind '" + K + "'");
      S.Function = field<std::string>(JS, "function");
      S.File = field<std::string>(JS, "file");
      S.Line = field<unsigned>(JS, "line");
      S.Column = field<unsigned>(JS, "column");
      S.ConstantKey = field<bool>(JS, "constant_key");
      C.Sites.push_back(std::move(S));
    }
    F.Containers[C.Usr] = std::move(C);
  }
  for (const json &JF : J.at("functions")) {
    Function Fn;
    Fn.Usr = JF.at("id").get<std::string>();
    Fn.Name = field<std::string>(JF, "name");
    Fn.Class = field<std::string>(JF, "class");
    Fn.Constructor = field<bool>(JF, "constructor");
    Fn.Main = field<bool>(JF, "main");
    Fn.Callback = field<bool>(JF, "callback");
    if (auto It = JF.find("callers"); It != JF.end())
      for (const json &JC : *It)
        Fn.Callers.insert({JC.get<std::string>(), false});
    if (auto It = JF.find("loop_callers"); It != JF.end())
      for (const json &JC : *It)
        Fn.Callers.insert({JC.get<std::string>(), true});
    F.Functions[Fn.Usr] = std::move(Fn);
  }
  for (const json &JC : J.at("classes")) {
    Class C;
    C.Usr = JC.at("usr").get<std::string>();
    C.Name = field<std::string>(JC, "name");
    C.NeedsBody = field<std::set<std::string>>(JC, "needs_body");
    C.Defined = field<std::set<std::string>>(JC, "defined");
    C.Friends = field<std::set<std::string>>(JC, "friends");
    if (auto It = JC.find("instances"); It != JC.end())
      for (const json &JI : *It)
        C.Instances.insert({JI.at("how").get<std::string>(), field<std::string>(JI, "in")});
    F.Classes[C.Usr] = std::move(C);
  }
}

bool readFactsFile(const std::string &Path, TUFacts &Out, std::string &Error) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!Buffer) {
    Error = "cannot read facts file '" + Path + "': " + Buffer.getError().message();
    return false;
  }
  json J = json::parse((*Buffer)->getBuffer().begin(), (*Buffer)->getBuffer().end(), nullptr,
                       /*allow_exceptions=*/false);
  if (J.is_discarded()) {
    Error = "facts file '" + Path + "' is not valid JSON";
    return false;
  }
  try {
    J.get_to(Out);
  } catch (const std::exception &E) {
    Error = "facts file '" + Path + "': " + E.what();
    return false;
  }
  return true;
}

bool readFactsDir(const std::string &Dir, TUFacts &Merged, std::string &Error, unsigned *Files) {
  if (!llvm::sys::fs::is_directory(Dir)) {
    Error = "facts folder '" + Dir + "' does not exist or is not a folder";
    return false;
  }
  std::vector<std::string> Paths;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; It != End && !EC; It.increment(EC))
    if (llvm::StringRef(It->path()).ends_with(".json"))
      Paths.push_back(It->path());
  if (EC) {
    Error = "cannot list facts folder '" + Dir + "': " + EC.message();
    return false;
  }
  std::sort(Paths.begin(), Paths.end()); // the merge is order-independent; this keeps I/O stable
  for (const std::string &P : Paths) {
    TUFacts One;
    if (!readFactsFile(P, One, Error))
      return false;
    merge(Merged, One);
  }
  if (Files)
    *Files = static_cast<unsigned>(Paths.size());
  return true;
}

bool writeFactsFile(const std::string &Path, const TUFacts &F, std::string &Error) {
  std::string Temp = Path + ".tmp" + std::to_string(getpid());
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Temp, EC);
    if (EC) {
      Error = "cannot write facts file '" + Temp + "': " + EC.message();
      return false;
    }
    OS << json(F).dump();
    OS.close();
    if (OS.has_error()) {
      Error = "cannot write facts file '" + Temp + "'";
      OS.clear_error();
      return false;
    }
  }
  if (std::error_code EC = llvm::sys::fs::rename(Temp, Path)) {
    Error = "cannot rename '" + Temp + "' to '" + Path + "': " + EC.message();
    return false;
  }
  return true;
}

void merge(TUFacts &Into, const TUFacts &From) {
  for (const auto &[Usr, C] : From.Containers) {
    auto [It, Inserted] = Into.Containers.try_emplace(Usr, C);
    if (Inserted)
      continue;
    Container &M = It->second;
    // Position: a definition wins over a declaration (an extern global, a static member).
    if (C.Definition && !M.Definition) {
      M.File = C.File;
      M.Line = C.Line;
      M.Column = C.Column;
      M.Offset = C.Offset;
      M.Definition = true;
      M.Scope = C.Scope;
      M.Reportable = C.Reportable;
      M.Error = C.Error;
    } else if (C.Definition == M.Definition && C.File == M.File && C.Offset == M.Offset) {
      M.Reportable |= C.Reportable;
      M.Error |= C.Error;
    }
    M.Ignored |= C.Ignored;
    M.KeyEnumOrBool |= C.KeyEnumOrBool;
    M.Callable |= C.Callable;
    M.Sites.insert(M.Sites.end(), C.Sites.begin(), C.Sites.end());
  }
  for (const auto &[Usr, Fn] : From.Functions) {
    auto [It, Inserted] = Into.Functions.try_emplace(Usr, Fn);
    if (Inserted)
      continue;
    Function &M = It->second;
    M.Constructor |= Fn.Constructor;
    M.Main |= Fn.Main;
    M.Callback |= Fn.Callback;
    if (M.Class.empty())
      M.Class = Fn.Class;
    M.Callers.insert(Fn.Callers.begin(), Fn.Callers.end());
  }
  for (const auto &[Usr, C] : From.Classes) {
    auto [It, Inserted] = Into.Classes.try_emplace(Usr, C);
    if (Inserted)
      continue;
    Class &M = It->second;
    M.NeedsBody.insert(C.NeedsBody.begin(), C.NeedsBody.end());
    M.Defined.insert(C.Defined.begin(), C.Defined.end());
    M.Friends.insert(C.Friends.begin(), C.Friends.end());
    M.Instances.insert(C.Instances.begin(), C.Instances.end());
  }
}

// --- judgement ---------------------------------------------------------------------------------

namespace {

class Judge {
public:
  Judge(const TUFacts &P, const JudgeOptions &O) : P(P), O(O) {}

  std::vector<Verdict> run() {
    std::vector<Verdict> Out;
    for (const auto &[Usr, C] : P.Containers) {
      if (!C.Reportable || C.Ignored)
        continue;
      std::vector<const Site *> Growth;
      bool Bounded = false;
      for (const Site &S : C.Sites) {
        if (S.K != Site::Kind::Grow) {
          Bounded = true;
          break;
        }
        Growth.push_back(&S);
      }
      if (Bounded || Growth.empty())
        continue;
      if (!C.Owner.empty() && !classFullySeen(C.Owner))
        continue;
      if (O.BoundedKeyDomain && C.Kind == "associative" &&
          (C.KeyEnumOrBool ||
           std::all_of(Growth.begin(), Growth.end(), [](const Site *S) { return S->ConstantKey; })))
        continue;
      if (O.Registries && C.Callable)
        continue;
      if (O.StartupFilling &&
          std::all_of(Growth.begin(), Growth.end(), [&](const Site *S) { return startupOnly(S->Function); }))
        continue;
      if (O.ShortLivedOwner && C.Storage == "member" && shortLived(C.Owner))
        continue;
      std::sort(Growth.begin(), Growth.end(), [](const Site *A, const Site *B) { return *A < *B; });
      Growth.erase(std::unique(Growth.begin(), Growth.end(), [](const Site *A, const Site *B) { return *A == *B; }),
                   Growth.end());
      Verdict V;
      V.C = &C;
      V.Growth = std::move(Growth);
      for (const Site *S : V.Growth)
        if (V.Path = eventPath(S->Function); !V.Path.empty())
          break;
      Out.push_back(std::move(V));
    }
    return Out;
  }

private:
  // Every member function and friend function that needs a body has one in some TU: no code
  // outside the compile database can touch the class's members (beyond what `public` allows,
  // which every TU seen also covers).
  bool classFullySeen(const std::string &Usr) {
    auto It = P.Classes.find(Usr);
    if (It == P.Classes.end())
      return true; // a class with no recorded functions
    for (const std::string &F : It->second.NeedsBody)
      if (!It->second.Defined.count(F))
        return false;
    return true;
  }

  // Rule 3: the function runs only at start-up: a constructor, main, a namespace-scope
  // initializer (""), or a function every caller of which (program-wide) is start-up-only and
  // calls it outside loops. A callback, a function nobody in the program calls, and call cycles
  // are not.
  bool startupOnly(const std::string &Usr) {
    if (Usr.empty())
      return true;
    auto Memo = Startup.find(Usr);
    if (Memo != Startup.end())
      return Memo->second;
    Startup[Usr] = false; // in progress: a cycle is not start-up
    auto It = P.Functions.find(Usr);
    bool Result = false;
    if (It != P.Functions.end()) {
      const Function &F = It->second;
      if (F.Constructor || F.Main)
        Result = true;
      else if (!F.Callback && !F.Callers.empty())
        Result = std::all_of(F.Callers.begin(), F.Callers.end(),
                             [&](const Call &C) { return !C.Loop && startupOnly(C.Caller); });
    }
    Startup[Usr] = Result;
    return Result;
  }

  // Rule 4: every instance of the class (program-wide) is automatic, a temporary, or a member of
  // a class that is itself short-lived. A class with no recorded instance is not.
  bool shortLived(const std::string &Usr) {
    auto Memo = Short.find(Usr);
    if (Memo != Short.end())
      return Memo->second;
    Short[Usr] = false;
    auto It = P.Classes.find(Usr);
    bool Result = It != P.Classes.end() && !It->second.Instances.empty() &&
                  std::all_of(It->second.Instances.begin(), It->second.Instances.end(), [&](const Instance &I) {
                    if (I.How == "automatic" || I.How == "temporary")
                      return true;
                    return I.How == "member" && !I.In.empty() && shortLived(I.In);
                  });
    Short[Usr] = Result;
    return Result;
  }

  std::string nameOf(const std::string &Usr) const {
    auto It = P.Functions.find(Usr);
    return It == P.Functions.end() || It->second.Name.empty() ? std::string("?") : It->second.Name;
  }

  // The nearest event source above `Usr` in the merged call graph (breadth-first): a call in a
  // loop, or a function whose address escapes (a callback, a thread body, a spawned lambda).
  std::string eventPath(const std::string &Usr) {
    if (Usr.empty())
      return "";
    std::map<std::string, std::string> Via; // function -> its callee on the way down
    std::deque<std::string> Queue{Usr};
    Via[Usr] = "";
    std::string Grown = "grown in " + nameOf(Usr);
    auto Chain = [&](const std::string &From) {
      // The functions between the growing one and `From`, outermost last.
      std::vector<std::string> Names;
      for (std::string F = Via[From]; !F.empty() && F != Usr; F = Via[F])
        Names.push_back(nameOf(F));
      std::string Out;
      for (auto It = Names.rbegin(); It != Names.rend(); ++It)
        Out += (Out.empty() ? " via " : ", ") + *It;
      return Out;
    };
    while (!Queue.empty() && Via.size() < 256) {
      std::string F = Queue.front();
      Queue.pop_front();
      auto It = P.Functions.find(F);
      if (It == P.Functions.end())
        continue;
      if (It->second.Callback)
        return F == Usr ? Grown + ", which runs as a callback (its address is taken)"
                        : Grown + Chain(F) + ", called from " + nameOf(F) + ", which runs as a callback";
      for (const Call &C : It->second.Callers) {
        if (C.Loop)
          return Grown + (F == Usr ? std::string() : " via " + nameOf(F) + Chain(F)) + ", called from a loop in " +
                 nameOf(C.Caller);
        if (Via.try_emplace(C.Caller, F).second)
          Queue.push_back(C.Caller);
      }
    }
    return "";
  }

  const TUFacts &P;
  const JudgeOptions &O;
  // Memos of one judgement: at most one entry per function / class of the program.
  std::map<std::string, bool> Startup; // NOLINT(tether-unbounded-container): one per function
  std::map<std::string, bool> Short;   // NOLINT(tether-unbounded-container): one per class
};

} // namespace

std::vector<Verdict> judge(const TUFacts &Program, const JudgeOptions &Options) {
  return Judge(Program, Options).run();
}

std::string verdictMessage(const Verdict &V) {
  const Container &C = *V.C;
  std::string N = std::to_string(V.Growth.size()) + (V.Growth.size() == 1 ? " site" : " sites");
  std::string Text = "'" + C.Name + "' only grows program-wide: ";
  if (C.Kind == "queue")
    Text += "entries are pushed (" + N +
            ") but no translation unit pops, erases, clears or size-checks it; cap it: pop or drop entries once "
            "size() reaches a limit";
  else
    Text += "entries are inserted (" + N +
            ") but no translation unit erases, clears or size-checks it; bound it with 'tether::bounded_map' "
            "(capacity + LRU eviction) or erase entries";
  if (!V.Path.empty())
    Text += " (" + V.Path + ")";
  return Text;
}

// --- sink --------------------------------------------------------------------------------------

namespace {
Sink *Current = nullptr;
}

void setSink(Sink *S) { Current = S; }
Sink *currentSink() { return Current; }

void markProbe(TUFacts &F, const std::string &Message, bool IsError) {
  llvm::StringRef Usr(Message);
  if (!Usr.consume_front(ProbePrefix))
    return;
  auto It = F.Containers.find(Usr.str());
  if (It == F.Containers.end())
    return;
  It->second.Reportable = true;
  It->second.Error |= IsError;
}

} // namespace tether::facts
