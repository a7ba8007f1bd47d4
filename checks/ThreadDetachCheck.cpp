#include "ThreadDetachCheck.h"
