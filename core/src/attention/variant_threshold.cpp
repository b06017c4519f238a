// threshold: keys whose exact score is within delta of the row maximum, or whose dense probability
// reaches prob (an oracle). by=prob can leave a flat row empty; such rows are counted. With the CUDA
// backend the selection runs on the GPU (attention_backend.h) on the same score bits: by=score keeps
// the same keys (with a softcap the device's tanhf may move a key within an ulp of the cut); by=prob
// computes the probabilities with the device's exp and summation order, so a key whose probability
// is within rounding of prob may fall the other way.
#include "attention/attention_backend.h"
#include "attention/variants.h"

#include "attnscope_kernels/selection_math.h"

namespace attnscope::attn {

Result<HeadVariantResult> runThreshold(const HeadInput& input, const VariantSpec& spec,
                                       const VariantRunOptions& options)
{
    const bool byProbability = specString(spec, "by") == "prob";
    const double delta = specFloat(spec, "delta");
    const double minProbability = specFloat(spec, "prob");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    std::optional<KeptSet> onGpu = thresholdSetOnCuda(input, byProbability, delta, minProbability, options, result.stats);
    result.stats.selectionBackend = onGpu ? "cuda" : "cpu";
    KeptSet set = onGpu ? std::move(*onGpu) : keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        thread_local std::vector<float> scratch;
        thread_local std::vector<double> probabilities;
        const KeyRange range = allowedKeys(input, queryPos);
        denseProbabilityRow(input, queryPos, range, scratch, probabilities);
        float maxScore = scratch.empty() ? 0.0f : scratch[0];
        for (float score : scratch) {
            maxScore = std::max(maxScore, score);
        }
        for (int index = 0; index < range.size(); ++index) {
            const bool keep = byProbability ? probabilities[static_cast<std::size_t>(index)] >= minProbability
                                            : withinDeltaOfMax(scratch[static_cast<std::size_t>(index)], maxScore, delta);
            if (keep) {
                cols.push_back(range.first + index);
            }
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = 2.0 * input.headDim * static_cast<double>(allowedPairCount(input));
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn
