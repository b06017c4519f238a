// Fused attention micro-kernels for AVX-512 (512-bit, 32 zmm registers): the score kernel keeps
// 12 rows × 32 keys (24 accumulators), the output kernel 12 rows × 32 head dims. Compiled with a
// target pragma (the build baseline is AVX2) and run only where cpuFeatures() reports AVX-512
// F/VL/DQ/BW; everything here has internal linkage, so no AVX-512 code can leak into a shared
// inline function (see fused_attention_isa.h).

#include "attention/fused_attention_isa.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

// Clang ignores GCC's target pragma and has its own form of the same thing.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
// GCC 12's AVX-512 intrinsics initialise their pass-through operand from _mm512_undefined_ps(),
// which -Wmaybe-uninitialized reports at every inlined use (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace attnscope::attn {

namespace {

struct Avx512Simd {
    using Vec = __m512;
    static constexpr int kWidth = 16;
    static constexpr int kRows = 12;
    static constexpr int kQueryBlock = 96;
    // 128 keys per tile: the per-row softmax work of a tile (reductions, rescale) is spread over
    // twice the keys of a 64-key tile, which measured faster (docs/benchmarks.md).
    static constexpr int kKeyBlock = 128;

    static Vec zero() { return _mm512_setzero_ps(); }
    static Vec load(const float* pointer) { return _mm512_loadu_ps(pointer); }
    static void store(float* pointer, Vec value) { _mm512_storeu_ps(pointer, value); }
    static Vec broadcast(float value) { return _mm512_set1_ps(value); }
    static Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
    static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
    static Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
    static Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
    static Vec max(Vec a, Vec b) { return _mm512_max_ps(a, b); }
    static float reduceMax(Vec value) { return _mm512_reduce_max_ps(value); }
    static float reduceSum(Vec value) { return _mm512_reduce_add_ps(value); }

    // The same range reduction and polynomial as the AVX2 kernel (fused_attention_avx2.cpp);
    // scalef applies 2^n without building exponent bits.
    static Vec exp(Vec x)
    {
        const __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.336544f), _CMP_GE_OQ);
        x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.336544f)), _mm512_set1_ps(88.0f));
        const Vec n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        Vec r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
        r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
        Vec poly = _mm512_set1_ps(1.9875691500e-4f);
        poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.3981999507e-3f));
        poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(8.3334519073e-3f));
        poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(4.1665795894e-2f));
        poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.6666665459e-1f));
        poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(5.0000001201e-1f));
        poly = _mm512_fmadd_ps(poly, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
        return _mm512_maskz_mov_ps(keep, _mm512_scalef_ps(poly, n));
    }
};

#include "attention/fused_attention_tiles.h"

} // namespace

FusedKernel fusedKernelAvx512()
{
    return FusedTiles<Avx512Simd>::kernel();
}

} // namespace attnscope::attn

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif

#endif
