// sac: Sparse Adaptive Connection (Li et al. 2020), training-free. The paper's edge predictor is an
// LSTM trained by REINFORCE with no released code; its equations are unverified (variants.md §1,
// §9). We implement the spec's recipes: proxy = one global top-(alpha·N) over row-normalised cheap
// scores softmax(s·q~·k~ + beta·prior), prior = -log(1 + |i - j|) (our choice of distance prior);
// oracle = global top-(alpha·N) of the exact dense probabilities; learned = global top-(alpha·N)
// of a fitted LSTM pointer's row log-probabilities (learned_sac.h); plus the special-case presets.
// Rows therefore get different edge counts, the distinctive SAC property.
// With the CUDA backend (attention_backend.h) the proxy's selection runs on the GPU: the projection
// stays on the host (the GPU ranks the CPU's own projected values), the device writes every allowed
// pair's key and finds the global budget-th largest by radix select, ties to the earlier pair as
// here. Its predicted scores, exp and log sums round differently from Eigen's, so pairs whose keys
// are within rounding of the global cut may differ. Oracle and learned modes stay on the CPU.
#include "attention/attention_backend.h"
#include "attention/learned_sac.h"
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/selection_math.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Query rows scored together (one rank-r GEMM for the proxy) and handed to the selector at once.
constexpr int kScoreChunkRows = 16;
// log(1e-300): where a row-normalised probability would underflow a double, its score is clamped.
const double kLogFloor = std::log(1e-300);

// One allowed pair and its selection score.
struct EdgeCandidate {
    float key = 0.0f;
    std::int32_t row = 0;
    std::int32_t col = 0;
};

// The global order: larger score first, ties to the earlier pair in row-major (allowedSet) order.
bool ranksBefore(const EdgeCandidate& a, const EdgeCandidate& b)
{
    if (a.key != b.key) {
        return a.key > b.key;
    }
    return a.row != b.row ? a.row < b.row : a.col < b.col;
}

// A score's place in a 16-bit histogram of all scores: the top bits of its order-preserving
// integer image (−0 counted as +0, which compares equal to it).
constexpr int kScoreBinShift = 16;
constexpr std::size_t kScoreBins = std::size_t{1} << (32 - kScoreBinShift);

std::uint32_t scoreBin(float key)
{
    return orderedFloatBits(key) >> kScoreBinShift;
}

// Counts of a chunk's scores per bin; only touched bins are cleared, so a chunk costs its pairs.
struct ScoreHistogram {
    std::vector<std::uint32_t> counts = std::vector<std::uint32_t>(kScoreBins, 0);
    std::vector<std::uint32_t> touched;

    void add(float key)
    {
        const std::uint32_t bin = scoreBin(key);
        if (counts[bin]++ == 0) {
            touched.push_back(bin);
        }
    }
};

// The bar a chunk filters its candidates with: the lowest score bin that can still hold a selected
// pair, the stored budget-th best once a cut has found it, everything when the budget is zero.
struct SelectionBar {
    bool rejectsAll = false;
    std::uint32_t lowestBin = 0;
    bool set = false;
    EdgeCandidate worst;

    bool admits(const EdgeCandidate& candidate) const
    {
        return !rejectsAll && scoreBin(candidate.key) >= lowestBin && (!set || ranksBefore(candidate, worst));
    }
};

// Exact global top-`budget` of a stream of candidates in O(budget) memory. Every chunk's scores
// (admitted or not) are counted in a histogram: once the bins from the top down hold `budget`
// scores, a score in a lower bin has `budget` strictly larger ones and cannot be selected, so such
// candidates are neither stored nor kept. When the stored candidates still reach twice the budget
// they are cut back to the best `budget`, and the worst of those becomes an exact bar as well.
// Chunks may merge in any order (threads): every bar comes from a subset of the scores, never above
// the true budget-th best, so the result is the same.
class GlobalTopEdges {
public:
    explicit GlobalTopEdges(std::int64_t budget) : m_budget(std::max<std::int64_t>(0, budget)), m_counts(kScoreBins, 0)
    {
        m_bar.rejectsAll = m_budget == 0;
    }

