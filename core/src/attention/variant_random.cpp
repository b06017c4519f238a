// random: the control. Uniformly random keys per row, either a fraction of each row's allowed keys
// (at least one) or a given count per row (the same counts as another variant).
#include "attention/variants.h"

#include <algorithm>
#include <cmath>

namespace attnscope::attn {

namespace {

KeptSet randomSet(const HeadInput& input, const std::vector<std::int32_t>& counts, std::uint64_t seed, int threads)
{
    return keptSetFromRows(input, threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        thread_local std::vector<std::int32_t> pool;
        const KeyRange range = allowedKeys(input, queryPos);
        const int size = std::max(0, range.size());
        const int count = std::clamp<int>(counts[static_cast<std::size_t>(queryPos)], 0, size);
        pool.resize(static_cast<std::size_t>(size));
        for (int index = 0; index < size; ++index) {
            pool[static_cast<std::size_t>(index)] = range.first + index;
        }
        // Per-row generator: the mask does not depend on how rows are split over threads.
        Rng rng(mixSeed(seed, input.layer, input.head, static_cast<std::uint64_t>(queryPos)));
        for (int draw = 0; draw < count; ++draw) {
            const auto pick = draw + rng.below(size - draw);
            std::swap(pool[static_cast<std::size_t>(draw)], pool[static_cast<std::size_t>(pick)]);
        }
        cols.assign(pool.begin(), pool.begin() + count);
        std::sort(cols.begin(), cols.end());
    });
}

} // namespace

Result<HeadVariantResult> runRandomWithCounts(const HeadInput& input, const std::vector<std::int32_t>& counts,
                                              std::uint64_t seed, const VariantRunOptions& options)
{
    if (static_cast<int>(counts.size()) != input.nTokens) {
        return makeError(ErrorCode::ShapeMismatch,
                         "random: " + std::to_string(counts.size()) + " row counts for " +
                             std::to_string(input.nTokens) + " tokens",
                         "random");
    }
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    KeptSet set = randomSet(input, counts, seed, options.threads);
    result.stats.estimateSeconds = watch.seconds();
    attendOnSet(input, std::move(set), options, result);
    return result;
}

Result<HeadVariantResult> runRandom(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const double density = specFloat(spec, "density");
    std::vector<std::int32_t> counts(static_cast<std::size_t>(input.nTokens));
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        const int size = allowedKeys(input, queryPos).size();
        counts[static_cast<std::size_t>(queryPos)] =
            std::clamp(static_cast<int>(std::lround(density * size)), std::min(1, size), size);
    }
    return runRandomWithCounts(input, counts, static_cast<std::uint64_t>(specInt(spec, "seed")), options);
}

} // namespace attnscope::attn
