// bigbird: block sparse attention (Zaheer et al. 2020): per query block, the sliding blocks, the
// global blocks (mask_predicates.h bigbirdBlockAllows) and `random` extra key blocks drawn from the
// blocks not already kept, seeded by (seed, layer, head, query block).
#include "attention/attention_backend.h"
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"

#include <algorithm>

namespace attnscope::attn {

Result<HeadVariantResult> runBigbird(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const int block = static_cast<int>(std::min<long long>(specInt(spec, "block"), std::max(1, n)));
    const int blocks = (n + block - 1) / block;
    const int windowBlocks = static_cast<int>(std::min<long long>(specInt(spec, "window"), blocks));
    const int globalBlocks = static_cast<int>(std::min<long long>(specInt(spec, "global"), blocks));
    const long long randomBlocks = specInt(spec, "random");
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));

    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    result.blockSize = block;
    result.blockMask.assign(static_cast<std::size_t>(blocks) * blocks, 0);
    std::vector<int> candidates;
    for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
        std::uint8_t* row = result.blockMask.data() + static_cast<std::size_t>(queryBlock) * blocks;
        candidates.clear();
        // Causal: blocks after the query block hold no visible key, so they are neither kept nor drawn.
        const int lastBlock = input.causal ? queryBlock : blocks - 1;
        for (int keyBlock = 0; keyBlock <= lastBlock; ++keyBlock) {
            if (bigbirdBlockAllows(queryBlock, keyBlock, windowBlocks, globalBlocks)) {
                row[keyBlock] = 1;
            } else {
                candidates.push_back(keyBlock);
            }
        }
        Rng rng(mixSeed(seed, input.layer, input.head, static_cast<std::uint64_t>(queryBlock)));
        const auto draws = static_cast<std::size_t>(std::min<long long>(randomBlocks, candidates.size()));
        for (std::size_t draw = 0; draw < draws; ++draw) {
            const auto pick = draw + static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(candidates.size() - draw)));
            std::swap(candidates[draw], candidates[pick]);
            row[candidates[draw]] = 1;
        }
    }
    KeptSet set = keptSetFromBlockMask(input, result.blockMask, block);
    result.stats.estimateSeconds = watch.seconds();
    // Without kept weights the block kernel runs on the mask itself; with them, attendOnSet's CSR
    // path writes output and weights in one pass (attention_backend.h).
    Stopwatch attentionWatch;
    if (blockSparseAttentionOnCuda(input, result.blockMask, block, options, result.output, result.stats)) {
        result.stats.attentionBackend = "cuda";
        result.stats.attentionSeconds = attentionWatch.seconds();
        finishResult(input, std::move(set), {}, false, result);
        return result;
    }
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn
