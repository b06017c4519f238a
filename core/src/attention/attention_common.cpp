#include "attention/attention_common.h"

#include "attention/attention_backend.h"
#include "attention/fused_attention_kernel.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/selection_math.h"
#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

namespace attnscope::attn {

namespace {

// Rows per sparseAttention work item: large enough that the gather of the rows' key union (K
// transposed, V copied, once per item) is shared by many rows, small enough that causal rows of
// different cost balance over the threads (N = 8192 makes 128 items).
constexpr int kGatheredRowChunk = 64;
// Dense path row block: one Eigen GEMM per block keeps K/V of the block's key range hot in cache.
constexpr int kDenseRowBlock = 64;

// selection_math.h's step, which the CUDA kernels share (SAC's Gumbel noise on the GPU).
std::uint64_t splitmix(std::uint64_t& state)
{
    static_assert(sizeof(unsigned long long) == sizeof(std::uint64_t));
    unsigned long long value = state;
    const unsigned long long result = splitmix64(&value);
    state = value;
    return result;
}

template <int D>
float dotFixed(const float* a, const float* b, int d)
{
    if constexpr (D == Eigen::Dynamic) {
        return Eigen::Map<const Eigen::VectorXf>(a, d).dot(Eigen::Map<const Eigen::VectorXf>(b, d));
    } else {
        (void)d;
        return Eigen::Map<const Eigen::Matrix<float, D, 1>>(a).dot(Eigen::Map<const Eigen::Matrix<float, D, 1>>(b));
    }
}

// Per row, straight from the K/V rows the CSR names (no gather copy): fixed-size dot products four
// keys at a time (independent accumulators keep the FP pipes busy), a vectorised exp over the row's
// scores, then the output accumulated four value rows at a time in registers. The rows of K and V a
// row touches stay in L2, so copying them first (a gather) only adds stores.
template <int D>
void sparseRows(const HeadInput& input, const KeptSet& set, float* output, float* weights, int rowBegin,
                int rowEnd, Eigen::VectorXf& scratch)
{
    using Vector = Eigen::Matrix<float, D, 1>;
    using ConstRow = Eigen::Map<const Vector, Eigen::Unaligned>;
    const int d = input.headDim;
    for (int row = rowBegin; row < rowEnd; ++row) {
        const std::int64_t begin = set.rowPtr[static_cast<std::size_t>(row)];
        const std::int64_t end = set.rowPtr[static_cast<std::size_t>(row) + 1];
        float* out = output + static_cast<std::size_t>(row) * d;
        if (end == begin) {
            std::fill(out, out + d, 0.0f);
            continue;
        }
        const int count = static_cast<int>(end - begin);
        // Eigen storage is packet-aligned; with a plain vector the vectorised exp would peel a
        // different number of scalar elements depending on the allocation and the bits would
        // change from run to run.
        if (scratch.size() < count) {
            scratch.resize(count);
        }
        const std::int32_t* cols = set.cols.data() + begin;
        const Vector query = ConstRow(input.q + static_cast<std::size_t>(row) * d, d);
        auto keyRow = [&](int index) { return ConstRow(input.k + static_cast<std::size_t>(cols[index]) * d, d); };
        auto valueRow = [&](int index) { return ConstRow(input.v + static_cast<std::size_t>(cols[index]) * d, d); };
        float* scores = scratch.data();
        int index = 0;
        for (; index + 4 <= count; index += 4) {
            scores[index] = keyRow(index).dot(query);
            scores[index + 1] = keyRow(index + 1).dot(query);
            scores[index + 2] = keyRow(index + 2).dot(query);
            scores[index + 3] = keyRow(index + 3).dot(query);
        }
        for (; index < count; ++index) {
            scores[index] = keyRow(index).dot(query);
        }
        Eigen::Map<Eigen::ArrayXf> line(scores, count);
        // Scaled after the dot product, as the dense kernel does, so both round the same way.
        line *= input.scale;
        if (input.softcap > 0.0f) {
            for (index = 0; index < count; ++index) {
                scores[index] = applySoftcap(scores[index], input.softcap);
            }
        }
        const float maxScore = line.maxCoeff();
        line = (line - maxScore).exp();
        double sum = 0.0;
        for (index = 0; index < count; ++index) {
            sum += scores[index];
        }
        line *= static_cast<float>(1.0 / sum);
        Vector accumulator = Vector::Zero(d);
        index = 0;
        for (; index + 4 <= count; index += 4) {
            accumulator.noalias() += scores[index] * valueRow(index) + scores[index + 1] * valueRow(index + 1) +
                                     scores[index + 2] * valueRow(index + 2) + scores[index + 3] * valueRow(index + 3);
        }
        for (; index < count; ++index) {
            accumulator.noalias() += scores[index] * valueRow(index);
        }
        Eigen::Map<Vector>(out, d) = accumulator;
        if (weights) {
            std::copy_n(scores, count, weights + begin);
        }
    }
}

template <int D>
void sparseAttentionFixed(const HeadInput& input, const KeptSet& set, float* output, float* weights, int threads,
                          CpuIsa isa)
{
    const int chunks = (input.nTokens + kGatheredRowChunk - 1) / kGatheredRowChunk;
    parallelFor(
        chunks,
        [&](std::int64_t chunk) {
            const int rowBegin = static_cast<int>(chunk) * kGatheredRowChunk;
            const int rowEnd = std::min(input.nTokens, rowBegin + kGatheredRowChunk);
            if (gatheredSparseRows(input, set, rowBegin, rowEnd, output, weights, isa)) {
                return;
            }
            Eigen::VectorXf scratch;
            sparseRows<D>(input, set, output, weights, rowBegin, rowEnd, scratch);
        },
        threads);
}

} // namespace

HeadInput makeHeadInput(const LayerQkv& layer, int head)
{
    HeadInput input;
    input.q = layer.queryHead(head);
    input.k = layer.keyHead(head);
    input.v = layer.valueHead(head);
    input.nTokens = layer.nTokens;
    input.headDim = layer.headDim;
    input.scale = layer.scale;
    input.softcap = layer.softcap;
    input.causal = layer.causal;
    input.slidingWindow = layer.slidingWindow;
    input.layer = layer.layer;
    input.head = head;
    input.layerQkv = &layer;
    return input;
}

KeyRange allowedKeys(const HeadInput& input, int queryPos)
{
    KeyRange range;
    modelAllowedRange(queryPos, input.nTokens, input.causal, input.slidingWindow, &range.first, &range.last);
    return range;
}

KeyRange allowedKeysOfRows(const HeadInput& input, int rowBegin, int rowEnd)
{
    KeyRange keys{input.nTokens, -1};
    for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        if (range.size() > 0) {
            keys.first = std::min(keys.first, range.first);
            keys.last = std::max(keys.last, range.last);
        }
    }
    return keys;
}

