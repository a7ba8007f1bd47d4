#include "UnboundedContainerCheck.h"
