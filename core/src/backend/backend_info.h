#pragma once
// BackendInfo and listBackends() are part of the public API (attnscope/backends.h); core's own
// modules include them through this name.
#include "attnscope/backends.h"
