// The one policy for reporting a site once.
//
// A site in a template is seen once per instantiation (and, for the checks that look at patterns, once
// more as written); a site in a macro is seen once per expansion. Each is reported once, at the place
// the user wrote it (userLocation): the first occurrence that is a finding claims the location, and
// later occurrences of the same location are dropped. Checks that can only judge a template from its
// instantiations (the callee or an argument depends on template parameters) therefore report it if any
// instantiation is a finding, once.
#ifndef TETHER_CHECKS_UTILS_REPORTONCE_H
#define TETHER_CHECKS_UTILS_REPORTONCE_H

#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseSet.h"

namespace clang::tidy::tether {

/// The location a diagnostic about \p Loc should go to: where the user wrote it. For a token that
/// comes from a macro body that is the macro's expansion site; for a macro argument, the argument
/// as spelled at the use site.
inline SourceLocation userLocation(const SourceManager &SM, SourceLocation Loc) {
  return Loc.isValid() ? SM.getFileLoc(Loc) : Loc;
}

/// Per check, reset per translation unit.
class ReportOnce {
public:
  /// True (and remembered) the first time for \p UserLoc, a location from userLocation(); false for an
  /// invalid location and on every later call for the same one.
  bool claim(SourceLocation UserLoc) { return UserLoc.isValid() && Reported.insert(UserLoc).second; }
  /// Has \p UserLoc been claimed?
  bool claimed(SourceLocation UserLoc) const { return Reported.contains(UserLoc); }
  /// Marks \p UserLoc as decided without a report (e.g. an allow-listed file).
  void settle(SourceLocation UserLoc) { Reported.insert(UserLoc); }
  void clear() { Reported.clear(); }

private:
  llvm::DenseSet<SourceLocation> Reported;
};

} // namespace clang::tidy::tether

#endif
