#include "Result.h"

#include "llvm/Support/xxhash.h"

#include <cstdio>

namespace tether::runner {

using nlohmann::json;

// The cache's and the workers' format only; reports are written by Report.cpp.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Message, File, Offset, Line, Column, Text)

void to_json(json &J, const Finding &F) {
  J = json{{"check", F.Check}, {"level", F.Level}, {"main", F.Main},
           {"notes", F.Notes}, {"scope", F.Scope}, {"tokens", F.Tokens}};
}
void from_json(const json &J, Finding &F) {
  J.at("check").get_to(F.Check);
  J.at("level").get_to(F.Level);
  J.at("main").get_to(F.Main);
  J.at("notes").get_to(F.Notes);
  J.at("scope").get_to(F.Scope);
  J.at("tokens").get_to(F.Tokens);
}

static const char *statusName(TUResult::Status S) {
  switch (S) {
  case TUResult::Status::Ok: return "ok";
  case TUResult::Status::Failed: return "failed";
  case TUResult::Status::Crashed: return "crashed";
  }
  return "ok";
}

void to_json(json &J, const TUResult &R) {
  json Deps = json::array();
  for (const Dependency &D : R.Dependencies)
    Deps.push_back(json::array({D.Path, D.Hash}));
  J = json{{"file", R.File},         {"status", statusName(R.State)}, {"failure", R.Failure},
           {"findings", R.Findings}, {"dependencies", Deps},          {"enabled_checks", R.EnabledChecks},
           {"seconds", R.Seconds}};
  if (!R.Facts.empty())
    J["facts"] = R.Facts;
}
void from_json(const json &J, TUResult &R) {
  J.at("file").get_to(R.File);
  std::string S = J.at("status").get<std::string>();
  R.State = S == "failed" ? TUResult::Status::Failed
            : S == "crashed" ? TUResult::Status::Crashed
                             : TUResult::Status::Ok;
  J.at("failure").get_to(R.Failure);
  J.at("findings").get_to(R.Findings);
  R.Dependencies.clear();
  for (const json &D : J.at("dependencies"))
    R.Dependencies.push_back({D.at(0).get<std::string>(), D.at(1).get<std::string>()});
  J.at("enabled_checks").get_to(R.EnabledChecks);
  J.at("seconds").get_to(R.Seconds);
  R.Facts = tether::facts::TUFacts();
  if (auto It = J.find("facts"); It != J.end())
    It->get_to(R.Facts); // an old facts version throws: the cache treats the entry as stale
}

std::string contentHash(const std::string &Data) {
  char Buf[17];
  std::snprintf(Buf, sizeof Buf, "%016llx", static_cast<unsigned long long>(llvm::xxh3_64bits(Data)));
  return Buf;
}

} // namespace tether::runner
