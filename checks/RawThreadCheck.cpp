#include "RawThreadCheck.h"
