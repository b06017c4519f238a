// Fused attention in plain C++: the path of non-x86 builds and of head dims no vector kernel takes,
// and the reference the vector kernels must agree with in tests. Scalar "vectors" (kWidth 1)
// through the same tile loop as the SIMD kernels.

#include "attention/fused_attention_isa.h"

namespace attnscope::attn {

namespace {

struct ScalarSimd {
    using Vec = float;
    static constexpr int kWidth = 1;
    static constexpr int kRows = 4;
    static constexpr int kQueryBlock = 64;
    static constexpr int kKeyBlock = 64;

    static Vec zero() { return 0.0f; }
    static Vec load(const float* pointer) { return *pointer; }
    static void store(float* pointer, Vec value) { *pointer = value; }
    static Vec broadcast(float value) { return value; }
    // Fused explicitly: the compiler contracts `a * b + c` in some instantiations of the tile loop
    // and not in others, which made a row's bits depend on how many rows shared its work item.
    static Vec fmadd(Vec a, Vec b, Vec c) { return __builtin_fmaf(a, b, c); }
    static Vec add(Vec a, Vec b) { return a + b; }
    static Vec sub(Vec a, Vec b) { return a - b; }
    static Vec mul(Vec a, Vec b) { return a * b; }
    static Vec max(Vec a, Vec b) { return a > b ? a : b; }
    static float reduceMax(Vec value) { return value; }
    static float reduceSum(Vec value) { return value; }
    static Vec exp(Vec value) { return __builtin_expf(value); }
};

#include "attention/fused_attention_tiles.h"

} // namespace

FusedKernel fusedKernelPortable()
{
    return FusedTiles<ScalarSimd>::kernel();
}

} // namespace attnscope::attn