std::int64_t allowedPairCount(const HeadInput& input)
{
    std::int64_t total = 0;
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        total += allowedKeys(input, queryPos).size();
    }
    return total;
}

std::uint64_t mixSeed(std::uint64_t seed, int layer, int head, std::uint64_t stream)
{
    std::uint64_t state = seed;
    std::uint64_t mixed = splitmix(state);
    state = mixed ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(layer)) << 32 |
                     static_cast<std::uint32_t>(head));
    mixed = splitmix(state);
    state = mixed ^ stream;
    return splitmix(state);
}

std::uint64_t Rng::next()
{
    return splitmix(m_state);
}

double Rng::uniform()
{
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

double Rng::normal()
{
    if (m_hasSpare) {
        m_hasSpare = false;
        return m_spare;
    }
    double u1 = uniform();
    while (u1 <= 0.0) {
        u1 = uniform();
    }
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 6.283185307179586 * u2;
    m_spare = radius * std::sin(angle);
    m_hasSpare = true;
    return radius * std::cos(angle);
}

std::int64_t Rng::below(std::int64_t bound)
{
    return bound <= 0 ? 0 : static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(bound));
}

double hashUniform(std::uint64_t key, std::uint64_t a, std::uint64_t b)
{
    return hashUniform01(key, a, b);
}

