#ifndef TETHER_CHECKS_THREADDETACHCHECK_H
#define TETHER_CHECKS_THREADDETACHCHECK_H

#include "clang-tidy/ClangTidyCheck.h"

namespace clang::tidy::tether {

/// Placeholder: implemented by its issue.
class ThreadDetachCheck : public ClangTidyCheck {
public:
  ThreadDetachCheck(StringRef Name, ClangTidyContext *Context) : ClangTidyCheck(Name, Context) {}
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
};

} // namespace clang::tidy::tether

#endif