    // The bar to filter a chunk with (read once per chunk; a stale bar only stores more).
    SelectionBar bar()
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_bar;
    }

    // Adds a chunk's admitted candidates and the histogram of all its scores (which it clears).
    void merge(const std::vector<EdgeCandidate>& found, ScoreHistogram& histogram)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        for (std::uint32_t bin : histogram.touched) {
            m_counts[bin] += histogram.counts[bin];
            histogram.counts[bin] = 0;
            m_topBin = std::max(m_topBin, bin);
        }
        histogram.touched.clear();
        m_kept.insert(m_kept.end(), found.begin(), found.end());
        if (m_budget > 0 && static_cast<std::int64_t>(m_kept.size()) >= m_budget) {
            raiseLowestBin();
        }
        if (static_cast<std::int64_t>(m_kept.size()) >= 2 * m_budget + kMinimumCut) {
            dropBelowLowestBin();
        }
        if (static_cast<std::int64_t>(m_kept.size()) >= 2 * m_budget + kMinimumCut) {
            cut();
            m_bar.worst = m_kept.back();
            m_bar.set = true;
        }
    }

    // The selected pairs, in no particular order.
    std::vector<EdgeCandidate> finish()
    {
        dropBelowLowestBin();
        if (static_cast<std::int64_t>(m_kept.size()) > m_budget) {
            cut();
        }
        return std::move(m_kept);
    }

private:
    // The highest bin whose bins from the top down hold at least `budget` scores (scanned from the
    // highest occupied bin down to the current one).
    void raiseLowestBin()
    {
        std::int64_t above = 0;
        for (std::size_t bin = std::size_t{m_topBin} + 1; bin-- > m_bar.lowestBin;) {
            above += m_counts[bin];
            if (above >= m_budget) {
                m_bar.lowestBin = static_cast<std::uint32_t>(bin);
                return;
            }
        }
    }

    void dropBelowLowestBin()
    {
        const std::uint32_t lowest = m_bar.lowestBin;
        m_kept.erase(std::remove_if(m_kept.begin(), m_kept.end(),
                                    [lowest](const EdgeCandidate& c) { return scoreBin(c.key) < lowest; }),
                     m_kept.end());
    }

    // Keeps the best m_budget (≥ 1), the worst of them last. The budget-th largest score is found
    // on the scores alone (4-byte values, no tie-break); then every candidate above it is kept and,
    // of those equal to it, the earliest pairs.
    void cut()
    {
        m_keys.resize(m_kept.size());
        std::transform(m_kept.begin(), m_kept.end(), m_keys.begin(), [](const EdgeCandidate& c) { return c.key; });
        const auto nth = m_keys.begin() + (m_budget - 1);
        std::nth_element(m_keys.begin(), nth, m_keys.end(), std::greater<>());
        const float bar = *nth;
        const auto ties = std::partition(m_kept.begin(), m_kept.end(), [bar](const EdgeCandidate& c) { return c.key > bar; });
        const auto tiesEnd = std::partition(ties, m_kept.end(), [bar](const EdgeCandidate& c) { return c.key == bar; });
        std::sort(ties, tiesEnd, ranksBefore);
        m_kept.resize(static_cast<std::size_t>(m_budget));
    }

    // Not worth cutting below this many stored candidates.
    static constexpr std::int64_t kMinimumCut = 4096;
    std::int64_t m_budget;
    std::vector<std::int64_t> m_counts; // scores seen per bin
    std::uint32_t m_topBin = 0;         // highest bin seen
    std::vector<EdgeCandidate> m_kept;
    std::vector<float> m_keys;
    SelectionBar m_bar;
    std::mutex m_mutex;
};

