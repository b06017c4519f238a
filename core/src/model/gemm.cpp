#include "model/gemm.h"

#include <Eigen/Core>

#if defined(ATTNSCOPE_HAVE_OPENBLAS)
#include <cblas.h>

#include <algorithm>
#include <cctype>
#endif

namespace attnscope {

namespace {

#if defined(ATTNSCOPE_HAVE_OPENBLAS)
// OpenBLAS picks its kernels from the CPU model when it loads, and Debian's 0.3.21 falls back to its
// SSE3 "Prescott" kernels on models it does not know (a KVM "Intel Xeon Processor", docs/benchmarks.md),
// several times slower than Eigen's AVX2 code. Only kernels with FMA on 256-bit or wider vectors are
// used; OPENBLAS_CORETYPE=SkylakeX (for instance) overrides a wrong guess.
bool openBlasKernelsFast()
{
    static const bool fast = [] {
        std::string core = openblas_get_corename();
        std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
        for (const char* name : {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"}) {
            if (core == name) {
                return true;
            }
        }
        return false;
    }();
    return fast;
}
#endif

} // namespace

void gemmTransposed(const float* in, const float* matrix, float* out, int rows, int cols, int depth, int outStride,
                    bool accumulate)
{
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
    if (openBlasKernelsFast()) {
        const float beta = accumulate ? 1.0f : 0.0f;
        if (rows == 1) {
            // One row is a matrix-vector product; SGEMM would pack the whole matrix for it.
            cblas_sgemv(CblasRowMajor, CblasNoTrans, cols, depth, 1.0f, matrix, depth, in, 1, beta, out, 1);
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, depth, 1.0f, in, depth, matrix, depth,
                        beta, out, outStride);
        }
        return;
    }
#endif
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowMatrix> input(in, rows, depth);
    Eigen::Map<const RowMatrix> weights(matrix, cols, depth);
    Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> output(out, rows, cols, Eigen::OuterStride<>(outStride));
    if (!accumulate) {
        output.setZero();
    }
    output.noalias() += input * weights.transpose();
}

void keepGemmSingleThreaded()
{
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
    if (openblas_get_num_threads() != 1) {
        openblas_set_num_threads(1);
    }
#endif
}

std::string gemmName()
{
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
    if (openBlasKernelsFast()) {
        return std::string("OpenBLAS ") + openblas_get_corename();
    }
#endif
    return "Eigen";
}

} // namespace attnscope
