#include "UnguardedLoopCheck.h"
