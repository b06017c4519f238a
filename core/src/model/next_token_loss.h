#pragma once
// Next-token loss straight from the final hidden states, without the [nTokens, vocab] logits
// matrix: at Gemma 3's 262144-token vocabulary that matrix is 1 GiB a thousand tokens, while the
// loss needs two numbers a row (its log-sum-exp and its next token's logit).

#include "model/model_weights.h"

#include <cstddef>
#include <span>
#include <vector>

namespace attnscope {

/// The largest block of logits nextTokenLoss holds at once.
inline constexpr std::size_t kLossBlockBytes = std::size_t{64} << 20;

/// loss[r] = log Σ_v exp(logit[r, v]) − logit[r, next[r]] with logit = x · headᵀ (then
/// cap · tanh(logit / cap) when softcap > 0), for rows x [rows, width] and head [vocab, width].
/// The logits are made one block of vocabulary columns at a time (at most blockBytes, at least 256
/// columns); each block updates every row's running max and sum of exp (the online log-sum-exp,
/// summed in double), and the block holding a row's next token gives its logit. Every next[r] must
/// lie in [0, vocab). Rows and the product spread over `threads` (0 = default).
std::vector<double> nextTokenLoss(const float* x, int rows, const Weight& head, std::span<const int> next,
                                  float softcap, int threads, std::size_t blockBytes = kLossBlockBytes);

} // namespace attnscope
