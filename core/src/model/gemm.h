#pragma once
// The one place the CPU forward pass calls a BLAS: OpenBLAS's SGEMM in a build with
// ATTNSCOPE_USE_OPENBLAS where pkg-config found it, Eigen's GEMM otherwise. Only this file's source
// sees OpenBLAS, so the rest of core compiles the same either way.

#include <string>

namespace attnscope {

/// out[rows, cols] (row stride outStride) = (accumulate ? out : 0) + in[rows, depth] · matrix[cols, depth]ᵀ,
/// on the calling thread only.
void gemmTransposed(const float* in, const float* matrix, float* out, int rows, int cols, int depth, int outStride,
                    bool accumulate);

/// Keeps the BLAS on the calling thread inside each gemmTransposed call: callers split the work
/// over their own threads, and BLAS threads would compete with them for the same cores. Call it
/// before handing out bands (another user of OpenBLAS in the process may have raised its count).
void keepGemmSingleThreaded();

/// The GEMM gemmTransposed runs, for benchmark labels: "OpenBLAS <kernel>" or "Eigen".
std::string gemmName();

} // namespace attnscope
