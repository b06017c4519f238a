#pragma once
// Host entry points of the CUDA attention kernels: upload a layer's Q/K/V, run, download. No CUDA
// headers here. In a build without CUDA (or on a machine without a usable device) every function
// returns ErrorCode::BackendUnavailable with the reason, so callers need no #if and simply fall
// back to the CPU. Synchronous; safe to call from one compute thread at a time per process.
// Shapes follow LayerQkv (row-major): q [nHeads, nTokens, headDim], k/v [nKvHeads, nTokens, headDim].

#include <cstdint>
#include <span>
#include <vector>

#include "attnscope/status.h"

namespace attnscope {

struct LayerQkv;

/// The one selector that both supports() and the run functions use (DESIGN.md §7.4):
/// BackendUnavailable (no device, failed, disabled, not compiled), Unsupported (head dim outside
/// the compiled buckets, i.e. > 256), ShapeMismatch (q/k/v sizes disagree with the counts),
/// InvalidArgument (nHeads not a multiple of nKvHeads, sizes beyond 32-bit indexing).
Result<void> checkCudaAttentionSupported(const LayerQkv& qkv);

/// Dense attention of every head of the layer with the model's mask (causal, sliding window,
/// softcap), flash-style on the GPU. out: [nHeads, nTokens, headDim]; lse: [nHeads, nTokens],
/// natural log of the sum of exp of the scaled scores (-inf for a row with no visible key).
/// Errors: the selector's, OutOfMemory, DeviceError (a sticky one also marks the backend failed).
Result<void> runDenseAttentionCuda(const LayerQkv& qkv, std::vector<float>& out,
                                   std::vector<float>& lse);

/// Exact probabilities of one head on rows [rowBegin, rowBegin + rowCount) × keys
/// [colBegin, colBegin + colCount), from Q, K and that head's row LSE ([nTokens], a slice of
/// runDenseAttentionCuda's lse). probs: [rowCount, colCount]; masked entries are 0.
/// Errors: the selector's, InvalidArgument for a rectangle outside the matrix or a short lse.
Result<void> runAttentionProbsCuda(const LayerQkv& qkv, int head, std::span<const float> headLse,
                                   int rowBegin, int rowCount, int colBegin, int colCount,
                                   std::vector<float>& probs);

/// Attention of one head restricted to a kept set in CSR form: rowPtr [nTokens + 1] (starts at 0,
/// non-decreasing, ends at cols.size()), cols the key positions of each row (< nTokens, no
/// duplicates). The kept set is used as given (intersect it with the model mask beforehand).
/// out: [nTokens, headDim]; weights: [cols.size()], the softmax weight applied to each entry;
/// lse (optional): [nTokens]. Rows without entries get 0 and -inf.
/// Errors: the selector's, InvalidArgument for a malformed CSR, OutOfMemory, DeviceError.
Result<void> runSparseAttentionCuda(const LayerQkv& qkv, int head,
                                    std::span<const std::int32_t> rowPtr,
                                    std::span<const std::int32_t> cols, std::vector<float>& out,
                                    std::vector<float>& weights, std::vector<float>* lse = nullptr);

/// Exact top-k keys per query row of one head under the model's mask (causal / sliding window):
/// the `topk` variant's selection with attn::selectTopIndices' contract (min(topK, allowed keys)
/// per row, ties to the lower key position, ascending) and the CPU's score bits (attn::scoreRow),
/// so the selection equals the CPU's for finite scores. rowPtr [nTokens + 1], cols [rowPtr.back()].
/// Errors: the selector's, InvalidArgument (head out of range, topK < 0, more than 2^31 - 1
/// selected entries: reason "csr_too_large"), OutOfMemory, DeviceError.
Result<void> runTopkSelectCuda(const LayerQkv& qkv, int head, long long topK,
                               std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols);

} // namespace attnscope
