// topp: the smallest key set per row whose dense probability mass reaches p (an oracle).
#include "attention/variants.h"

#include <algorithm>
#include <numeric>

namespace attnscope::attn {

Result<HeadVariantResult> runTopp(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const double mass = specFloat(spec, "p");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        thread_local std::vector<float> scratch;
        thread_local std::vector<double> probabilities;
        thread_local std::vector<int> order;
        const KeyRange range = allowedKeys(input, queryPos);
        denseProbabilityRow(input, queryPos, range, scratch, probabilities);
        order.resize(probabilities.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int a, int b) {
            return probabilities[static_cast<std::size_t>(a)] > probabilities[static_cast<std::size_t>(b)] ||
                   (probabilities[static_cast<std::size_t>(a)] == probabilities[static_cast<std::size_t>(b)] && a < b);
        });
        double covered = 0.0;
        std::size_t count = 0;
        // p = 1 means every key: a rounded running sum may reach 1 before the row's tiny tail does.
        while (count < order.size() && (mass >= 1.0 || covered < mass)) {
            covered += probabilities[static_cast<std::size_t>(order[count])];
            ++count;
        }
        order.resize(count);
        std::sort(order.begin(), order.end());
        for (int index : order) {
            cols.push_back(range.first + index);
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = 2.0 * input.headDim * static_cast<double>(allowedPairCount(input));
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn
