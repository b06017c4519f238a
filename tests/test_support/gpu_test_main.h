#pragma once
// main() of a `gpu` test program: exits 77 (ctest SKIP_RETURN_CODE) before running anything when
// no CUDA device is usable, so a CPU-only machine reports "skipped", never "passed".

#include "backend/backend_info.h"

#include <cstdio>
#include <gtest/gtest.h>

namespace attnscope {

inline int runGpuTestsOrSkip(int argc, char** argv)
{
    for (const BackendInfo& backend : listBackends()) {
        if (backend.name == "cuda" && !backend.available) {
            std::printf("skipped: no usable CUDA device (%s)\n", backend.reason.c_str());
            return 77;
        }
        if (backend.name == "cuda") {
            std::printf("CUDA device: %s\n", backend.detail.c_str());
        }
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

} // namespace attnscope
