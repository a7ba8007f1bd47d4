#ifndef TETHER_CHECKS_UNGUARDEDLOOPCHECK_H
#define TETHER_CHECKS_UNGUARDEDLOOPCHECK_H

#include "clang-tidy/ClangTidyCheck.h"

namespace clang::tidy::tether {

/// Placeholder: implemented by its issue.
class UnguardedLoopCheck : public ClangTidyCheck {
public:
  UnguardedLoopCheck(StringRef Name, ClangTidyContext *Context) : ClangTidyCheck(Name, Context) {}
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
};

} // namespace clang::tidy::tether

#endif
