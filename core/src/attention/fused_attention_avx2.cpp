// Fused attention micro-kernels for AVX2 + FMA (256-bit, 16 ymm registers): the score kernel keeps
// 6 rows × 16 keys (12 accumulators, 2 key vectors, 1 broadcast), the output kernel 6 rows × 16
// head dims. Compiled with a target pragma so that the kernel exists even in a generic
// (non-x86-64-v3) build; it runs only where cpuFeatures() reports AVX2 and FMA.

#include "attention/fused_attention_isa.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

// Clang ignores GCC's target pragma and has its own form of the same thing.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace attnscope::attn {

namespace {

struct Avx2Simd {
    using Vec = __m256;
    static constexpr int kWidth = 8;
    static constexpr int kRows = 6;
    static constexpr int kQueryBlock = 96;
    // 128 keys per tile: the per-row softmax work of a tile (reductions, rescale) is spread over
    // twice the keys of a 64-key tile, which measured faster (docs/benchmarks.md).
    static constexpr int kKeyBlock = 128;

    static Vec zero() { return _mm256_setzero_ps(); }
    static Vec load(const float* pointer) { return _mm256_loadu_ps(pointer); }
    static void store(float* pointer, Vec value) { _mm256_storeu_ps(pointer, value); }
    static Vec broadcast(float value) { return _mm256_set1_ps(value); }
    static Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
    static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
    static Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
    static Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
    static Vec max(Vec a, Vec b) { return _mm256_max_ps(a, b); }
    static float reduceMax(Vec value)
    {
        __m128 half = _mm_max_ps(_mm256_castps256_ps128(value), _mm256_extractf128_ps(value, 1));
        half = _mm_max_ps(half, _mm_movehl_ps(half, half));
        half = _mm_max_ss(half, _mm_movehdup_ps(half));
        return _mm_cvtss_f32(half);
    }
    static float reduceSum(Vec value)
    {
        __m128 half = _mm_add_ps(_mm256_castps256_ps128(value), _mm256_extractf128_ps(value, 1));
        half = _mm_add_ps(half, _mm_movehl_ps(half, half));
        half = _mm_add_ss(half, _mm_movehdup_ps(half));
        return _mm_cvtss_f32(half);
    }

    // exp(x) = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2 (ln 2 split in two so that
    // n·ln2_hi is exact), e^r from Cephes' degree-7 expf polynomial on |r| ≤ ln2/2. Measured
    // accuracy and its test: tests/unit/tst_fused_attention.cpp. Inputs below ln(FLT_MIN) give 0
    // (flushes results under 1.2e-38; masked scores are −inf and must give exactly 0).
    static Vec exp(Vec x)
    {
        const Vec keep = _mm256_cmp_ps(x, _mm256_set1_ps(-87.336544f), _CMP_GE_OQ);
        x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.336544f)), _mm256_set1_ps(88.0f));
        const Vec n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        Vec r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
        r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
        Vec poly = _mm256_set1_ps(1.9875691500e-4f);
        poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.3981999507e-3f));
        poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(8.3334519073e-3f));
        poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(4.1665795894e-2f));
        poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.6666665459e-1f));
        poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(5.0000001201e-1f));
        poly = _mm256_fmadd_ps(poly, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
        const __m256i exponent =
            _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        return _mm256_and_ps(_mm256_mul_ps(poly, _mm256_castsi256_ps(exponent)), keep);
    }
};

#include "attention/fused_attention_tiles.h"

} // namespace

FusedKernel fusedKernelAvx2()
{
    return FusedTiles<Avx2Simd>::kernel();
}

} // namespace attnscope::attn

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
