#pragma once
// SAC's learned edge predictor (issue #11): the forward of the per-head LSTM pointer that
// tools/predictors/sac.py fits by imitation of the dense rows (its docstring is the definition).
// Float weights, double accumulation in the scores; tests/unit/tst_learned_sea_sac.cpp checks the
// row log-probabilities against PyTorch's on committed fixtures.

#include "attention/attention_common.h"
#include "attention/learned_predictor_file.h"

#include <vector>

namespace attnscope::attn {

/// The file's tensors for `sac`: per layer L, with H heads, d = head_dim, dp = metadata "dp",
/// dh = metadata "dh", Dmax = metadata "dmax":
///   layers.L.embed_weight [H, dp, 2d], embed_bias [H, dp], w_ih [H, 4dh, dp], w_hh [H, 4dh, dh],
///   lstm_bias [H, 4dh], out_weight [H, dp, dh + dp], out_bias [H, dp], distance [H, Dmax + 1, dp].
/// (Checked by validateSacPredictors, declared in learned_predictor_file.h.)

/// One head's policy after the LSTM pass: the pointer query r_i and node embedding e_j of every
/// token, and r_i·D[δ] for every distance δ ≤ Dmax, so that a row's logits are one dot product
/// per candidate key.
class SacPolicy {
public:
    /// Runs the node embedding, the LSTM over the sequence and the pointer projection for one head.
    /// Errors: ShapeMismatch (layer, head or head dim outside the file), InvalidArgument (a
    /// non-causal model).
    static Result<SacPolicy> compute(const LearnedPredictorFile& file, const HeadInput& input);

    /// log p_ij = log softmax over the row's allowed keys of r_i·(e_j + D[min(i − j, Dmax)]),
    /// written to out[0 .. range.size()).
    void rowLogProbabilities(int queryPos, KeyRange range, double* out) const;

    /// FLOPs of compute() (LSTM and projections) and of scoring `pairs` allowed pairs, for the stats.
    double setupFlops() const { return m_setupFlops; }
    double scoreFlops(double pairs) const { return (2.0 * m_width + 4.0) * pairs; }

private:
    int m_tokens = 0;
    int m_width = 0;    // dp
    int m_distances = 0; // Dmax + 1
    std::vector<float> m_queries;  // [N, dp]
    std::vector<float> m_nodes;    // [N, dp]
    std::vector<double> m_byDistance; // [N, Dmax + 1]
    double m_setupFlops = 0.0;
};

} // namespace attnscope::attn
