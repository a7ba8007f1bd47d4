#ifndef TETHER_CHECKS_RAWTHREADCHECK_H
#define TETHER_CHECKS_RAWTHREADCHECK_H

#include "clang-tidy/ClangTidyCheck.h"

namespace clang::tidy::tether {

/// Placeholder: implemented by its issue.
class RawThreadCheck : public ClangTidyCheck {
public:
  RawThreadCheck(StringRef Name, ClangTidyContext *Context) : ClangTidyCheck(Name, Context) {}
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
};

} // namespace clang::tidy::tether

#endif
