#include "OptionUtils.h"
#include "clang-tidy/utils/OptionsUtils.h"
#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyOptions.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"
#include <fstream>

namespace clang::tidy::tether {

namespace {

/// A bad option value found while --verify-config re-constructs a check (see makeCheck).
struct BadOption {
  std::string Key;
  std::string Message;
  DiagnosticIDs::Level Level;
};

// The context of the check being constructed by makeCheck on this thread, and, while
// --verify-config re-constructs a check with one source's options, where bad values go (they are
// printed by makeCheck instead of being reported through a context nobody reads).
thread_local ClangTidyContext *Constructing = nullptr;
thread_local std::vector<BadOption> *Captured = nullptr;

struct ConstructionScope {
  ClangTidyContext *SavedContext;
  std::vector<BadOption> *SavedCapture;
  ConstructionScope(ClangTidyContext *Context, std::vector<BadOption> *Capture)
      : SavedContext(Constructing), SavedCapture(Captured) {
    Constructing = Context;
    Captured = Capture;
  }
  ~ConstructionScope() {
    Constructing = SavedContext;
    Captured = SavedCapture;
  }
};

} // namespace

std::vector<std::string> splitList(llvm::StringRef Value) {
  // clang-tidy's own list syntax: items trimmed, empty ones dropped.
  std::vector<std::string> Items;
  for (llvm::StringRef Item : utils::options::parseStringList(Value))
    Items.push_back(Item.str());
  return Items;
}

std::vector<std::string> splitListOption(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                         llvm::StringRef Value) {
  std::vector<std::string> Items = splitList(Value);
  if (Items.empty() && !Value.trim().empty())
    reportBadOption(Check, OptionName,
                    "option '" + optionKey(Check, OptionName) + "' is " + quoteForMessage(Value) +
                        ", which names nothing: this part of the check is off; set it to '' "
                        "to turn it off on purpose",
                    DiagnosticIDs::Warning);
  return Items;
}

std::string joinList(const std::vector<std::string> &Items) { return llvm::join(Items, ";"); }

std::string quoteForMessage(llvm::StringRef Value) {
  // Long enough for any sensible name or pattern; a pasted list is cut in the middle, on UTF-8
  // character boundaries.
  constexpr size_t Max = 120, Keep = 50;
  if (Value.size() <= Max)
    return ("'" + Value + "'").str();
  size_t Head = Keep, Tail = Value.size() - Keep;
  while (Head > 0 && (static_cast<unsigned char>(Value[Head]) & 0xC0) == 0x80)
    --Head;
  while (Tail < Value.size() && (static_cast<unsigned char>(Value[Tail]) & 0xC0) == 0x80)
    ++Tail;
  return ("'" + Value.take_front(Head) + "...' (" + llvm::Twine(Value.size()) +
          " characters) ...'" + Value.drop_front(Tail) + "'")
      .str();
}

std::string optionKey(const ClangTidyCheck &Check, llvm::StringRef OptionName) {
  // ClangTidyCheck::getID() is protected; MatchCallback's is public and virtual.
  const auto &Callback = static_cast<const ast_matchers::MatchFinder::MatchCallback &>(Check);
  return (Callback.getID() + "." + OptionName).str();
}

void reportBadOption(ClangTidyCheck &Check, llvm::StringRef OptionName, const llvm::Twine &Message,
                     DiagnosticIDs::Level Level) {
  std::string Text = Message.str();
  if (Captured) {
    Captured->push_back({optionKey(Check, OptionName), Text, Level});
    return;
  }
  Check.configurationDiag("%0", Level) << Text;
  // --dump-config constructs the checks with a context whose diagnostics are never shown (no file
  // is being checked: the context's placeholder name, and no option names are being collected):
  // say it here.
  if (Constructing && !Constructing->getOptionsCollector() &&
      (Constructing->getCurrentFile().empty() || Constructing->getCurrentFile() == "dummy"))
    llvm::errs() << (Level == DiagnosticIDs::Error ? "error: " : "warning: ") << Text
                 << " [clang-tidy-config]\n";
}

std::optional<llvm::Regex> compileRegexOption(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                              llvm::StringRef Pattern) {
  llvm::Regex Re(Pattern);
  std::string Error;
  if (!Re.isValid(Error)) {
    reportBadOption(Check, OptionName,
                    "invalid regular expression " + quoteForMessage(Pattern) + " for option '" +
                        optionKey(Check, OptionName) + "': " + Error);
    return std::nullopt;
  }
  return Re;
}

bool parseBoolOption(ClangTidyCheck &Check, llvm::StringRef OptionName, llvm::StringRef Value,
                     bool Default) {
  if (std::optional<bool> B = llvm::yaml::parseBool(Value.trim()))
    return *B;
  long long N = 0;
  if (!Value.trim().getAsInteger(10, N))
    return N != 0;
  reportBadOption(Check, OptionName,
                  "invalid configuration value " + quoteForMessage(Value) + " for option '" +
                      optionKey(Check, OptionName) + "': expected a bool ('true' or 'false')");
  return Default;
}

/// Is \p S a C++ identifier? ASCII letters, digits and '_', and (C++23 [lex.name], UAX #31) the
/// letters of other scripts, written in UTF-8: `thrëad`, `поток`, `スレッド`. Non-ASCII code points
/// are accepted unless they are spaces or punctuation, which no name can contain.
static bool isIdentifier(llvm::StringRef S) {
  if (S.empty() || llvm::isDigit(S.front()))
    return false;
  const auto *P = reinterpret_cast<const llvm::UTF8 *>(S.begin());
  const auto *End = reinterpret_cast<const llvm::UTF8 *>(S.end());
  while (P < End) {
    if (*P < 0x80) {
      if (!llvm::isAlnum(*P) && *P != '_')
        return false;
      ++P;
      continue;
    }
    llvm::UTF32 C = 0;
    if (llvm::convertUTF8Sequence(&P, End, &C, llvm::strictConversion) != llvm::conversionOK)
      return false; // not UTF-8
    bool SpaceOrPunctuation = (C >= 0x80 && C <= 0xBF) || C == 0xD7 || C == 0xF7 ||
                              (C >= 0x2000 && C <= 0x206F) || (C >= 0x3000 && C <= 0x303F) ||
                              C == 0xFEFF || (C >= 0xFF00 && C <= 0xFF0F);
    if (SpaceOrPunctuation)
      return false;
  }
  return true;
}

std::vector<std::string> validateQualifiedNames(ClangTidyCheck &Check, llvm::StringRef OptionName,
                                                const std::vector<std::string> &Names) {
  std::vector<std::string> Good;
  for (const std::string &Name : Names) {
    llvm::StringRef Rest(Name);
    Rest.consume_front("::");
    llvm::SmallVector<llvm::StringRef, 4> Parts;
    Rest.split(Parts, "::", -1, /*KeepEmpty=*/true);
    if (Parts.empty() || !llvm::all_of(Parts, isIdentifier)) {
      reportBadOption(Check, OptionName,
                      "invalid qualified name " + quoteForMessage(Name) + " in option '" +
                          optionKey(Check, OptionName) +
                          "': expected a name such as 'ns::function' or 'ns::Class::method'");
      continue;
    }
    Good.push_back(Name);
  }
  return Good;
}

// ---------------------------------------------------------------------------------------------
// --verify-config
// ---------------------------------------------------------------------------------------------

namespace {

/// The value of clang-tidy's string option \p Name if it was given on the command line.
/// (clang-tidy's --config and --config-file are cl::opt<std::string> in ClangTidyMain.cpp.)
std::optional<std::string> commandLineString(llvm::StringRef Name) {
  auto &Registered = llvm::cl::getRegisteredOptions();
  auto It = Registered.find(Name);
  if (It == Registered.end() || It->second->getNumOccurrences() == 0)
    return std::nullopt;
  return static_cast<llvm::cl::opt<std::string> *>(It->second)->getValue();
}

/// The first input file of the command line ("dummy", in the working directory, when there is
/// none: the file clang-tidy's --verify-config reads the .clang-tidy files for).
std::string firstInputFile() {
  std::ifstream In("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> Args;
  for (std::string Arg; std::getline(In, Arg, '\0');)
    Args.push_back(Arg);
  auto &Registered = llvm::cl::getRegisteredOptions();
  for (size_t I = 1; I < Args.size(); ++I) {
    llvm::StringRef Arg = Args[I];
    if (Arg == "--")
      break;
    if (Arg.starts_with("@"))
      continue; // a response file: not followed
    if (!Arg.starts_with("-") || Arg == "-")
      return Arg.str();
    llvm::StringRef Name = Arg.ltrim('-');
    if (Name.contains('='))
      continue;
    auto It = Registered.find(Name);
    if (It != Registered.end() && It->second->getValueExpectedFlag() == llvm::cl::ValueRequired)
      ++I; // `-p build`: the next argument is this option's value
  }
  return "dummy";
}

/// The configuration sources a clang-tidy run would read, as clang-tidy's --verify-config lists
/// them (without the built-in defaults and command-line overrides, which hold no check options).
std::vector<ClangTidyOptionsProvider::OptionsSource> userConfigurationSources() {
  std::vector<ClangTidyOptionsProvider::OptionsSource> Sources;
  auto Parse = [&](llvm::StringRef Text, llvm::StringRef Source) {
    // Parse errors are clang-tidy's to report (it already has); silence the YAML parser here.
    llvm::ErrorOr<ClangTidyOptions> Parsed = parseConfigurationWithDiags(
        llvm::MemoryBufferRef(Text, Source), [](const llvm::SMDiagnostic &) {});
    if (Parsed)
      Sources.emplace_back(std::move(*Parsed), Source.str());
  };
  if (std::optional<std::string> File = commandLineString("config-file")) {
    if (auto Buffer = llvm::MemoryBuffer::getFile(*File))
      Parse((*Buffer)->getBuffer(), *File);
    return Sources;
  }
  if (std::optional<std::string> Config = commandLineString("config")) {
    Parse(*Config, "<command-line-config>");
    return Sources;
  }
  // Not through FileOptionsProvider: it would print each parse error a second time.
  std::vector<ConfigFile> Files = findConfigFiles(firstInputFile());
  for (auto It = Files.rbegin(); It != Files.rend(); ++It) // outermost first, as clang-tidy lists
    if (It->Options)
      Sources.emplace_back(*It->Options, It->Path);
  return Sources;
}

} // namespace

std::vector<ConfigFile> findConfigFiles(llvm::StringRef SourceFile) {
  llvm::SmallString<256> Path(SourceFile);
  if (SourceFile.empty() || SourceFile == "-")
    Path = "dummy"; // stdin: the working directory's configuration
  llvm::sys::fs::make_absolute(Path);
  llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
  std::vector<ConfigFile> Files;
  for (llvm::StringRef Dir = llvm::sys::path::parent_path(Path); !Dir.empty();
       Dir = llvm::sys::path::parent_path(Dir)) {
    llvm::SmallString<256> File(Dir);
    llvm::sys::path::append(File, ".clang-tidy");
    auto Buffer = llvm::MemoryBuffer::getFile(File);
    if (!Buffer)
      continue;
    std::optional<llvm::SMDiagnostic> Error;
    llvm::ErrorOr<ClangTidyOptions> Parsed = parseConfigurationWithDiags(
        (*Buffer)->getMemBufferRef(), [&](const llvm::SMDiagnostic &D) {
          if (!Error && D.getKind() == llvm::SourceMgr::DK_Error)
            Error = D;
        });
    bool Inherit = Parsed && Parsed->InheritParentConfig.value_or(false);
    Files.push_back({File.str().str(), std::move(Parsed), std::move(Error)});
    if (!Inherit)
      break;
  }
  return Files;
}

namespace {

void verifyUserOptions(llvm::StringRef Name, ClangTidyContext *Context, CheckMaker Make) {
  static const std::vector<ClangTidyOptionsProvider::OptionsSource> Sources =
      userConfigurationSources();
  std::string Prefix = (Name + ".").str();
  for (const auto &[Options, Source] : Sources) {
    ClangTidyOptions Mine;
    for (const auto &[Key, Value] : Options.CheckOptions)
      if (llvm::StringRef(Key).starts_with(Prefix))
        Mine.CheckOptions.insert({Key, Value});
    if (Mine.CheckOptions.empty())
      continue;
    ClangTidyContext Scratch(std::make_unique<DefaultOptionsProvider>(
        ClangTidyGlobalOptions(), ClangTidyOptions::getDefaults().merge(Mine, 0)));
    std::vector<BadOption> Bad;
    {
      ConstructionScope Scope(&Scratch, &Bad);
      Make(Name, &Scratch);
    }
    for (const BadOption &B : Bad) {
      bool IsError = B.Level == DiagnosticIDs::Error;
      (IsError ? llvm::WithColor::error(llvm::errs(), Source)
               : llvm::WithColor::warning(llvm::errs(), Source))
          << B.Message << " [-verify-config]\n";
      // clang-tidy fails the verification for an option it does not know: make it not know this one.
      if (IsError)
        if (llvm::StringSet<> *Known = Context->getOptionsCollector())
          Known->erase(B.Key);
    }
  }
}

} // namespace

std::unique_ptr<ClangTidyCheck> makeCheck(llvm::StringRef Name, ClangTidyContext *Context,
                                          CheckMaker Make) {
  std::unique_ptr<ClangTidyCheck> Check;
  {
    ConstructionScope Scope(Context, Captured);
    Check = Make(Name, Context);
  }
  // --verify-config is the only caller that collects the names of the options checks read.
  if (Context->getOptionsCollector() && !Captured)
    verifyUserOptions(Name, Context, Make);
  return Check;
}

} // namespace clang::tidy::tether