float dotProduct(const float* a, const float* b, int d)
{
    switch (d) {
    case 32:
        return dotFixed<32>(a, b, d);
    case 64:
        return dotFixed<64>(a, b, d);
    case 128:
        return dotFixed<128>(a, b, d);
    default:
        return dotFixed<Eigen::Dynamic>(a, b, d);
    }
}

KeptSet keptSetFromBlockMask(const HeadInput& input, const std::vector<std::uint8_t>& blockMask, int block)
{
    const int n = input.nTokens;
    const int blocks = (n + block - 1) / block;
    // The kept keys of one row, as a visitor over [first, last] runs; counted, then written in place.
    const auto forEachRun = [&](int queryPos, auto&& visit) {
        const KeyRange range = allowedKeys(input, queryPos);
        if (range.size() <= 0) {
            return;
        }
        const std::uint8_t* row = blockMask.data() + static_cast<std::size_t>(queryPos / block) * blocks;
        for (int keyBlock = range.first / block; keyBlock <= range.last / block; ++keyBlock) {
            if (row[keyBlock] != 0) {
                visit(std::max(range.first, keyBlock * block), std::min(range.last, keyBlock * block + block - 1));
            }
        }
    };
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        std::int64_t count = 0;
        forEachRun(queryPos, [&](int first, int last) { count += last - first + 1; });
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] = set.rowPtr[static_cast<std::size_t>(queryPos)] + count;
    }
    set.cols.resize(static_cast<std::size_t>(set.rowPtr.back()));
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        auto out = set.cols.begin() + set.rowPtr[static_cast<std::size_t>(queryPos)];
        forEachRun(queryPos, [&](int first, int last) {
            std::iota(out, out + (last - first + 1), first);
            out += last - first + 1;
        });
    }
    return set;
}

KeptSet allowedSet(const HeadInput& input)
{
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(input.nTokens) + 1, 0);
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] = set.rowPtr[static_cast<std::size_t>(queryPos)] +
                                                              std::max(0, range.size());
    }
    set.cols.resize(static_cast<std::size_t>(set.rowPtr.back()));
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        std::iota(set.cols.begin() + set.rowPtr[static_cast<std::size_t>(queryPos)],
                  set.cols.begin() + set.rowPtr[static_cast<std::size_t>(queryPos) + 1], range.first);
    }
    return set;
}

void sparseAttention(const HeadInput& input, const KeptSet& set, float* output, float* weights, int threads,
                     std::optional<CpuIsa> isa)
{
    const CpuIsa kernelIsa = resolveIsa(activeCpuIsa(), isa);
    switch (input.headDim) {
    case 32:
        sparseAttentionFixed<32>(input, set, output, weights, threads, kernelIsa);
        break;
    case 64:
        sparseAttentionFixed<64>(input, set, output, weights, threads, kernelIsa);
        break;
    case 128:
        sparseAttentionFixed<128>(input, set, output, weights, threads, kernelIsa);
        break;
    default:
        sparseAttentionFixed<Eigen::Dynamic>(input, set, output, weights, threads, kernelIsa);
        break;
    }
}

void denseAttention(const HeadInput& input, float* output, float* weights, int threads)
{
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const int n = input.nTokens;
    const int d = input.headDim;
    std::vector<std::int64_t> rowOffset;
    if (weights) {
        rowOffset.assign(static_cast<std::size_t>(n) + 1, 0);
        for (int queryPos = 0; queryPos < n; ++queryPos) {
            rowOffset[static_cast<std::size_t>(queryPos) + 1] =
                rowOffset[static_cast<std::size_t>(queryPos)] + std::max(0, allowedKeys(input, queryPos).size());
        }
    }
    const int blocks = (n + kDenseRowBlock - 1) / kDenseRowBlock;
    parallelFor(
        blocks,
        [&](std::int64_t block) {
            const int rowBegin = static_cast<int>(block) * kDenseRowBlock;
            const int rowEnd = std::min(n, rowBegin + kDenseRowBlock);
            const int keyBegin = allowedKeys(input, rowBegin).first;
            const int keyEnd = allowedKeys(input, rowEnd - 1).last + 1;
            const int rows = rowEnd - rowBegin;
            const int keys = keyEnd - keyBegin;
            Eigen::Map<const RowMatrix> queries(input.q + static_cast<std::size_t>(rowBegin) * d, rows, d);
            Eigen::Map<const RowMatrix> keyBlock(input.k + static_cast<std::size_t>(keyBegin) * d, keys, d);
            Eigen::Map<const RowMatrix> valueBlock(input.v + static_cast<std::size_t>(keyBegin) * d, keys, d);
            RowMatrix scores = (queries * keyBlock.transpose()) * input.scale;
            for (int row = 0; row < rows; ++row) {
                const KeyRange range = allowedKeys(input, rowBegin + row);
                float* line = scores.row(row).data();
                float maxScore = -std::numeric_limits<float>::infinity();
                for (int key = 0; key < keys; ++key) {
                    const int keyPos = keyBegin + key;
                    if (keyPos < range.first || keyPos > range.last) {
                        line[key] = -std::numeric_limits<float>::infinity();
                        continue;
                    }
                    line[key] = applySoftcap(line[key], input.softcap);
                    maxScore = std::max(maxScore, line[key]);
                }
                double sum = 0.0;
                for (int key = 0; key < keys; ++key) {
                    const float e = line[key] == -std::numeric_limits<float>::infinity()
                                        ? 0.0f
                                        : std::exp(line[key] - maxScore);
                    line[key] = e;
                    sum += e;
                }
                const float inverse = sum > 0.0 ? static_cast<float>(1.0 / sum) : 0.0f;
                for (int key = 0; key < keys; ++key) {
                    line[key] *= inverse;
                }
                if (weights) {
                    std::copy(line + (range.first - keyBegin), line + (range.last - keyBegin + 1),
                              weights + rowOffset[static_cast<std::size_t>(rowBegin + row)]);
                }
            }
            Eigen::Map<RowMatrix> out(output + static_cast<std::size_t>(rowBegin) * d, rows, d);
            out.noalias() = scores * valueBlock;
        },
        threads);
}

void referenceAttention(const HeadInput& input, std::vector<double>& output, std::vector<double>* probabilities)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    output.assign(static_cast<std::size_t>(n) * d, 0.0);
    if (probabilities) {
        probabilities->assign(static_cast<std::size_t>(n) * n, 0.0);
    }
    std::vector<double> row(static_cast<std::size_t>(n));
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        double maxScore = -std::numeric_limits<double>::infinity();
        for (int keyPos = 0; keyPos < n; ++keyPos) {
            if (!modelAllows(queryPos, keyPos, input.causal, input.slidingWindow)) {
                continue;
            }
            double dot = 0.0;
            for (int dim = 0; dim < d; ++dim) {
                dot += static_cast<double>(input.q[static_cast<std::size_t>(queryPos) * d + dim]) *
                       static_cast<double>(input.k[static_cast<std::size_t>(keyPos) * d + dim]);
            }
            double score = dot * static_cast<double>(input.scale);
            if (input.softcap > 0.0f) {
                score = input.softcap * std::tanh(score / input.softcap);
            }
            row[static_cast<std::size_t>(keyPos)] = score;
            maxScore = std::max(maxScore, score);
        }
        double sum = 0.0;
        for (int keyPos = 0; keyPos < n; ++keyPos) {
            if (modelAllows(queryPos, keyPos, input.causal, input.slidingWindow)) {
                row[static_cast<std::size_t>(keyPos)] = std::exp(row[static_cast<std::size_t>(keyPos)] - maxScore);
                sum += row[static_cast<std::size_t>(keyPos)];
            } else {
                row[static_cast<std::size_t>(keyPos)] = 0.0;
            }
        }
        for (int keyPos = 0; keyPos < n; ++keyPos) {
            const double p = sum > 0.0 ? row[static_cast<std::size_t>(keyPos)] / sum : 0.0;
            if (probabilities) {
                (*probabilities)[static_cast<std::size_t>(queryPos) * n + keyPos] = p;
            }
            for (int dim = 0; dim < d; ++dim) {
                output[static_cast<std::size_t>(queryPos) * d + dim] +=
                    p * static_cast<double>(input.v[static_cast<std::size_t>(keyPos) * d + dim]);
            }
        }
    }
}

void finishResult(const HeadInput& input, KeptSet&& set, std::vector<float>&& weights, bool keep,
                  HeadVariantResult& result)
{
    const int n = input.nTokens;
    VariantStats& stats = result.stats;
    stats.allowedPairs = allowedPairCount(input);
    stats.keptPerRow.assign(static_cast<std::size_t>(n), 0);
    stats.emptyRows = 0;
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const auto kept = static_cast<std::int32_t>(set.rowPtr[static_cast<std::size_t>(queryPos) + 1] -
                                                    set.rowPtr[static_cast<std::size_t>(queryPos)]);
        stats.keptPerRow[static_cast<std::size_t>(queryPos)] = kept;
        if (kept == 0) {
            ++stats.emptyRows;
        }
    }
    stats.keptPairs = set.rowPtr.empty() ? 0 : set.rowPtr.back();
    stats.density = stats.allowedPairs > 0 ? static_cast<double>(stats.keptPairs) / stats.allowedPairs : 0.0;
    stats.attentionFlops = pairFlops(input, stats.keptPairs);
    stats.attentionBytes = pairBytes(input, stats.keptPairs, true);
    if (keep) {
        result.attention.rowPtr = std::move(set.rowPtr);
        result.attention.cols = std::move(set.cols);
        result.attention.weights = std::move(weights);
    }
}

void finishAllAllowed(const HeadInput& input, std::vector<float>&& weights, HeadVariantResult& result)
{
    if (!weights.empty()) {
        finishResult(input, allowedSet(input), std::move(weights), true, result);
        return;
    }
    VariantStats& stats = result.stats;
    stats.keptPerRow.assign(static_cast<std::size_t>(input.nTokens), 0);
    stats.allowedPairs = 0;
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        const int size = std::max(0, allowedKeys(input, queryPos).size());
        stats.keptPerRow[static_cast<std::size_t>(queryPos)] = size;
        stats.allowedPairs += size;
    }
    stats.keptPairs = stats.allowedPairs;
    stats.density = stats.allowedPairs > 0 ? 1.0 : 0.0;
    stats.emptyRows = 0;
    stats.attentionFlops = pairFlops(input, stats.keptPairs);
    stats.attentionBytes = pairBytes(input, stats.keptPairs, false);
}

double pairFlops(const HeadInput& input, std::int64_t pairs)
{
    return static_cast<double>(pairs) * (4.0 * input.headDim + 5.0);
}

double pairBytes(const HeadInput& input, std::int64_t pairs, bool indexed)
{
    const double perPair = 2.0 * input.headDim * sizeof(float) + (indexed ? 2.0 * sizeof(float) : 0.0);
    return static_cast<double>(pairs) * perPair + 2.0 * input.nTokens * input.headDim * sizeof(float);
}

bool materialise(const HeadInput& input, const VariantRunOptions& options)
{
    return options.keepAttention && input.nTokens <= options.maxMaterialisedTokens;
}

void attendOnSet(const HeadInput& input, KeptSet&& set, const VariantRunOptions& options, HeadVariantResult& result)
{
    Stopwatch watch;
    std::vector<float> weights;
    if (sparseAttentionOnCuda(input, set, options, result.output, weights, result.stats)) {
        result.stats.attentionBackend = "cuda";
    } else {
        result.stats.attentionBackend = "cpu";
        result.output.assign(static_cast<std::size_t>(input.nTokens) * input.headDim, 0.0f);
        weights.clear();
        if (options.keepAttention) {
            weights.resize(set.cols.size());
        }
        sparseAttention(input, set, result.output.data(), options.keepAttention ? weights.data() : nullptr,
                        options.threads);
    }
    result.stats.attentionSeconds = watch.seconds();
    finishResult(input, std::move(set), std::move(weights), options.keepAttention, result);
}

} // namespace attnscope::attn
