#pragma once
// SEA's learned estimator (issue #11): the forward of the per-layer estimator that
// tools/predictors/sea.py fits (Performer context with a learned position table, shared encoder,
// per-head decoder to tm row-relative cells). Its docstring is the definition; this file computes
// the same numbers in float with double accumulation (tests/unit/tst_learned_sea_sac.cpp checks
// them against PyTorch's on committed fixtures).

#include "attention/attention_common.h"
#include "attention/learned_predictor_file.h"
#include "attention/variants.h"

#include <vector>

namespace attnscope::attn {

/// The file's tensors for `sea`: per layer L, with H heads, d = head_dim, m = metadata "features",
/// tm = metadata "tm", P = metadata "max_positions":
///   layers.L.omega [H, m, d], pos [P, d], enc.weight [2d, 4d], enc.bias [2d], norm.weight [2d],
///   norm.bias [2d], dec.weight [H, tm, 2d], dec.bias [H, tm].
/// (Checked by validateSeaPredictors, declared in learned_predictor_file.h.)

/// Row-relative cells of a row with L allowed keys: key r (0-based within the row's range) lies in
/// cell floor((2r + 1)·tm / (2L)) (SEA's stretch rule); cellStart(c) is the first such r.
int seaCellOf(int relativeKey, int rowLength, int tm);
int seaCellStart(int cell, int rowLength, int tm);

/// The learned estimate of each head: [N, tm] row-major, row i = the probability of each of its
/// row-relative cells (0 for cells none of its keys fall in). `heads` are the query heads of one
/// layer (any subset). Errors: ShapeMismatch (layer, head or head dim outside the file),
/// InvalidArgument (a non-causal model, or N above the file's position table).
Result<std::vector<std::vector<float>>> seaLearnedCells(const LearnedPredictorFile& file,
                                                        const std::vector<HeadInput>& heads, int threads);

/// FAVOR+ positive features from a given projection [m, d] row-major (the learned file stores
/// SEA's): the same feature map as performerFeatures, which draws its projection from a seed.
PerformerFeatures performerFeaturesFromProjection(const HeadInput& input, const float* projection, int features,
                                                  bool centreKeys, int threads);

} // namespace attnscope::attn
