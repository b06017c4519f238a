// CPU attention against the machine's own ceilings, all in one process and on the same threads:
//   BM_FusedAttention     our fused kernel (core/src/attention/fused_attention_*), one head,
//                         bidirectional unless causal=1; isa=0 the widest kernel, 1 AVX2, 2 portable
//   BM_UnfusedAttention   S = Q·Kᵀ into an N×N buffer, row softmax, O = P·V (OpenBLAS SGEMM when
//                         found, else Eigen), the bandwidth-bound design fusion replaces
//   BM_EigenSgemm         a large square SGEMM with Eigen, split into one row band per thread (the
//                         project builds Eigen without OpenMP; a band per thread is how it would split)
//   BM_OpenBlasSgemm      the same SGEMM with Debian's OpenBLAS (pthreads build), when found
//   BM_FmaPeak            independent FMA chains in registers: the FP32 peak per ISA and thread count
//   BM_KernelExp          the fused kernel's vector exp, in L1 (isa=0 portable, 1 AVX2, 2 AVX-512)
//   BM_ProbabilityTile    a 512 × 512 tile of exact probabilities from Q, K and the LSE (N = 8192)
//   BM_FusedAgainstReferences  fused, both SGEMMs and unfused alternated in rounds, best of each:
//                         the goal ratios under one set of conditions on a shared machine
//   BM_FusedRowsPerItem   the fused kernel's automatic rows per work item against one query block
//                         per item, alternated (the choice denseRowsPerItem makes for long heads)
//   BM_BlockSparseOverDense  block-sparse at 10 % of the blocks (and the same pairs as CSR) against
//                         dense fused, alternated
//   BM_ForwardPeakMemory  stories260K forward over 8192 tokens: getrusage max-RSS growth (run it in a
//                         process of its own; scripts/bench-cpu does)
// FLOPs: attention 4·N²·d (bidirectional; causal reports the same convention over the visible half,
// 2·N²·d), SGEMM 2·n³. GFLOP/s are the "GFLOPS" counter. scripts/bench-cpu runs the table of
// docs/benchmarks.md.

#include "attention/attention_common.h"
#include "attention/fused_attention_kernel.h"
#include "model/model.h"
#include "util/cpu_features.h"
#include "util/parallel.h"

#include <Eigen/Core>
#include <benchmark/benchmark.h>

#if defined(ATTNSCOPE_HAVE_OPENBLAS)
#include <cblas.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace attnscope {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

LayerQkv randomHead(int nTokens, int headDim, bool causal)
{
    LayerQkv qkv;
    qkv.nHeads = 1;
    qkv.nKvHeads = 1;
    qkv.nTokens = nTokens;
    qkv.headDim = headDim;
    qkv.causal = causal;
    qkv.scale = 1.0f / std::sqrt(static_cast<float>(headDim));
    std::mt19937 generator(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto* values : {&qkv.q, &qkv.k, &qkv.v}) {
        values->resize(static_cast<std::size_t>(nTokens) * headDim);
        for (float& value : *values) {
            value = normal(generator);
        }
    }
    return qkv;
}

void setFlops(benchmark::State& state, double flopsPerIteration)
{
    state.counters["GFLOPS"] =
        benchmark::Counter(flopsPerIteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The benchmarks' "isa" argument: 0 the widest kernel the CPU runs, 1 AVX2 at most, 2 portable.
std::optional<CpuIsa> isaCapArg(std::int64_t arg)
{
    return arg == 1 ? std::optional(CpuIsa::Avx2) : arg == 2 ? std::optional(CpuIsa::Portable) : std::nullopt;
}

void BM_FusedAttention(benchmark::State& state)
{
    const int nTokens = static_cast<int>(state.range(0));
    const int headDim = static_cast<int>(state.range(1));
    const int threads = static_cast<int>(state.range(2));
    const bool causal = state.range(3) != 0;
    const std::optional<CpuIsa> isaCap = isaCapArg(state.range(4));
    const LayerQkv qkv = randomHead(nTokens, headDim, causal);
    std::vector<float> output(qkv.q.size());
    std::vector<float> lse(static_cast<std::size_t>(nTokens));
    attn::FusedAttentionOptions options;
    options.threads = threads;
    options.isa = isaCap;
    for (auto _ : state) {
        if (!attn::fusedAttention(qkv, output.data(), lse.data(), options).ok()) {
            state.SkipWithError("fused attention failed");
            return;
        }
        benchmark::DoNotOptimize(output.data());
    }
    const double pairs = causal ? 0.5 * nTokens * (nTokens + 1.0) : static_cast<double>(nTokens) * nTokens;
    setFlops(state, 4.0 * pairs * headDim);
    state.SetLabel(cpuIsaName(attn::fusedAttentionIsa(resolveIsa(activeCpuIsa(), isaCap), headDim)));
}

// A view zooming in (perf_anchors.md G-M3): one 512 × 512 tile of exact probabilities from Q, K and
// the fused kernel's LSE, in the middle of an N = 8192 head.
void BM_ProbabilityTile(benchmark::State& state)
{
    const int nTokens = 8192;
    const int headDim = static_cast<int>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    const LayerQkv qkv = randomHead(nTokens, headDim, true);
    std::vector<float> output(qkv.q.size());
    std::vector<float> lse(static_cast<std::size_t>(nTokens));
    if (!attn::fusedAttention(qkv, output.data(), lse.data()).ok()) {
        state.SkipWithError("fused attention failed");
        return;
    }
    std::vector<float> tile;
    for (auto _ : state) {
        if (!attn::attentionProbabilityTile(qkv, 0, lse.data(), lse.size(), 4096, 512, 3584, 512, tile, threads).ok()) {
            state.SkipWithError("probability tile failed");
            return;
        }
        benchmark::DoNotOptimize(tile.data());
    }
}
BENCHMARK(BM_ProbabilityTile)->ArgsProduct({{64, 128}, {1, 2}})->ArgNames({"d", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

// Row softmax of an N×N block in place (Eigen's vectorised exp), rows split over the threads.
void softmaxRows(float* scores, int rows, int columns, float scale, int threads)
{
    parallelFor(
        rows,
        [&](std::int64_t row) {
            Eigen::Map<Eigen::ArrayXf> values(scores + static_cast<std::size_t>(row) * columns, columns);
            const float maxScore = values.maxCoeff() * scale;
            values = (values * scale - maxScore).exp();
            values *= 1.0f / values.sum();
        },
        threads);
}

// C[m×n] = A[m×k]·B[k×n] (row-major) with Eigen, one row band per thread.
void eigenGemm(const float* a, const float* b, float* c, int m, int n, int k, bool transposeB, int threads)
{
    const int bands = std::max(1, threads);
    parallelFor(
        bands,
        [&](std::int64_t band) {
            const int rowBegin = static_cast<int>(static_cast<std::int64_t>(m) * band / bands);
            const int rowEnd = static_cast<int>(static_cast<std::int64_t>(m) * (band + 1) / bands);
            Eigen::Map<const RowMatrix> left(a + static_cast<std::size_t>(rowBegin) * k, rowEnd - rowBegin, k);
            Eigen::Map<RowMatrix> out(c + static_cast<std::size_t>(rowBegin) * n, rowEnd - rowBegin, n);
            if (transposeB) {
                out.noalias() = left * Eigen::Map<const RowMatrix>(b, n, k).transpose();
            } else {
                out.noalias() = left * Eigen::Map<const RowMatrix>(b, k, n);
            }
        },
        threads);
}

void gemm(const float* a, const float* b, float* c, int m, int n, int k, bool transposeB, int threads)
{
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, k, b,
                transposeB ? k : n, 0.0f, c, n);
#else
    eigenGemm(a, b, c, m, n, k, transposeB, threads);
#endif
}

void BM_UnfusedAttention(benchmark::State& state)
{
    const int nTokens = static_cast<int>(state.range(0));
    const int headDim = static_cast<int>(state.range(1));
    const int threads = static_cast<int>(state.range(2));
    const LayerQkv qkv = randomHead(nTokens, headDim, false);
    std::vector<float> scores(static_cast<std::size_t>(nTokens) * nTokens);
    std::vector<float> output(qkv.q.size());
    for (auto _ : state) {
        gemm(qkv.q.data(), qkv.k.data(), scores.data(), nTokens, nTokens, headDim, true, threads);
        softmaxRows(scores.data(), nTokens, nTokens, qkv.scale, threads);
        gemm(scores.data(), qkv.v.data(), output.data(), nTokens, headDim, nTokens, false, threads);
        benchmark::DoNotOptimize(output.data());
    }
    setFlops(state, 4.0 * nTokens * static_cast<double>(nTokens) * headDim);
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
    state.SetLabel("openblas");
#else
    state.SetLabel("eigen");
#endif
}

std::vector<float> randomMatrix(int rows, int columns, unsigned seed)
{
    std::vector<float> values(static_cast<std::size_t>(rows) * columns);
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (float& value : values) {
        value = uniform(generator);
    }
    return values;
}

void BM_EigenSgemm(benchmark::State& state)
{
    const int size = static_cast<int>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    const std::vector<float> a = randomMatrix(size, size, 1);
    const std::vector<float> b = randomMatrix(size, size, 2);
    std::vector<float> c(a.size());
    for (auto _ : state) {
        eigenGemm(a.data(), b.data(), c.data(), size, size, size, false, threads);
        benchmark::DoNotOptimize(c.data());
    }
    setFlops(state, 2.0 * size * static_cast<double>(size) * size);
}

#if defined(ATTNSCOPE_HAVE_OPENBLAS)
void BM_OpenBlasSgemm(benchmark::State& state)
{
    const int size = static_cast<int>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    const std::vector<float> a = randomMatrix(size, size, 1);
    const std::vector<float> b = randomMatrix(size, size, 2);
    std::vector<float> c(a.size());
    openblas_set_num_threads(threads);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a.data(), size, b.data(), size,
                    0.0f, c.data(), size);
        benchmark::DoNotOptimize(c.data());
    }
    setFlops(state, 2.0 * size * static_cast<double>(size) * size);
    // The kernel OpenBLAS picked: 0.3.21 falls back to Prescott (SSE3) on CPU models it does not
    // know, which scripts/bench-cpu overrides with OPENBLAS_CORETYPE.
    state.SetLabel(openblas_get_corename());
}
BENCHMARK(BM_OpenBlasSgemm)->ArgsProduct({{2048}, {1, 2}})->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// Wall seconds of one call of run().
template <typename Run>
double seconds(Run&& run)
{
    const auto start = std::chrono::steady_clock::now();
    run();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Rows per dense work item (fused_attention_kernel.h, denseRowsPerItem): the automatic choice
// against one query block per item, alternated in rounds, best of each. Args: n, d, threads,
// causal, isa (isaCapArg).
void BM_FusedRowsPerItem(benchmark::State& state)
{
    const int nTokens = static_cast<int>(state.range(0));
    const int headDim = static_cast<int>(state.range(1));
    const int threads = static_cast<int>(state.range(2));
    const bool causal = state.range(3) != 0;
    const std::optional<CpuIsa> isaCap = isaCapArg(state.range(4));
    constexpr int kRounds = 6;
    const LayerQkv qkv = randomHead(nTokens, headDim, causal);
    std::vector<float> output(qkv.q.size());
    std::vector<float> lse(static_cast<std::size_t>(nTokens));
    attn::FusedAttentionOptions automatic;
    automatic.threads = threads;
    automatic.isa = isaCap;
    attn::FusedAttentionOptions oneBlock = automatic;
    oneBlock.rowsPerItem = 1; // rounded up to one query block
    double automaticSeconds = 1e30;
    double oneBlockSeconds = 1e30;
    for (auto _ : state) {
        for (int round = 0; round < kRounds; ++round) {
            automaticSeconds = std::min(automaticSeconds, seconds([&] {
                (void)attn::fusedAttention(qkv, output.data(), lse.data(), automatic);
            }));
            oneBlockSeconds = std::min(oneBlockSeconds, seconds([&] {
                (void)attn::fusedAttention(qkv, output.data(), lse.data(), oneBlock);
            }));
        }
    }
    const CpuIsa isa = attn::fusedAttentionIsa(resolveIsa(activeCpuIsa(), isaCap), headDim);
    const double pairs = causal ? 0.5 * nTokens * (nTokens + 1.0) : static_cast<double>(nTokens) * nTokens;
    state.counters["auto_GFLOPS"] = 4.0 * pairs * headDim / automaticSeconds * 1e-9;
    state.counters["one_block_GFLOPS"] = 4.0 * pairs * headDim / oneBlockSeconds * 1e-9;
    state.counters["auto_over_one_block"] = oneBlockSeconds / automaticSeconds;
    state.SetLabel(std::string(cpuIsaName(isa)) + ", auto rows " +
                   std::to_string(attn::denseRowsPerItem(qkv, attn::fusedQueryBlock(isa), threads)));
}

// The goal ratios under one set of conditions: each of `rounds` rounds times the fused kernel, the
// Eigen and OpenBLAS 2048³ SGEMMs and the unfused attention once each, back to back, and the best
// time of each is kept. On a shared machine the sides of a ratio taken minutes apart see different
// loads; interleaved best-of-rounds pairs them up (the method of BM_DenseOverSparse in
// bench_variants.cpp).
void BM_FusedAgainstReferences(benchmark::State& state)
{
    const int nTokens = static_cast<int>(state.range(0));
    const int headDim = static_cast<int>(state.range(1));
    const int threads = static_cast<int>(state.range(2));
    constexpr int kRounds = 8;
    constexpr int kGemmSize = 2048;
    const LayerQkv qkv = randomHead(nTokens, headDim, false);
    std::vector<float> output(qkv.q.size());
    std::vector<float> lse(static_cast<std::size_t>(nTokens));
    std::vector<float> scores(static_cast<std::size_t>(nTokens) * nTokens);
    const std::vector<float> a = randomMatrix(kGemmSize, kGemmSize, 1);
    const std::vector<float> b = randomMatrix(kGemmSize, kGemmSize, 2);
    std::vector<float> c(a.size());
    attn::FusedAttentionOptions options;
    options.threads = threads;
    double fused = 1e30;
    double eigen = 1e30;
    double blas = 1e30;
    double unfused = 1e30;
    for (auto _ : state) {
        for (int round = 0; round < kRounds; ++round) {
            fused = std::min(fused, seconds([&] { (void)attn::fusedAttention(qkv, output.data(), lse.data(), options); }));
            eigen = std::min(eigen, seconds([&] {
                eigenGemm(a.data(), b.data(), c.data(), kGemmSize, kGemmSize, kGemmSize, false, threads);
            }));
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
            blas = std::min(blas, seconds([&] {
                openblas_set_num_threads(threads);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kGemmSize, kGemmSize, kGemmSize, 1.0f,
                            a.data(), kGemmSize, b.data(), kGemmSize, 0.0f, c.data(), kGemmSize);
            }));
#endif
            unfused = std::min(unfused, seconds([&] {
                gemm(qkv.q.data(), qkv.k.data(), scores.data(), nTokens, nTokens, headDim, true, threads);
                softmaxRows(scores.data(), nTokens, nTokens, qkv.scale, threads);
                gemm(scores.data(), qkv.v.data(), output.data(), nTokens, headDim, nTokens, false, threads);
            }));
        }
    }
    const double attentionFlops = 4.0 * nTokens * static_cast<double>(nTokens) * headDim;
    const double gemmFlops = 2.0 * kGemmSize * static_cast<double>(kGemmSize) * kGemmSize;
    state.counters["fused_GFLOPS"] = attentionFlops / fused * 1e-9;
    state.counters["unfused_GFLOPS"] = attentionFlops / unfused * 1e-9;
    state.counters["eigen_GFLOPS"] = gemmFlops / eigen * 1e-9;
    state.counters["fused_over_eigen"] = (attentionFlops / fused) / (gemmFlops / eigen);
    state.counters["fused_over_unfused"] = unfused / fused;
#if defined(ATTNSCOPE_HAVE_OPENBLAS)
    state.counters["openblas_GFLOPS"] = gemmFlops / blas * 1e-9;
    state.counters["fused_over_openblas"] = (attentionFlops / fused) / (gemmFlops / blas);
#else
    (void)blas;
#endif
}
BENCHMARK(BM_FusedAgainstReferences)
    ->ArgsProduct({{4096, 8192}, {64, 128}, {1, 2}})
    ->ArgNames({"n", "d", "threads"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A block-sparse layout of `density` of the blocks: every query block keeps its diagonal block and
// distinct random others, as many as make the running total density·blocks² (so rows keep ⌊·⌋ or
// ⌈·⌉ of density·blocks).
attn::BlockSparseLayout randomBlockLayout(int nTokens, int blockSize, double density)
{
    const int blocks = (nTokens + blockSize - 1) / blockSize;
    attn::BlockSparseLayout layout;
    layout.blockSize = blockSize;
    layout.rowPtr.push_back(0);
    std::mt19937 generator(7);
    std::vector<int> order(static_cast<std::size_t>(blocks));
    for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
        const auto kept = static_cast<int>(std::floor(density * blocks * (queryBlock + 1)) -
                                           std::floor(density * blocks * queryBlock));
        std::iota(order.begin(), order.end(), 0);
        std::swap(order[0], order[static_cast<std::size_t>(queryBlock)]);
        std::shuffle(order.begin() + 1, order.end(), generator);
        std::vector<int> row(order.begin(), order.begin() + std::max(1, kept));
        std::sort(row.begin(), row.end());
        layout.keyBlocks.insert(layout.keyBlocks.end(), row.begin(), row.end());
        layout.rowPtr.push_back(static_cast<std::int64_t>(layout.keyBlocks.size()));
    }
    return layout;
}

// The same kept pairs as a CSR set (what the mask variants hand to sparseAttention).
attn::KeptSet csrOfLayout(const attn::BlockSparseLayout& layout, int nTokens)
{
    attn::KeptSet set;
    set.rowPtr.push_back(0);
    for (int query = 0; query < nTokens; ++query) {
        const std::size_t row = static_cast<std::size_t>(query / layout.blockSize);
        for (std::int64_t index = layout.rowPtr[row]; index < layout.rowPtr[row + 1]; ++index) {
            const int keyBegin = layout.keyBlocks[static_cast<std::size_t>(index)] * layout.blockSize;
            for (int key = keyBegin; key < std::min(nTokens, keyBegin + layout.blockSize); ++key) {
                set.cols.push_back(key);
            }
        }
        set.rowPtr.push_back(static_cast<std::int64_t>(set.cols.size()));
    }
    return set;
}

// Issue 9's block-sparse goal: the block-sparse kernel at 10 % of the blocks against the dense fused
// kernel, bidirectional, one head, alternated in rounds (best of each) so that the ratio sees one
// load; also the same pairs as CSR through sparseAttention (gathered rows on the same micro-kernels).
// sparse_GFLOPS counts 4·d per kept pair.
void BM_BlockSparseOverDense(benchmark::State& state)
{
    const int nTokens = static_cast<int>(state.range(0));
    const int headDim = static_cast<int>(state.range(1));
    const int threads = static_cast<int>(state.range(2));
    const int blockSize = static_cast<int>(state.range(3));
    constexpr int kRounds = 8;
    const LayerQkv qkv = randomHead(nTokens, headDim, false);
    const attn::BlockSparseLayout layout = randomBlockLayout(nTokens, blockSize, 0.1);
    std::vector<float> output(qkv.q.size());
    std::vector<float> lse(static_cast<std::size_t>(nTokens));
    attn::FusedAttentionOptions options;
    options.threads = threads;
    const attn::KeptSet csr = csrOfLayout(layout, nTokens);
    const attn::HeadInput head = attn::makeHeadInput(qkv, 0);
    double dense = 1e30;
    double sparse = 1e30;
    double gathered = 1e30;
    for (auto _ : state) {
        for (int round = 0; round < kRounds; ++round) {
            dense = std::min(dense, seconds([&] { (void)attn::fusedAttention(qkv, output.data(), lse.data(), options); }));
            sparse = std::min(sparse, seconds([&] {
                if (!attn::blockSparseAttention(qkv, layout, output.data(), lse.data(), options).ok()) {
                    state.SkipWithError("block-sparse attention failed");
                }
            }));
            gathered = std::min(gathered,
                                seconds([&] { attn::sparseAttention(head, csr, output.data(), nullptr, threads); }));
        }
    }
    const double blocks = static_cast<double>(layout.rowPtr.size() - 1);
    const double density = static_cast<double>(layout.keyBlocks.size()) / (blocks * blocks);
    const double keptPairs = density * nTokens * static_cast<double>(nTokens);
    state.counters["density"] = density;
    state.counters["dense_ms"] = 1e3 * dense;
    state.counters["sparse_ms"] = 1e3 * sparse;
    state.counters["dense_over_sparse"] = dense / sparse;
    state.counters["csr_ms"] = 1e3 * gathered;
    state.counters["dense_over_csr"] = dense / gathered;
    state.counters["dense_GFLOPS"] = 4.0 * nTokens * static_cast<double>(nTokens) * headDim / dense * 1e-9;
    state.counters["sparse_GFLOPS"] = 4.0 * keptPairs * headDim / sparse * 1e-9;
}
BENCHMARK(BM_BlockSparseOverDense)
    ->ArgsProduct({{8192}, {64, 128}, {1, 2}, {64, 128}})
    ->ArgNames({"n", "d", "threads", "block"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#if defined(__x86_64__) || defined(__i386__)
// 12 independent accumulator chains hide the FMA latency (4 cycles × 2 ports + slack).
__attribute__((target("avx2,fma"))) float fmaChainsAvx2(std::int64_t iterations)
{
    __m256 acc[12];
    for (int chain = 0; chain < 12; ++chain) {
        acc[chain] = _mm256_set1_ps(static_cast<float>(chain));
    }
    const __m256 a = _mm256_set1_ps(0.999f);
    const __m256 b = _mm256_set1_ps(0.001f);
    for (std::int64_t iteration = 0; iteration < iterations; ++iteration) {
        for (int chain = 0; chain < 12; ++chain) {
            acc[chain] = _mm256_fmadd_ps(acc[chain], a, b);
        }
    }
    __m256 sum = acc[0];
    for (int chain = 1; chain < 12; ++chain) {
        sum = _mm256_add_ps(sum, acc[chain]);
    }
    return _mm256_cvtss_f32(sum);
}

__attribute__((target("avx512f"))) float fmaChainsAvx512(std::int64_t iterations)
{
    __m512 acc[24];
    for (int chain = 0; chain < 24; ++chain) {
        acc[chain] = _mm512_set1_ps(static_cast<float>(chain));
    }
    const __m512 a = _mm512_set1_ps(0.999f);
    const __m512 b = _mm512_set1_ps(0.001f);
    for (std::int64_t iteration = 0; iteration < iterations; ++iteration) {
        for (int chain = 0; chain < 24; ++chain) {
            acc[chain] = _mm512_fmadd_ps(acc[chain], a, b);
        }
    }
    __m512 sum = acc[0];
    for (int chain = 1; chain < 24; ++chain) {
        sum = _mm512_add_ps(sum, acc[chain]);
    }
    return _mm512_cvtss_f32(sum);
}

void BM_FmaPeak(benchmark::State& state)
{
    const bool wide = state.range(0) == 512;
    const int threads = static_cast<int>(state.range(1));
    if (wide && widestIsa(cpuFeatures()) < CpuIsa::Avx512) {
        state.SkipWithError("no AVX-512 on this CPU");
        return;
    }
    if (!wide && widestIsa(cpuFeatures()) < CpuIsa::Avx2) {
        state.SkipWithError("no AVX2 + FMA on this CPU");
        return;
    }
    constexpr std::int64_t kIterations = 20'000'000;
    std::vector<float> sinks(static_cast<std::size_t>(threads));
    for (auto _ : state) {
        parallelFor(
            threads,
            [&](std::int64_t thread) {
                sinks[static_cast<std::size_t>(thread)] = wide ? fmaChainsAvx512(kIterations) : fmaChainsAvx2(kIterations);
            },
            threads);
        benchmark::DoNotOptimize(sinks.data());
    }
    const double flopsPerThread = static_cast<double>(kIterations) * (wide ? 24 * 16 : 12 * 8) * 2.0;
    setFlops(state, flopsPerThread * threads);
}
BENCHMARK(BM_FmaPeak)->ArgsProduct({{256, 512}, {1, 2}})->ArgNames({"bits", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

void BM_KernelExp(benchmark::State& state)
{
    const CpuIsa isa = static_cast<CpuIsa>(state.range(0));
    if (widestIsa(cpuFeatures()) < isa) {
        state.SkipWithError("ISA not on this CPU");
        return;
    }
    std::vector<float> inputs(4096);
    for (std::size_t index = 0; index < inputs.size(); ++index) {
        inputs[index] = -20.0f * static_cast<float>(index) / static_cast<float>(inputs.size());
    }
    std::vector<float> outputs(inputs.size());
    for (auto _ : state) {
        attn::fusedAttentionExp(isa, inputs.data(), outputs.data(), inputs.size());
        benchmark::DoNotOptimize(outputs.data());
    }
    state.counters["Gexp/s"] =
        benchmark::Counter(static_cast<double>(inputs.size()) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(cpuIsaName(isa));
}
BENCHMARK(BM_KernelExp)->DenseRange(0, 2)->ArgName("isa");

// The resident-set growth of one forward over 8192 tokens of stories260K (RoPE, so past its
// trained context with allowOverflow; 5 layers, 8 heads, headDim 8). Only Q/K/V and the LSE of the
// layer in flight, the residual stream and the MLP activations are O(N) buffers; an N×N score
// matrix per head would be 256 MiB.
void BM_ForwardPeakMemory(benchmark::State& state)
{
    const int nTokens = static_cast<int>(state.range(0));
    auto model = Model::openHfFolder(ATTNSCOPE_SHARED_MODELS "/stories260K/hf");
    if (!model.ok()) {
        state.SkipWithError(model.error().describe().c_str());
        return;
    }
    std::vector<int> ids(static_cast<std::size_t>(nTokens));
    for (int position = 0; position < nTokens; ++position) {
        ids[static_cast<std::size_t>(position)] = 3 + (position * 7919) % 500;
    }
    ForwardOptions options;
    options.allowOverflow = true;
    options.logits = LogitsMode::LastPosition;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [](LayerCapture&&) -> Result<void> { return okResult(); };
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    for (auto _ : state) {
        auto result = (*model)->forward(ids, options);
        if (!result.ok()) {
            state.SkipWithError(result.error().describe().c_str());
            return;
        }
        benchmark::DoNotOptimize(result->logits.data());
    }
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    state.counters["maxrss_growth_MiB"] = static_cast<double>(after.ru_maxrss - before.ru_maxrss) / 1024.0;
    state.counters["maxrss_MiB"] = static_cast<double>(after.ru_maxrss) / 1024.0;
}
BENCHMARK(BM_ForwardPeakMemory)->Arg(8192)->ArgName("tokens")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

BENCHMARK(BM_FusedAttention)
    ->ArgsProduct({{1024, 4096, 8192}, {64, 128}, {1, 2}, {0}, {0}})
    ->ArgsProduct({{4096}, {64, 128}, {1, 2}, {0}, {1}})
    ->ArgsProduct({{4096}, {64, 128}, {2}, {1}, {0}})
    ->ArgNames({"n", "d", "threads", "causal", "isa"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_FusedRowsPerItem)
    ->ArgsProduct({{4096, 8192}, {64, 128}, {1, 2}, {0}, {0, 1}})
    ->ArgsProduct({{4096, 8192}, {128}, {1}, {1}, {0}})
    ->ArgNames({"n", "d", "threads", "causal", "isa"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_UnfusedAttention)
    ->ArgsProduct({{1024, 4096, 8192}, {64, 128}, {1, 2}})
    ->ArgNames({"n", "d", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_EigenSgemm)->ArgsProduct({{2048}, {1, 2}})->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace
} // namespace attnscope

BENCHMARK_MAIN();
