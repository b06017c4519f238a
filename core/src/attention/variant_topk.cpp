// topk: the k largest exact scores per row (an oracle: it reads every score, so it is the upper
// bound of what any k-key selector can recall). k is clamped to the row's allowed keys. Rows are
// scored a block at a time (scoreBlock: the same bits as scoreRow, so ties fall the same way), or
// read from the head's kept dense rows when a caller kept them. With the CUDA backend the selection
// runs on the GPU (attention_backend.h) on the same score bits, so it keeps the same keys.
#include "attention/attention_backend.h"
#include "attention/dense_rows.h"
#include "attention/variants.h"

namespace attnscope::attn {

namespace {

// Query rows scored together: their keys are loaded once per block.
constexpr int kTopkBlockRows = 32;

} // namespace

Result<HeadVariantResult> runTopk(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const long long k = specInt(spec, "k");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    std::optional<KeptSet> onGpu = topkSetOnCuda(input, k, options, result.stats);
    result.stats.selectionBackend = onGpu ? "cuda" : "cpu";
    KeptSet set = onGpu ? std::move(*onGpu) : keptSetFromRowBlocks(
        input, kTopkBlockRows, options.threads, [&](int rowBegin, int rowEnd, std::vector<std::int32_t>* rows) {
            thread_local std::vector<float> block;
            thread_local std::vector<int> selected;
            const KeyRange keys = allowedKeysOfRows(input, rowBegin, rowEnd);
            const int keyBegin = keys.first;
            const auto stride = static_cast<std::size_t>(std::max(0, keys.size()));
            const bool kept = keptDenseRows(input, rowBegin) && keptDenseRows(input, rowEnd - 1);
            if (!kept && stride > 0) {
                block.resize(stride * static_cast<std::size_t>(rowEnd - rowBegin));
                scoreBlock(input, rowBegin, rowEnd, keyBegin, keys.last + 1, block.data(), stride);
            }
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                const KeyRange range = allowedKeys(input, queryPos);
                if (range.size() <= 0) {
                    continue;
                }
                const float* scores = kept ? input.denseRows->scoresOf(queryPos)
                                           : block.data() + static_cast<std::size_t>(queryPos - rowBegin) * stride +
                                                 (range.first - keyBegin);
                const int count = static_cast<int>(std::min<long long>(k, range.size()));
                selectTopIndices(scores, range.size(), count, selected);
                std::vector<std::int32_t>& cols = rows[queryPos - rowBegin];
                for (int index : selected) {
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