// Smallest span z such that the mean dense mass at distance <= z reaches `coverage` (adaptive span
// preset; the spec's post-hoc choice of z_h).
int adaptiveSpan(const HeadInput& input, double coverage)
{
    const int n = input.nTokens;
    std::vector<double> massByDistance(static_cast<std::size_t>(n), 0.0);
    std::vector<float> scratch;
    std::vector<double> probabilities;
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        denseProbabilityRow(input, queryPos, range, scratch, probabilities);
        for (int index = 0; index < range.size(); ++index) {
            massByDistance[static_cast<std::size_t>(std::abs(queryPos - (range.first + index)))] +=
                probabilities[static_cast<std::size_t>(index)];
        }
    }
    const double total = std::accumulate(massByDistance.begin(), massByDistance.end(), 0.0);
    double covered = 0.0;
    for (int distance = 0; distance < n; ++distance) {
        covered += massByDistance[static_cast<std::size_t>(distance)];
        if (covered >= coverage * total - 1e-12) {
            return distance;
        }
    }
    return std::max(0, n - 1);
}

} // namespace

Result<HeadVariantResult> runSac(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const std::string preset = specString(spec, "preset");
    const bool selfLoop = specBool(spec, "selfloop");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;

    if (preset != "none") {
        const int width = static_cast<int>(std::min<long long>(specInt(spec, "w"), n + 1LL));
        int span = n;
        if (preset == "adaptive-span") {
            span = adaptiveSpan(input, specFloat(spec, "coverage"));
            result.span = span;
            result.stats.estimateFlops = pairFlops(input, allowedPairCount(input));
        }
        // Each preset keeps a band |i − j| < reach around the query plus, for multi-scale, the keys at
        // power-of-two distances; rows visit those candidates only, and the mask predicate decides.
        const bool local = preset == "local";
        const bool multiScale = preset == "multi-scale";
        const int reach = local || multiScale ? width : preset == "adaptive-span" ? span + 1 : n;
        const auto keeps = [&](int queryPos, int keyPos) {
            if (local) {
                return windowAllows(queryPos, keyPos, width, input.causal);
            }
            if (multiScale) {
                return multiScaleAllows(queryPos, keyPos, width, input.causal);
            }
            return std::abs(queryPos - keyPos) <= span;
        };
        KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
            const KeyRange range = allowedKeys(input, queryPos);
            const auto consider = [&](long long keyPos) {
                if (keyPos >= range.first && keyPos <= range.last && keeps(queryPos, static_cast<int>(keyPos))) {
                    cols.push_back(static_cast<std::int32_t>(keyPos));
                }
            };
            const long long bandFirst = std::max<long long>(range.first, queryPos - (reach - 1LL));
            const long long bandLast = std::min<long long>(range.last, queryPos + (reach - 1LL));
            if (multiScale) {
                for (long long distance = 1LL << 30; distance > 0; distance >>= 1) {
                    if (queryPos - distance < bandFirst) {
                        consider(queryPos - distance);
                    }
                }
            }
            for (long long keyPos = bandFirst; keyPos <= bandLast; ++keyPos) {
                consider(keyPos);
            }
            if (multiScale) {
                for (long long distance = 1; distance <= (1LL << 30); distance <<= 1) {
                    if (queryPos + distance > bandLast) {
                        consider(queryPos + distance);
                    }
                }
            }
        });
        result.stats.estimateSeconds = watch.seconds();
        attendOnSet(input, std::move(set), options, result);
        return result;
    }

    const bool oracle = specString(spec, "mode") == "oracle";
    // learned: the fitted LSTM pointer of a predictor file (learned_sac.h) gives every row its
    // log-probabilities; they compete for the global budget like the oracle's.
    const bool learned = specString(spec, "mode") == "learned";
    std::optional<SacPolicy> policy;
    if (learned) {
        if (input.learned == nullptr) {
            return makeError(ErrorCode::InvalidArgument, "sac:mode=learned needs a predictor file (learned=PATH)");
        }
        auto computed = SacPolicy::compute(*input.learned, input);
        if (!computed) {
            return computed.error();
        }
        policy = std::move(*computed);
    }
    const double beta = specFloat(spec, "beta");
    const double tau = specFloat(spec, "tau");
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));
    long long rank = specInt(spec, "rank");
    if (rank == 0) {
        rank = std::max(1, input.headDim / 4);
    }
    LowRankProjection projection;
    if (!oracle && !learned) {
        projection = lowRankProjection(input, static_cast<int>(rank), static_cast<int>(specInt(spec, "bits")), seed);
    }

    // Every allowed pair gets a row-normalised score (its log-probability under the proxy or the
    // dense softmax, plus Gumbel noise when tau > 0); the kept set is the global top-(alpha·N) of
    // those scores, streamed through a selector that holds O(alpha·N) candidates instead of all
    // N²/2 pairs.
    const std::int64_t pairs = allowedPairCount(input);
    const auto budget = static_cast<std::int64_t>(
        std::min<double>(std::llround(specFloat(spec, "alpha") * n), static_cast<double>(pairs)));
    const std::uint64_t noiseKey = mixSeed(seed, input.layer, input.head, 0x5ac);
    std::optional<KeptSet> onGpu;
    if (!oracle && !learned) {
        SacProxySelection selection;
        selection.queries = projection.query;
        selection.keys = projection.key;
        selection.rank = projection.rank;
        selection.scale = input.scale;
        selection.beta = beta;
        selection.tau = tau;
        selection.logFloor = kLogFloor;
        selection.noiseKey = noiseKey;
        selection.budget = budget;
        selection.selfLoop = selfLoop;
        onGpu = sacProxySetOnCuda(input, selection, options, result.stats);
    }
    result.stats.selectionBackend = onGpu ? "cuda" : "cpu";
    if (onGpu) {
        result.stats.estimateSeconds = watch.seconds();
        result.stats.estimateFlops = projection.flops;
        attendOnSet(input, std::move(*onGpu), options, result);
        return result;
    }
    GlobalTopEdges top(budget);
    const int chunks = (n + kScoreChunkRows - 1) / kScoreChunkRows;
    parallelFor(
        chunks,
        [&](std::int64_t chunk) {
            thread_local std::vector<float> scratch;
            thread_local std::vector<double> probabilities;
            thread_local RowMatrixF scores;
            thread_local std::vector<EdgeCandidate> found;
            thread_local ScoreHistogram histogram;
            found.clear();
            const int rowBegin = static_cast<int>(chunk) * kScoreChunkRows;
            const int rowEnd = std::min(n, rowBegin + kScoreChunkRows);
            const int keyBegin = allowedKeys(input, rowBegin).first;
            const int keyEnd = allowedKeys(input, rowEnd - 1).last + 1;
            if (!oracle && !learned && keyEnd > keyBegin) {
                // The chunk's predicted scores s·q~·k~ in one rank-r GEMM.
                predictedScoreBlock(input, projection, rowBegin, rowEnd, keyBegin, keyEnd, scores);
            }
            const SelectionBar bar = top.bar();
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                const KeyRange range = allowedKeys(input, queryPos);
                if (range.size() <= 0) {
                    continue;
                }
                scratch.resize(static_cast<std::size_t>(range.size()));
                double logTotal = 0.0;
                if (oracle) {
                    denseProbabilityRow(input, queryPos, range, scratch, probabilities);
                    for (int index = 0; index < range.size(); ++index) {
                        scratch[static_cast<std::size_t>(index)] = static_cast<float>(
                            std::log(std::max(probabilities[static_cast<std::size_t>(index)], 1e-300)));
                    }
                } else if (learned) {
                    probabilities.resize(static_cast<std::size_t>(range.size()));
                    policy->rowLogProbabilities(queryPos, range, probabilities.data());
                    for (int index = 0; index < range.size(); ++index) {
                        scratch[static_cast<std::size_t>(index)] =
                            static_cast<float>(std::max(probabilities[static_cast<std::size_t>(index)], kLogFloor));
                    }
                } else {
                    const float* line = scores.row(queryPos - rowBegin).data() + (range.first - keyBegin);
                    std::copy(line, line + range.size(), scratch.begin());
                    if (beta != 0.0) {
                        for (int index = 0; index < range.size(); ++index) {
                            const double prior = sacDistancePrior(queryPos, range.first + index);
                            scratch[static_cast<std::size_t>(index)] += static_cast<float>(beta * prior);
                        }
                    }
                    // log softmax = score − max − log Σ exp(score − max), clamped where the
                    // probability would underflow a double.
                    Eigen::Map<Eigen::ArrayXf> row(scratch.data(), range.size());
                    const float maxScore = row.maxCoeff();
                    row -= maxScore;
                    logTotal = std::log(static_cast<double>(row.exp().sum()));
                }
                for (int index = 0; index < range.size(); ++index) {
                    double key = oracle || learned ? scratch[static_cast<std::size_t>(index)]
                                        : std::max(static_cast<double>(scratch[static_cast<std::size_t>(index)]) - logTotal,
                                                   kLogFloor);
                    const int keyPos = range.first + index;
                    if (tau > 0.0) {
                        const double u = hashUniform(noiseKey, static_cast<std::uint64_t>(queryPos),
                                                     static_cast<std::uint64_t>(keyPos));
                        key += tau * -std::log(-std::log(std::max(u, 1e-300)));
                    }
                    const EdgeCandidate candidate{static_cast<float>(key), queryPos, keyPos};
                    histogram.add(candidate.key);
                    if (bar.admits(candidate)) {
                        found.push_back(candidate);
                    }
                }
            }
            top.merge(found, histogram);
        },
        options.threads);
    const std::vector<EdgeCandidate> chosen = top.finish();

    // The chosen pairs grouped by row (a counting pass), then each row's keys in ascending order
    // through a bitmap of its allowed range, where the self-loop is added.
    std::vector<std::int64_t> rowStart(static_cast<std::size_t>(n) + 1, 0);
    for (const EdgeCandidate& edge : chosen) {
        ++rowStart[static_cast<std::size_t>(edge.row) + 1];
    }
    std::partial_sum(rowStart.begin(), rowStart.end(), rowStart.begin());
    std::vector<std::int32_t> byRow(chosen.size());
    {
        std::vector<std::int64_t> cursor(rowStart.begin(), rowStart.end() - 1);
        for (const EdgeCandidate& edge : chosen) {
            byRow[static_cast<std::size_t>(cursor[static_cast<std::size_t>(edge.row)]++)] = edge.col;
        }
    }
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    set.cols.reserve(chosen.size() + (selfLoop ? static_cast<std::size_t>(n) : 0));
    std::vector<std::uint64_t> bits(static_cast<std::size_t>(n + 63) / 64, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        auto mark = [&](int keyPos) {
            const int offset = keyPos - range.first;
            bits[static_cast<std::size_t>(offset >> 6)] |= 1ull << (offset & 63);
        };
        for (std::int64_t at = rowStart[static_cast<std::size_t>(queryPos)]; at < rowStart[static_cast<std::size_t>(queryPos) + 1];
             ++at) {
            mark(byRow[static_cast<std::size_t>(at)]);
        }
        if (selfLoop && range.first <= queryPos && queryPos <= range.last) {
            mark(queryPos);
        }
        for (int word = 0; word < (std::max(0, range.size()) + 63) / 64; ++word) {
            std::uint64_t value = bits[static_cast<std::size_t>(word)];
            bits[static_cast<std::size_t>(word)] = 0;
            while (value != 0) {
                set.cols.push_back(range.first + word * 64 + __builtin_ctzll(value));
                value &= value - 1;
            }
        }
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] = static_cast<std::int64_t>(set.cols.size());
    }
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = oracle    ? pairFlops(input, pairs)
                                 : learned ? policy->setupFlops() + policy->scoreFlops(static_cast<double>(pairs))
                                           : projection.flops;
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn
