// Times the CUDA attention kernels with CUDA events on the shapes of perf_anchors.md §5.1 (FA3
// setup: batch·N = 16k tokens and heads·d = 2048, the batch folded into heads), dense causal and
// bidirectional, and on a causal 128×128 block mask of density p (--density: 10 % and 25 %) that
// tools/bench_torch_gpu.py rebuilds bit for bit (same hash) for FlexAttention: CSR sparse (op
// sparse_csr_block128: the mask as token-level CSR) and block-sparse (op block_sparse_block128: the
// block kernel on the block mask itself), with our dense causal row of the same shape as baseline.
// Output: one CSV row per measurement (impl,op,dtype,N,d,heads,causal,p,ms,spread_ms,tflops);
// scripts/gpu-check merges it with the PyTorch rows into one table. Kernel time only: inputs are
// uploaded once, the L2 is flushed before every timed launch, the median of the reps is reported.
// Top-k selection (op topk_k<k>): one head, d = 64, bidirectional, N in --topk-sizes (4k, 32k),
// k in --topk-k (64, 256): scores of every key and the exact k largest per row, the shapes
// tools/bench_torch_gpu.py gives torch.topk(q·kᵀ) (torch_mm_topk).
// 16-bit dense (op dense, dtype bf16): the tensor-core kernel on bf16 Q/K/V, N in --half-sizes
// (2k, 8k, 16k; issue #7's goal is >= 1.0x SDPA's FlashAttention-2 back end there), the shapes
// tools/bench_torch_gpu.py times torch_flash / torch_cudnn on.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/half_convert.h"
#include "attnscope_kernels/launch.h"

namespace attnscope {
namespace {

constexpr int kTokensPerBatch = 16384;
constexpr int kHeadsTimesDim = 2048;
constexpr int kMaskBlock = 128;

bool check(cudaError_t status, const char* what)
{
    if (status != cudaSuccess) {
        std::fprintf(stderr, "bench_gpu_attention: %s: %s\n", what, cudaGetErrorString(status));
        return false;
    }
    return true;
}

/// lowbias32 (Chris Wellons): the block-mask hash, mirrored in tools/bench_torch_gpu.py.
std::uint32_t mixBits(std::uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/// Causal block mask: the sink block (0), the diagonal block, and any other block below the
/// diagonal with probability `density` (perf_anchors.md §6.5: always keep sink and diagonal).
bool keepBlock(int queryBlock, int keyBlock, double density)
{
    if (keyBlock > queryBlock) {
        return false;
    }
    if (keyBlock == 0 || keyBlock == queryBlock) {
        return true;
    }
    const std::uint32_t hash = mixBits(static_cast<std::uint32_t>(queryBlock) * 65536u +
                                       static_cast<std::uint32_t>(keyBlock));
    return hash % 1000000u < static_cast<std::uint32_t>(density * 1000000.0);
}

struct Options {
    std::vector<int> tokenCounts{1024, 4096, 16384};
    std::vector<int> halfTokenCounts{2048, 8192, 16384};
    std::vector<int> headDims{64, 128};
    std::vector<double> densities{0.1, 0.25};
    std::vector<int> topkSizes{4096, 32768};
    std::vector<int> topkCounts{64, 256};
    int maxReps = 25;
    std::string csvPath;
};

struct Timing {
    double medianMs = 0.0;
    double spreadMs = 0.0;  ///< max - min over the reps
};

class DeviceArray {
public:
    explicit DeviceArray(std::size_t bytes)
    {
        if (bytes > 0 && !check(cudaMalloc(&m_data, bytes), "cudaMalloc")) {
            m_data = nullptr;
        }
    }
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    ~DeviceArray() { cudaFree(m_data); }
    template <typename T>
    T* as() const
    {
        return static_cast<T*>(m_data);
    }
    bool ok() const { return m_data != nullptr; }

private:
    void* m_data = nullptr;
};

/// Fills each array with `elements` standard normal floats (one generator, arrays in order).
bool uploadNormal(std::initializer_list<DeviceArray*> arrays, std::size_t elements, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> host(elements);
    for (DeviceArray* array : arrays) {
        for (float& value : host) {
            value = normal(rng);
        }
        if (!check(cudaMemcpy(array->as<float>(), host.data(), elements * sizeof(float), cudaMemcpyHostToDevice),
                   "upload")) {
            return false;
        }
    }
    return true;
}

/// Times `launch` (which returns a cudaError_t as int): a few warm-up runs, then up to maxReps
/// timed runs (fewer for slow shapes, at least 5), each after an L2 flush outside the events.
template <typename Launch>
bool timeKernel(Launch launch, const Options& options, DeviceArray& flush, std::size_t flushBytes,
                Timing& timing)
{
    cudaEvent_t start = nullptr;
    cudaEvent_t stop = nullptr;
    if (!check(cudaEventCreate(&start), "cudaEventCreate") ||
        !check(cudaEventCreate(&stop), "cudaEventCreate")) {
        return false;
    }
    bool ok = true;
    std::vector<float> samples;
    for (int warm = 0; warm < 3 && ok; ++warm) {
        ok = check(static_cast<cudaError_t>(launch()), "warm-up launch") &&
             check(cudaDeviceSynchronize(), "warm-up run");
    }
    double spentMs = 0.0;
    for (int rep = 0; ok && rep < options.maxReps; ++rep) {
        if (rep >= 5 && spentMs > 3000.0) {
            break;
        }
        ok = check(cudaMemsetAsync(flush.as<void>(), rep & 0xff, flushBytes), "L2 flush") &&
             check(cudaEventRecord(start), "cudaEventRecord") &&
             check(static_cast<cudaError_t>(launch()), "launch") &&
             check(cudaEventRecord(stop), "cudaEventRecord") &&
             check(cudaEventSynchronize(stop), "kernel run");
        float ms = 0.0f;
        if (ok && check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime")) {
            samples.push_back(ms);
            spentMs += ms;
        }
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    if (!ok || samples.empty()) {
        return false;
    }
    std::sort(samples.begin(), samples.end());
    timing.medianMs = samples[samples.size() / 2];
    timing.spreadMs = samples.back() - samples.front();
    return true;
}

void emit(std::FILE* csv, const char* op, int nTokens, int headDim, int nHeads, bool causal,
          double density, const Timing& timing, double flops, const char* dtype = "f32")
{
    const double tflops = flops / (timing.medianMs * 1e-3) / 1e12;
    const char* format = "attnscope,%s,%s,%d,%d,%d,%d,%.4f,%.4f,%.4f,%.2f\n";
    std::printf(format, op, dtype, nTokens, headDim, nHeads, causal ? 1 : 0, density, timing.medianMs,
                timing.spreadMs, tflops);
    if (csv != nullptr) {
        std::fprintf(csv, format, op, dtype, nTokens, headDim, nHeads, causal ? 1 : 0, density,
                     timing.medianMs, timing.spreadMs, tflops);
    }
    std::fflush(stdout);
}

/// The layout fields of a dense forward's params (DenseAttnParams, DenseAttnHalfParams): nHeads
/// contiguous [nTokens, headDim] heads, no GQA, scale 1/sqrt(d). Pointers and mask stay the caller's.
template <typename Params>
void setDenseBenchShape(Params& dense, int nHeads, int nTokens, int headDim)
{
    const long long headStride = static_cast<long long>(nTokens) * headDim;
    dense.qHeadStride = dense.kHeadStride = dense.vHeadStride = dense.outHeadStride = headStride;
    dense.qRowStride = dense.kRowStride = dense.vRowStride = dense.outRowStride = headDim;
    dense.lseHeadStride = nTokens;
    dense.nHeads = dense.nKvHeads = nHeads;
    dense.nTokens = nTokens;
    dense.headDim = headDim;
    dense.scale = 1.0f / std::sqrt(static_cast<float>(headDim));
}

bool runShape(int nTokens, int headDim, const Options& options, DeviceArray& flush,
              std::size_t flushBytes, std::FILE* csv)
{
    const int nHeads = (kTokensPerBatch / nTokens) * (kHeadsTimesDim / headDim);
    const std::size_t elements = static_cast<std::size_t>(nHeads) * nTokens * headDim;
    DeviceArray q(elements * sizeof(float));
    DeviceArray k(elements * sizeof(float));
    DeviceArray v(elements * sizeof(float));
    DeviceArray out(elements * sizeof(float));
    DeviceArray lse(static_cast<std::size_t>(nHeads) * nTokens * sizeof(float));
    if (!q.ok() || !k.ok() || !v.ok() || !out.ok() || !lse.ok()) {
        return false;
    }
    if (!uploadNormal({&q, &k, &v}, elements, static_cast<unsigned>(nTokens * 131 + headDim))) {
        return false;
    }

    const long long headStride = static_cast<long long>(nTokens) * headDim;
    DenseAttnParams dense;
    setDenseBenchShape(dense, nHeads, nTokens, headDim);
    dense.q = q.as<float>();
    dense.k = k.as<float>();
    dense.v = v.as<float>();
    dense.out = out.as<float>();
    dense.lse = lse.as<float>();
    const double denseFlops = 4.0 * nHeads * static_cast<double>(nTokens) * nTokens * headDim;
    for (bool causal : {false, true}) {
        dense.causal = causal;
        Timing timing;
        if (!timeKernel([&] { return launchDenseAttnFwd(dense, nullptr); }, options, flush,
                        flushBytes, timing)) {
            return false;
        }
        emit(csv, "dense", nTokens, headDim, nHeads, causal, 1.0, timing,
             causal ? denseFlops / 2 : denseFlops);
    }

    for (double density : options.densities) {
        // One token-level CSR shared by all heads (rowPtrHeadStride = 0): the causal block mask.
        std::vector<std::int32_t> rowPtr{0};
        std::vector<std::int32_t> cols;
        const int nBlocks = (nTokens + kMaskBlock - 1) / kMaskBlock;
        for (int queryPos = 0; queryPos < nTokens; ++queryPos) {
            const int queryBlock = queryPos / kMaskBlock;
            for (int keyBlock = 0; keyBlock < nBlocks; ++keyBlock) {
                if (!keepBlock(queryBlock, keyBlock, density)) {
                    continue;
                }
                const int keyEnd = std::min(nTokens, std::min((keyBlock + 1) * kMaskBlock, queryPos + 1));
                for (int keyPos = keyBlock * kMaskBlock; keyPos < keyEnd; ++keyPos) {
                    cols.push_back(keyPos);
                }
            }
            rowPtr.push_back(static_cast<std::int32_t>(cols.size()));
        }
        const std::size_t nnz = cols.size();
        DeviceArray rowPtrDevice(rowPtr.size() * sizeof(std::int32_t));
        DeviceArray colsDevice(nnz * sizeof(std::int32_t));
        DeviceArray weights(nnz * nHeads * sizeof(float));
        if (!rowPtrDevice.ok() || !colsDevice.ok() || !weights.ok() ||
            !check(cudaMemcpy(rowPtrDevice.as<void>(), rowPtr.data(),
                              rowPtr.size() * sizeof(std::int32_t), cudaMemcpyHostToDevice),
                   "upload") ||
            !check(cudaMemcpy(colsDevice.as<void>(), cols.data(), nnz * sizeof(std::int32_t),
                              cudaMemcpyHostToDevice),
                   "upload")) {
            return false;
        }
        SparseAttnParams sparse;
        sparse.q = q.as<float>();
        sparse.k = k.as<float>();
        sparse.v = v.as<float>();
        sparse.rowPtr = rowPtrDevice.as<std::int32_t>();
        sparse.colIdx = colsDevice.as<std::int32_t>();
        sparse.out = out.as<float>();
        sparse.weights = weights.as<float>();
        sparse.lse = lse.as<float>();
        sparse.qHeadStride = sparse.kHeadStride = sparse.vHeadStride = sparse.outHeadStride = headStride;
        sparse.qRowStride = sparse.kRowStride = sparse.vRowStride = sparse.outRowStride = headDim;
        sparse.lseHeadStride = nTokens;
        sparse.rowPtrHeadStride = 0;
        sparse.weightsHeadStride = static_cast<long long>(nnz);
        sparse.nHeads = sparse.nKvHeads = nHeads;
        sparse.nTokens = nTokens;
        sparse.headDim = headDim;
        sparse.scale = dense.scale;
        Timing timing;
        if (!timeKernel([&] { return launchSparseAttnFwd(sparse, nullptr); }, options, flush,
                        flushBytes, timing)) {
            return false;
        }
        // p is measured on the mask itself: kept entries over the full nTokens² matrix.
        const double measured = static_cast<double>(nnz) / (static_cast<double>(nTokens) * nTokens);
        emit(csv, "sparse_csr_block128", nTokens, headDim, nHeads, true, measured, timing,
             4.0 * nHeads * static_cast<double>(nnz) * headDim);

        // The same mask as blocks: CSR over query blocks, shared by all heads; the kernel applies
        // the causal cut inside the diagonal blocks, so it computes the same nnz pairs.
        std::vector<std::int32_t> blockRowPtr{0};
        std::vector<std::int32_t> blockCols;
        for (int queryBlock = 0; queryBlock < nBlocks; ++queryBlock) {
            for (int keyBlock = 0; keyBlock < nBlocks; ++keyBlock) {
                if (keepBlock(queryBlock, keyBlock, density)) {
                    blockCols.push_back(keyBlock);
                }
            }
            blockRowPtr.push_back(static_cast<std::int32_t>(blockCols.size()));
        }
        DeviceArray blockRowPtrDevice(blockRowPtr.size() * sizeof(std::int32_t));
        DeviceArray blockColsDevice(blockCols.size() * sizeof(std::int32_t));
        if (!blockRowPtrDevice.ok() || !blockColsDevice.ok() ||
            !check(cudaMemcpy(blockRowPtrDevice.as<void>(), blockRowPtr.data(),
                              blockRowPtr.size() * sizeof(std::int32_t), cudaMemcpyHostToDevice),
                   "upload") ||
            !check(cudaMemcpy(blockColsDevice.as<void>(), blockCols.data(),
                              blockCols.size() * sizeof(std::int32_t), cudaMemcpyHostToDevice),
                   "upload")) {
            return false;
        }
        BlockSparseAttnParams blockSparse;
        blockSparse.attn = dense;
        blockSparse.attn.causal = true;
        blockSparse.blockRowPtr = blockRowPtrDevice.as<std::int32_t>();
        blockSparse.blockCols = blockColsDevice.as<std::int32_t>();
        blockSparse.blockRowPtrHeadStride = 0;
        blockSparse.blockSize = kMaskBlock;
        if (!timeKernel([&] { return launchBlockSparseAttnFwd(blockSparse, nullptr); }, options, flush,
                        flushBytes, timing)) {
            return false;
        }
        emit(csv, "block_sparse_block128", nTokens, headDim, nHeads, true, measured, timing,
             4.0 * nHeads * static_cast<double>(nnz) * headDim);
    }
    return true;
}

/// The 16-bit dense forward in bf16 on one shape (same head count rule as runShape), causal and
/// bidirectional. Inputs: standard normal floats rounded to bf16 on the host (half_convert.h).
bool runHalfShape(int nTokens, int headDim, const Options& options, DeviceArray& flush,
                  std::size_t flushBytes, std::FILE* csv)
{
    const int nHeads = (kTokensPerBatch / nTokens) * (kHeadsTimesDim / headDim);
    const std::size_t elements = static_cast<std::size_t>(nHeads) * nTokens * headDim;
    DeviceArray q(elements * 2);
    DeviceArray k(elements * 2);
    DeviceArray v(elements * 2);
    DeviceArray out(elements * 2);
    DeviceArray lse(static_cast<std::size_t>(nHeads) * nTokens * sizeof(float));
    if (!q.ok() || !k.ok() || !v.ok() || !out.ok() || !lse.ok()) {
        return false;
    }
    std::mt19937 rng(static_cast<unsigned>(nTokens * 131 + headDim));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<unsigned short> host(elements);
    for (DeviceArray* array : {&q, &k, &v}) {
        for (unsigned short& value : host) {
            value = floatToBf16Bits(normal(rng));
        }
        if (!check(cudaMemcpy(array->as<void>(), host.data(), elements * 2, cudaMemcpyHostToDevice), "upload")) {
            return false;
        }
    }
    DenseAttnHalfParams dense;
    setDenseBenchShape(dense, nHeads, nTokens, headDim);
    dense.type = AttnHalfType::Bf16;
    dense.q = q.as<unsigned short>();
    dense.k = k.as<unsigned short>();
    dense.v = v.as<unsigned short>();
    dense.out = out.as<unsigned short>();
    dense.lse = lse.as<float>();
    const double denseFlops = 4.0 * nHeads * static_cast<double>(nTokens) * nTokens * headDim;
    for (bool causal : {false, true}) {
        dense.causal = causal;
        Timing timing;
        if (!timeKernel([&] { return launchDenseAttnFwdHalf(dense, nullptr); }, options, flush,
                        flushBytes, timing)) {
            return false;
        }
        emit(csv, "dense", nTokens, headDim, nHeads, causal, 1.0, timing,
             causal ? denseFlops / 2 : denseFlops, "bf16");
    }
    return true;
}

/// Top-k selection of one bidirectional head (every row scores all N keys), d = 64. Rows longer
/// than kTopkSharedKeys keep their scores in a global scratch of N rows (4 GiB at N = 32k).
bool runTopkShape(int nTokens, const Options& options, DeviceArray& flush, std::size_t flushBytes,
                  std::FILE* csv)
{
    constexpr int kHeadDim = 64;
    const std::size_t elements = static_cast<std::size_t>(nTokens) * kHeadDim;
    DeviceArray q(elements * sizeof(float));
    DeviceArray k(elements * sizeof(float));
    const bool needsScratch = topkNeedsScratch(nTokens, false, 0);
    DeviceArray scratch(needsScratch ? static_cast<std::size_t>(nTokens) * nTokens * sizeof(float) : 0);
    DeviceArray rowPtr((static_cast<std::size_t>(nTokens) + 1) * sizeof(std::int32_t));
    if (!q.ok() || !k.ok() || !rowPtr.ok() || (needsScratch && !scratch.ok())) {
        return false;
    }
    if (!uploadNormal({&q, &k}, elements, static_cast<unsigned>(nTokens * 7 + 1))) {
        return false;
    }
    for (int count : options.topkCounts) {
        if (count <= 0 || count > nTokens) {
            continue;
        }
        std::vector<std::int32_t> offsets(static_cast<std::size_t>(nTokens) + 1);
        for (int row = 0; row <= nTokens; ++row) {
            offsets[static_cast<std::size_t>(row)] = row * count;
        }
        DeviceArray cols(static_cast<std::size_t>(nTokens) * count * sizeof(std::int32_t));
        if (!cols.ok() || !check(cudaMemcpy(rowPtr.as<void>(), offsets.data(), offsets.size() * sizeof(std::int32_t),
                                            cudaMemcpyHostToDevice),
                                 "upload")) {
            return false;
        }
        TopkSelectParams params;
        params.q = q.as<float>();
        params.k = k.as<float>();
        params.rowPtr = rowPtr.as<std::int32_t>();
        params.colIdx = cols.as<std::int32_t>();
        params.scratch = needsScratch ? scratch.as<float>() : nullptr;
        params.qRowStride = params.kRowStride = kHeadDim;
        params.scratchRowStride = needsScratch ? nTokens : 0;
        params.nHeads = params.nKvHeads = 1;
        params.nTokens = nTokens;
        params.headDim = kHeadDim;
        params.rowBegin = 0;
        params.rowCount = nTokens;
        params.topK = count;
        params.scale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));
        params.causal = false;
        Timing timing;
        if (!timeKernel([&] { return launchTopkSelect(params, nullptr); }, options, flush, flushBytes, timing)) {
            return false;
        }
        const std::string op = "topk_k" + std::to_string(count);
        // FLOPs of the scores only (2·N²·d); the selection passes are integer work.
        emit(csv, op.c_str(), nTokens, kHeadDim, 1, false, static_cast<double>(count) / nTokens, timing,
             2.0 * static_cast<double>(nTokens) * nTokens * kHeadDim);
    }
    return true;
}

std::vector<double> parseNumbers(const std::string& text)
{
    std::vector<double> values;
    std::size_t begin = 0;
    while (begin <= text.size()) {
        const std::size_t end = std::min(text.find(',', begin), text.size());
        if (end > begin) {
            values.push_back(std::atof(text.substr(begin, end - begin).c_str()));
        }
        begin = end + 1;
    }
    return values;
}

std::vector<int> parseInts(const std::string& text)
{
    const std::vector<double> numbers = parseNumbers(text);
    return std::vector<int>(numbers.begin(), numbers.end());
}

int usage()
{
    std::fprintf(stderr,
                 "usage: bench_gpu_attention [--sizes 1024,4096,16384] [--dims 64,128]\n"
                 "                           [--density 0.1,0.25] [--reps 25] [--csv FILE]\n"
                 "                           [--topk-sizes 4096,32768] [--topk-k 64,256]\n"
                 "                           [--half-sizes 2048,8192,16384]\n");
    return 2;
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    using namespace attnscope;
    Options options;
    for (int index = 1; index < argc; ++index) {
        const std::string arg = argv[index];
        if (index + 1 >= argc) {
            return usage();
        }
        const char* value = argv[++index];
        if (arg == "--sizes") {
            options.tokenCounts = parseInts(value);
        } else if (arg == "--dims") {
            options.headDims = parseInts(value);
        } else if (arg == "--density") {
            options.densities = parseNumbers(value);
        } else if (arg == "--reps") {
            options.maxReps = std::max(1, std::atoi(value));
        } else if (arg == "--half-sizes") {
            options.halfTokenCounts = parseInts(value);
        } else if (arg == "--topk-sizes") {
            options.topkSizes = parseInts(value);
        } else if (arg == "--topk-k") {
            options.topkCounts = parseInts(value);
        } else if (arg == "--csv") {
            options.csvPath = value;
        } else {
            return usage();
        }
    }
    int deviceCount = 0;
    if (cudaGetDeviceCount(&deviceCount) != cudaSuccess || deviceCount == 0) {
        std::fprintf(stderr, "bench_gpu_attention: no CUDA device\n");
        return 77;
    }
    cudaDeviceProp properties{};
    cudaGetDeviceProperties(&properties, 0);
    std::fprintf(stderr, "device: %s (sm_%d%d, %d SMs)\n", properties.name, properties.major,
                 properties.minor, properties.multiProcessorCount);

    std::FILE* csv = nullptr;
    if (!options.csvPath.empty()) {
        csv = std::fopen(options.csvPath.c_str(), "w");
        if (csv == nullptr) {
            std::fprintf(stderr, "bench_gpu_attention: cannot write %s\n", options.csvPath.c_str());
            return 1;
        }
    }
    const char* header = "impl,op,dtype,N,d,heads,causal,p,ms,spread_ms,tflops\n";
    std::printf("%s", header);
    if (csv != nullptr) {
        std::fprintf(csv, "%s", header);
    }
    // Twice the L2 (50 MiB on H100) so that no input survives from one rep to the next.
    const std::size_t flushBytes = std::max<std::size_t>(2u * properties.l2CacheSize, 64u << 20);
    DeviceArray flush(flushBytes);
    int status = flush.ok() ? 0 : 1;
    for (int nTokens : options.tokenCounts) {
        for (int headDim : options.headDims) {
            if (nTokens <= 0 || kTokensPerBatch % nTokens != 0 || headDim <= 0 ||
                kHeadsTimesDim % headDim != 0) {
                std::fprintf(stderr, "skipping N=%d d=%d: not a divisor of the FA3 setup\n",
                             nTokens, headDim);
                continue;
            }
            if (status == 0 && !runShape(nTokens, headDim, options, flush, flushBytes, csv)) {
                status = 1;
            }
        }
    }
    for (int nTokens : options.halfTokenCounts) {
        for (int headDim : options.headDims) {
            if (nTokens <= 0 || kTokensPerBatch % nTokens != 0 || denseHalfHeadDimBucket(headDim) == 0 ||
                kHeadsTimesDim % headDim != 0) {
                std::fprintf(stderr, "skipping bf16 N=%d d=%d: not a divisor of the FA3 setup or not compiled\n",
                             nTokens, headDim);
                continue;
            }
            if (status == 0 && !runHalfShape(nTokens, headDim, options, flush, flushBytes, csv)) {
                status = 1;
            }
        }
    }
    for (int nTokens : options.topkSizes) {
        if (status == 0 && nTokens > 0 && !runTopkShape(nTokens, options, flush, flushBytes, csv)) {
            status = 1;
        }
    }
    if (csv != nullptr) {
        std::fclose(csv);
    }
    return status;
}
