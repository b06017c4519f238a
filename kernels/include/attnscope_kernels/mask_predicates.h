#pragma once
// The one definition of "is key k visible to query q" for every pattern that is a pure function of
// positions. The CPU reference, the CUDA kernels and the drawn masks all call these, so what the
// user sees is what was computed. Plain C++17, no std:: containers (nvcc compiles this too).

#include "attnscope_kernels/host_device.h"

namespace attnscope {

/// The model's own mask: causal and/or sliding window (slidingWindow <= 0: no window).
ATTNSCOPE_HD bool modelAllows(int queryPos, int keyPos, bool causal, int slidingWindow)
{
    if (causal && keyPos > queryPos) {
        return false;
    }
    if (slidingWindow > 0) {
        const int distance = queryPos > keyPos ? queryPos - keyPos : keyPos - queryPos;
        if (distance >= slidingWindow) {
            return false;
        }
    }
    return true;
}

} // namespace attnscope
