#pragma once
// What a transformer is, independent of where its weights come from: sizes, normalisation,
// positions, activation and attention rules. Built from an HF config.json now and from GGUF
// metadata later; one architecture table (model_spec.cpp) maps each supported model_type to its
// family and to the config keys that family uses, so adding an architecture is one table row plus
// the blocks it needs, never a chain of ifs on model names.

#include "attnscope/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class GgufFile;

/// Architecture families by what the forward pass needs (DESIGN.md §2).
enum class ArchFamily { Llama, Bert, Gpt2, Gemma3 };

/// How rotary embeddings pair the dimensions of a head.
enum class RopeStyle {
    None,            ///< learned absolute positions (BERT, GPT-2)
    HalfSplit,       ///< HF rotate_half: dimension i pairs with i + headDim/2
    InterleavedPairs ///< llama.cpp / GGUF / llama2.c: dimension 2i pairs with 2i + 1
};

enum class NormKind { RmsNorm, LayerNorm };
/// Pre-norm (Llama, GPT-2: x + f(norm(x))) or post-norm (BERT: norm(x + f(x))).
enum class NormPlacement { Pre, Post };
enum class Activation { Silu, GeluErf, GeluTanh };

/// Per-layer attention rules; Gemma 3 alternates sliding-window and global layers.
struct LayerSpec {
    int slidingWindow = 0;  ///< > 0: keys limited to queryPos - keyPos < slidingWindow
    float attentionScale = 1.0f;
    double ropeTheta = 10000.0;
    float softcap = 0.0f;   ///< > 0: attention scores pass through softcap · tanh(s / softcap)
};

/// Which tensor-name table the weights use: HF safetensors names or GGUF (llama.cpp) names.
enum class WeightNaming { Hf, Gguf };

struct ModelSpec {
    ArchFamily family = ArchFamily::Llama;
    std::string modelType;     ///< config.json "model_type" ("llama", "bert", "gpt2")
    std::string architecture;  ///< config.json "architectures"[0] when present
    int nLayers = 0;
    int nHeads = 0;
    int nKvHeads = 0;
    int headDim = 0;
    int hiddenSize = 0;
    int intermediateSize = 0;
    int vocabSize = 0;
    int maxPositions = 0;      ///< trained context; learned-position models cannot go past it
    int typeVocabSize = 0;     ///< BERT token-type embeddings (0 elsewhere)
    float normEps = 1e-5f;
    NormKind norm = NormKind::RmsNorm;
    NormPlacement normPlacement = NormPlacement::Pre;
    RopeStyle rope = RopeStyle::HalfSplit;
    Activation activation = Activation::Silu;
    bool gatedMlp = true;        ///< SwiGLU/GeGLU: down(act(gate(x)) * up(x))
    bool attentionBias = false;  ///< q/k/v/o projections have biases
    bool mlpBias = false;
    bool tieEmbeddings = true;   ///< output projection reuses the token embedding
    bool hasLmHead = true;       ///< false for encoder-only checkpoints (BertModel)
    bool causal = true;
    bool learnedPositions = false;
    float embeddingScale = 1.0f; ///< Gemma multiplies embeddings by sqrt(hiddenSize)
    bool qkNorm = false;         ///< Gemma 3 RMS-normalises q and k per head
    float normWeightOffset = 0.0f;  ///< Gemma's HF RMSNorm scales by (offset + w): its files store w, GGUF stores 1 + w
    float finalLogitSoftcap = 0.0f; ///< > 0: logits pass through cap · tanh(logit / cap)
    WeightNaming naming = WeightNaming::Hf;
    int bosId = -1;
    int eosId = -1;
    std::vector<LayerSpec> layers; ///< nLayers entries
    /// The folder of config.json (HF) or the model file (GGUF): where learned-mode variants look for
    /// `predictors/` (LayerQkv::modelFolder). Empty when the spec was not read from a file.
    std::string folder;

    /// Parses an HF config.json. `path` names the file in errors. Errors: FormatInvalid (bad JSON,
    /// a missing or invalid key: the message names the key and the file), UnsupportedModel (an
    /// unknown model_type, listing the supported ones), Unsupported (a feature of a known
    /// architecture that is not implemented, e.g. rope_scaling).
    static Result<ModelSpec> fromHfConfig(std::string_view jsonText, const std::string& path);

    /// Reads the architecture and hyperparameters of a GGUF file (general.architecture and its
    /// "<arch>.*" keys; llama and gemma3). Errors: FormatInvalid (a missing or mistyped key, named
    /// with the file), UnsupportedModel (another architecture), Unsupported (RoPE scaling).
    static Result<ModelSpec> fromGguf(const GgufFile& file);

    /// Checks sizes are positive and consistent (heads × headDim, GQA divisibility, layer count).
    /// Errors: FormatInvalid naming the field and `context`.
    Result<void> validate(const std::string& context) const;

    /// True when positions past maxPositions are impossible (learned position embeddings).
    bool hasHardContextLimit() const { return learnedPositions; }
    /// Total attention width of the query projection (nHeads × headDim).
    int queryWidth() const { return nHeads * headDim; }
    /// Total width of the key or value projection (nKvHeads × headDim).
    int kvWidth() const { return nKvHeads * headDim; }
};

/// "llama", "bert", ... (the family's short name).
const char* archFamilyName(ArchFamily family);
/// The supported HF model_type values, comma-separated, for error messages and `info`.
std::string supportedModelTypes();

} // namespace attnscope
