#pragma once
// A capture: what the forward pass computed for chosen layers of one text (queries and keys after
// RoPE, values, and each query row's log-sum-exp), saved as a safetensors file that attnscope
// reopens without the model. From a capture, any head's dense or variant attention can be
// recomputed exactly as from the model (same Q/K/V, same scale and mask rules).
//
// File layout (little-endian, row-major): tensors `ids` I32 [N], and per captured layer L
// `layers.L.q` F32 [nHeads, N, headDim], `layers.L.k`/`layers.L.v` F32 [nKvHeads, N, headDim],
// `layers.L.lse` F32 [nHeads, N] (natural log). __metadata__: format = "attnscope-capture",
// capture_version = "1", model, tokens (a JSON array of the pieces), layers ("0,2"), and per layer
// layers.L.{scale, causal, sliding_window, softcap}.

#include "attnscope/status.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

struct CaptureLayer {
    int layer = 0;
    int nHeads = 0;
    int nKvHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    float scale = 1.0f;     ///< multiplies q·k before the softmax
    bool causal = true;
    int slidingWindow = 0;  ///< > 0: the model limits keys to i - j < slidingWindow
    float softcap = 0.0f;
    std::vector<float> q;   ///< [nHeads, nTokens, headDim]
    std::vector<float> k;   ///< [nKvHeads, nTokens, headDim]
    std::vector<float> v;   ///< [nKvHeads, nTokens, headDim]
    std::vector<float> lse; ///< [nHeads, nTokens]
};

/// Plain data; owns its arrays.
struct Capture {
    std::string model;                 ///< the model path it came from (informational)
    std::vector<std::int32_t> ids;
    std::vector<std::string> tokens;   ///< one piece per id
    std::vector<CaptureLayer> layers;  ///< ascending layer order

    /// The captured layer `layer`, or nullptr.
    const CaptureLayer* find(int layer) const;

    /// One head's attention recomputed from the capture, exactly as Workspace::headAttention does
    /// from the model: dense (variantSpec "" or "dense") or a variant's effective attention.
    /// Errors: InvalidArgument (layer not captured, head out of range, bad spec), Unsupported.
    Result<HeadAttention> headAttention(int layer, int head, const std::string& variantSpec) const;
};

/// Runs the model on ids once and keeps the given layers (empty = all). Errors: as
/// Workspace::headAttention (InvalidArgument, Cancelled).
Result<Capture> captureLayers(Workspace& workspace, const std::vector<std::int32_t>& ids, const std::vector<int>& layers,
                              const RunOptions& options);

/// Writes a capture atomically (refusing an existing file unless overwrite). Errors: FileIo.
Result<void> writeCapture(const std::string& path, const Capture& capture, bool overwrite);

/// Reopens a capture file, validating every shape against the metadata. Errors: FileNotFound,
/// FileIo, FormatInvalid (not a capture, missing tensor or key, shape mismatch), each naming the file.
Result<Capture> readCapture(const std::string& path);

/// True when `path` is a safetensors file whose metadata says it is a capture (cheap: header only).
bool isCaptureFile(const std::string& path);

} // namespace attnscope
