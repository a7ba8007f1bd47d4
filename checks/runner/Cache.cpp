#include "Cache.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <unistd.h>

namespace tether::runner {

std::string Cache::key(const std::string &CommandsAndConfig) {
  llvm::XXH128_hash_t H = llvm::xxh3_128bits(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(CommandsAndConfig.data()), CommandsAndConfig.size()));
  char Buf[33];
  snprintf(Buf, sizeof Buf, "%016llx%016llx", static_cast<unsigned long long>(H.high64),
           static_cast<unsigned long long>(H.low64));
  return Buf;
}

const std::string &Cache::fileHash(const std::string &Path) {
  auto It = Hashes.find(Path);
  if (It != Hashes.end())
    return It->second;
  std::string Hash;
  if (auto Buffer = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false, /*RequiresNullTerminator=*/false))
    Hash = contentHash((*Buffer)->getBuffer().str());
  return Hashes.emplace(Path, std::move(Hash)).first->second;
}

std::optional<TUResult> Cache::lookup(const std::string &Key) {
  auto Buffer = llvm::MemoryBuffer::getFile(Dir + "/" + Key + ".json");
  if (!Buffer)
    return std::nullopt;
  nlohmann::json J = nlohmann::json::parse((*Buffer)->getBuffer().begin(), (*Buffer)->getBuffer().end(),
                                           nullptr, /*allow_exceptions=*/false);
  if (J.is_discarded())
    return std::nullopt;
  TUResult R;
  try {
    J.get_to(R);
  } catch (const nlohmann::json::exception &) {
    return std::nullopt; // an entry of another format: analyse again
  }
  for (const Dependency &D : R.Dependencies) {
    const std::string &Now = fileHash(D.Path);
    if (Now.empty() || Now != D.Hash)
      return std::nullopt;
  }
  R.FromCache = true;
  return R;
}

void Cache::store(const std::string &Key, const TUResult &R) {
  if (llvm::sys::fs::create_directories(Dir))
    return;
  std::string Final = Dir + "/" + Key + ".json";
  std::string Temp = Final + ".tmp" + std::to_string(getpid());
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Temp, EC);
    if (EC)
      return;
    OS << nlohmann::json(R).dump();
  }
  llvm::sys::fs::rename(Temp, Final);
}

void Cache::retainOnly(const std::set<std::string> &Keys) {
  std::error_code EC;
  std::vector<std::string> Stale;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; It != End && !EC; It.increment(EC)) {
    llvm::StringRef Name = llvm::sys::path::filename(It->path());
    if (Name.ends_with(".json") && !Keys.count(Name.drop_back(5).str()))
      Stale.push_back(It->path());
  }
  for (const std::string &Path : Stale)
    llvm::sys::fs::remove(Path);
}

std::string binaryIdentity(const char *Argv0) {
  std::string Exe = llvm::sys::fs::getMainExecutable(Argv0, reinterpret_cast<void *>(&binaryIdentity));
  llvm::sys::fs::file_status Status;
  std::string Id = std::string(Version) + "|" + Exe;
  if (!llvm::sys::fs::status(Exe, Status))
    Id += "|" + std::to_string(Status.getSize()) + "|" +
          std::to_string(Status.getLastModificationTime().time_since_epoch().count());
  return Id;
}

} // namespace tether::runner
