#pragma once
// Learned-mode predictor files (issue #11): the safetensors files tools/fit_predictors.py writes,
// one per method, holding a method's fitted predictor weights for every layer and head of one
// model. The variants' learned mode (`sbm:mode=learned,learned=PATH`, written `sbm:learned=PATH`
// too) reads them through loadLearnedPredictor, which resolves PATH, loads the file once per
// process (cached by path, size and modification time) and validates it before any head runs.
//
// File contract (tools/fit_predictors.py): __metadata__ format = "attnscope-predictors",
// format_version = "1", method (dsa|sbm|sea|sac), n_layers, n_heads, n_kv_heads, head_dim, plus
// settings/fit_loss/provenance; every tensor float (F32/F16/BF16), finite, named
// `layers.<L>.<name>` with L < n_layers. Each method lists its tensors and shapes in its validator
// (predictorValidatorFor), e.g. dsa: layers.L.query_proj and layers.L.key_proj [n_heads, head_dim, rank].

#include "attnscope/status.h"
#include "attnscope/variant_spec.h"
#include "model/layer_qkv.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope::attn {

/// One tensor of a predictor file, converted to f32 (finite) at load.
struct PredictorTensor {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

class LearnedPredictorFile {
public:
    /// Opens `path` and checks the generic contract for `method` (format, method, sizes, tensor
    /// names, dtypes, finiteness), then the method's own validator (its tensors and shapes).
    /// Errors, each naming the file: FileNotFound, FileIo, FormatInvalid (not a predictor file,
    /// missing tensor or metadata, NaN/Inf value), InvalidArgument (a file of another method),
    /// ShapeMismatch (a tensor whose shape does not fit the file's sizes), UnsupportedDtype.
    static Result<std::shared_ptr<const LearnedPredictorFile>> open(const std::string& path, std::string_view method);

    const std::string& path() const { return m_path; }
    const std::string& method() const { return m_method; }
    int nLayers() const { return m_nLayers; }
    int nHeads() const { return m_nHeads; }
    int nKvHeads() const { return m_nKvHeads; }
    int headDim() const { return m_headDim; }
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

    /// The tensor `layers.<layer>.<name>`, or nullptr.
    const PredictorTensor* find(int layer, std::string_view name) const;
    /// The tensor `layers.<layer>.<name>`, required to have exactly `shape`. FormatInvalid when it
    /// is missing, ShapeMismatch when its shape differs; both name the file and the tensor.
    Result<const PredictorTensor*> require(int layer, std::string_view name,
                                           const std::vector<std::int64_t>& shape) const;
    /// require() for several tensors of one layer: the tensors in the order asked, or the first error.
    using TensorRequest = std::pair<std::string_view, std::vector<std::int64_t>>;
    Result<std::vector<const PredictorTensor*>> requireAll(int layer, const std::vector<TensorRequest>& wanted) const;
    /// A positive integer metadata value (e.g. "rank", "clusters"). FormatInvalid otherwise.
    Result<int> metadataInt(std::string_view key) const;

    /// ShapeMismatch (naming the file) unless the file was fitted for a model whose layers have
    /// this layer's head count, KV head count and head dim, with at least layer + 1 layers.
    Result<void> checkFits(const LayerQkv& layer) const;

    /// A FormatInvalid error about this file (for validators).
    Error formatError(const std::string& message, const std::string& reason = "bad_predictor_file") const;

private:
    LearnedPredictorFile() = default;
    std::string m_path;
    std::string m_method;
    int m_nLayers = 0;
    int m_nHeads = 0;
    int m_nKvHeads = 0;
    int m_headDim = 0;
    std::map<std::string, std::string> m_metadata;
    std::map<std::string, PredictorTensor, std::less<>> m_tensors;
};

/// Checks a method's tensors in a file whose generic contract holds. One per learned method,
/// defined beside the method (variant_<kind>*.cpp).
using PredictorValidator = Result<void> (*)(const LearnedPredictorFile&);
Result<void> validateDsaPredictors(const LearnedPredictorFile& file);
Result<void> validateSbmPredictors(const LearnedPredictorFile& file);
Result<void> validateSeaPredictors(const LearnedPredictorFile& file); // learned_sea.cpp
Result<void> validateSacPredictors(const LearnedPredictorFile& file); // learned_sac.cpp

/// The validator of `method`, or nullptr when the method has no learned mode.
PredictorValidator predictorValidatorFor(std::string_view method);

/// True when `spec` runs in learned mode (its `mode` is "learned").
bool isLearnedMode(const VariantSpec& spec);

/// Where a written `learned=` path points: as written (absolute, or relative to the working
/// directory) when that file exists, else `<model folder>/predictors/<written>`. `modelFolder` may
/// be a folder or a file inside one (a .safetensors or .gguf model), or empty. FileNotFound listing
/// the places tried.
Result<std::string> resolvePredictorPath(const std::string& written, const std::string& modelFolder);

/// The validated predictor file of a learned-mode spec (its `learned` parameter, resolved as
/// above against `modelFolder`), loaded once per process and reused while the file's size and
/// modification time are unchanged. Errors: those of resolvePredictorPath and LearnedPredictorFile::open.
Result<std::shared_ptr<const LearnedPredictorFile>> loadLearnedPredictor(const VariantSpec& spec,
                                                                         const std::string& modelFolder);

} // namespace attnscope::attn
