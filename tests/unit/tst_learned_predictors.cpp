// Learned modes of dsa and sbm (issue #11): the C++ forward of each fitted predictor equals PyTorch's
// on the same inputs (fixtures of tools/gen_predictor_fixtures.py: a predictor file fitted by the
// real fit code on synthetic captures, and the PyTorch forward in float64), the `learned=` path
// resolution, and the loader's errors, each naming the file.
#include "attention/learned_predictor_file.h"
#include "attention/variant_runner.h"
#include "io/safetensors_file.h"
#include "test_support/reference_tensors.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>

namespace attnscope {
namespace {

const std::string kFixtures = ATTNSCOPE_TEST_DATA "/predictors";

// Layer 1 of the fixture's synthetic model: 4 query heads, 2 KV heads, 24 tokens, head_dim 8.
struct Reference {
    std::unique_ptr<SafetensorsFile> file;
    LayerQkv layer;
};

Reference loadReference(const std::string& method)
{
    Reference reference;
    auto opened = SafetensorsFile::open(kFixtures + "/" + method + "_reference.safetensors");
    EXPECT_TRUE(opened.ok());
    reference.file = std::move(opened.value());
    const SafetensorsFile& file = *reference.file;
    LayerQkv& layer = reference.layer;
    layer.layer = std::stoi(file.metadata().at("layer"));
    layer.nHeads = static_cast<int>(file.find("q")->shape[0]);
    layer.nKvHeads = static_cast<int>(file.find("k")->shape[0]);
    layer.nTokens = static_cast<int>(file.find("q")->shape[1]);
    layer.headDim = static_cast<int>(file.find("q")->shape[2]);
    layer.scale = std::stof(file.metadata().at("scale"));
    layer.q = readF32(file, "q");
    EXPECT_EQ(layer.q.size(), static_cast<std::size_t>(layer.nHeads) * layer.nTokens * layer.headDim);
    layer.k = readF32(file, "k");
    layer.v = readF32(file, "v");
    return reference;
}

VariantRunOptions keepEverything(int tokens)
{
    VariantRunOptions options;
    options.keepAttention = true;
    options.maxMaterialisedTokens = tokens;
    options.threads = 1;
    return options;
}

Result<LayerVariantResult> run(const LayerQkv& layer, const std::string& text)
{
    auto spec = parseVariantSpec(text);
    if (!spec) {
        return spec.error();
    }
    return attn::runLayerVariant(layer, spec.value(), keepEverything(layer.nTokens));
}

TEST(LearnedPredictors, DsaScoresAndSelectionMatchPyTorch)
{
    const Reference reference = loadReference("dsa");
    const LayerQkv& layer = reference.layer;
    const int n = layer.nTokens;
    const int topK = 4;
    auto result = run(layer, "dsa:learned=" + kFixtures + "/dsa.safetensors,bits=0,k=" + std::to_string(topK));
    ASSERT_TRUE(result.ok()) << result.error().describe();
    const std::vector<double> scores = readF64(*reference.file, "scores");
    ASSERT_EQ(scores.size(), static_cast<std::size_t>(layer.nHeads) * n * n);
    for (const HeadVariantResult& head : result->heads) {
        ASSERT_EQ(head.estimateKind, "scores");
        ASSERT_EQ(head.estimate.size(), static_cast<std::size_t>(n) * n);
        for (int query = 0; query < n; ++query) {
            std::vector<int> order;
            for (int key = 0; key <= query; ++key) {
                const double expected = scores[(static_cast<std::size_t>(head.head) * n + query) * n + key];
                EXPECT_NEAR(head.estimate[static_cast<std::size_t>(query) * n + key], expected,
                            1e-5 * (1.0 + std::abs(expected)))
                    << "head " << head.head << " query " << query << " key " << key;
                order.push_back(key);
            }
            // The kept keys are the top-k of PyTorch's predicted scores (ties to the lower index).
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
                const std::size_t row = (static_cast<std::size_t>(head.head) * n + query) * n;
                return scores[row + a] > scores[row + b];
            });
            order.resize(std::min<std::size_t>(order.size(), topK));
            std::sort(order.begin(), order.end());
            const auto begin = head.attention.cols.begin() + head.attention.rowPtr[query];
            const auto end = head.attention.cols.begin() + head.attention.rowPtr[query + 1];
            EXPECT_EQ(std::vector<int>(begin, end), order) << "head " << head.head << " query " << query;
        }
    }
}

TEST(LearnedPredictors, SbmMembershipsBlockAndGraphMatchPyTorch)
{
    const Reference reference = loadReference("sbm");
    const LayerQkv& layer = reference.layer;
    const int n = layer.nTokens;
    const double floor = 0.01;
    auto result = run(layer, "sbm:learned=" + kFixtures + "/sbm.safetensors,density=0.3,floor=0.01");
    ASSERT_TRUE(result.ok()) << result.error().describe();
    const std::vector<double> queries = readF64(*reference.file, "query_memberships");
    const std::vector<double> keys = readF64(*reference.file, "key_memberships");
    const std::vector<double> block = readF64(*reference.file, "block");
    const std::vector<double> graph = readF64(*reference.file, "graph");
    const int clusters = static_cast<int>(reference.file->find("block")->shape[1]);
    for (const HeadVariantResult& head : result->heads) {
        ASSERT_EQ(head.clusters, clusters);
        const std::size_t membersOffset = static_cast<std::size_t>(head.head) * n * clusters;
        ASSERT_EQ(head.queryMemberships.size(), static_cast<std::size_t>(n) * clusters);
        for (std::size_t index = 0; index < head.queryMemberships.size(); ++index) {
            EXPECT_NEAR(head.queryMemberships[index], queries[membersOffset + index], 1e-5) << head.head;
            EXPECT_NEAR(head.keyMemberships[index], keys[membersOffset + index], 1e-5) << head.head;
        }
        for (int entry = 0; entry < clusters * clusters; ++entry) {
            const double expected = block[static_cast<std::size_t>(head.head) * clusters * clusters + entry];
            EXPECT_NEAR(head.blockMatrix[static_cast<std::size_t>(entry)], expected, 1e-6 + 1e-5 * expected);
        }
        // The kept edge probabilities are 1 - (1 - floor)·exp(-c·P) with PyTorch's P and the
        // density scale c the run calibrated.
        ASSERT_GT(head.blockScale, 0.0);
        ASSERT_EQ(head.estimate.size(), static_cast<std::size_t>(n) * n);
        for (int query = 0; query < n; ++query) {
            for (int key = 0; key <= query; ++key) {
                const double p = graph[(static_cast<std::size_t>(head.head) * n + query) * n + key];
                const double expected = 1.0 - (1.0 - floor) * std::exp(-head.blockScale * p);
                EXPECT_NEAR(head.estimate[static_cast<std::size_t>(query) * n + key], expected, 2e-5)
                    << "head " << head.head << " query " << query << " key " << key;
            }
        }
    }
}

TEST(LearnedPredictors, RelativePathsResolveInTheModelPredictorsFolder)
{
    TempDir model;
    std::filesystem::create_directories(model.path() + "/predictors");
    std::filesystem::copy_file(kFixtures + "/dsa.safetensors", model.path() + "/predictors/dsa.safetensors");
    Reference reference = loadReference("dsa");
    reference.layer.modelFolder = model.path();
    // mode=learned alone reads the default learned=dsa.safetensors from the model's predictors/.
    auto byDefault = run(reference.layer, "dsa:mode=learned,bits=0");
    ASSERT_TRUE(byDefault.ok()) << byDefault.error().describe();
    // A model given as its weights file resolves beside it, like its folder.
    reference.layer.modelFolder = model.write("model.safetensors", "x");
    auto besideFile = run(reference.layer, "dsa:learned=dsa.safetensors,bits=0");
    ASSERT_TRUE(besideFile.ok()) << besideFile.error().describe();
    EXPECT_EQ(besideFile->heads.front().estimate, byDefault->heads.front().estimate);
    // Without a model folder a bare name is looked up in the working directory only.
    reference.layer.modelFolder.clear();
    auto missing = run(reference.layer, "dsa:learned=no-such-predictors.safetensors");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(missing.error().message.find("no-such-predictors.safetensors"), std::string::npos);
    EXPECT_NE(missing.error().message.find("fit_predictors"), std::string::npos);
}

// Copies a predictor file with changes: `edit` may modify the tensors and metadata.
template <typename Edit>
std::string rewrite(const TempDir& dir, const std::string& source, const std::string& name, Edit edit)
{
    auto file = SafetensorsFile::open(source);
    EXPECT_TRUE(file.ok());
    std::vector<TensorToWrite> tensors = tensorsToWrite(*file.value());
    std::map<std::string, std::string> metadata = file.value()->metadata();
    edit(tensors, metadata);
    const std::string path = dir.path() + "/" + name;
    EXPECT_TRUE(writeSafetensors(path, tensors, metadata).ok());
    return path;
}

Error loadError(const LayerQkv& layer, const std::string& spec)
{
    auto result = run(layer, spec);
    EXPECT_FALSE(result.ok()) << spec;
    return result ? Error{} : result.error();
}

TEST(LearnedPredictors, LoaderErrorsNameTheFile)
{
    TempDir dir;
    const Reference reference = loadReference("dsa");
    const std::string dsaFile = kFixtures + "/dsa.safetensors";

    // A file of another method.
    Error error = loadError(reference.layer, "dsa:learned=" + kFixtures + "/sbm.safetensors");
    EXPECT_EQ(error.code, ErrorCode::InvalidArgument);
    EXPECT_EQ(error.reason, "wrong_method");
    EXPECT_EQ(error.context, kFixtures + "/sbm.safetensors");
    EXPECT_NE(error.message.find("'sbm', not 'dsa'"), std::string::npos) << error.message;

    // Not a predictor file at all (a safetensors file without the format tag).
    error = loadError(reference.layer, "dsa:learned=" + kFixtures + "/dsa_reference.safetensors");
    EXPECT_EQ(error.code, ErrorCode::FormatInvalid);
    EXPECT_EQ(error.reason, "not_predictor_file");

    // A model whose layers do not match the file: other head count, other head dim, more layers.
    LayerQkv fewerHeads = reference.layer;
    fewerHeads.nHeads = 2;
    fewerHeads.nKvHeads = 2;
    fewerHeads.q.resize(fewerHeads.k.size());
    error = loadError(fewerHeads, "dsa:learned=" + dsaFile);
    EXPECT_EQ(error.code, ErrorCode::ShapeMismatch);
    EXPECT_EQ(error.context, dsaFile);
    EXPECT_NE(error.message.find("4 heads (2 KV heads) of dim 8"), std::string::npos) << error.message;
    LayerQkv laterLayer = reference.layer;
    laterLayer.layer = 2;
    error = loadError(laterLayer, "dsa:learned=" + dsaFile);
    EXPECT_EQ(error.code, ErrorCode::ShapeMismatch);
    EXPECT_NE(error.message.find("2 layers"), std::string::npos) << error.message;

    // A missing tensor, a tensor of the wrong shape, a NaN, missing size metadata.
    const std::string missing = rewrite(dir, dsaFile, "missing.safetensors", [](auto& tensors, auto&) {
        tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                                     [](const TensorToWrite& t) { return t.name == "layers.1.key_proj"; }),
                      tensors.end());
    });
    error = loadError(reference.layer, "dsa:learned=" + missing);
    EXPECT_EQ(error.code, ErrorCode::FormatInvalid);
    EXPECT_EQ(error.context, missing);
    EXPECT_NE(error.message.find("'layers.1.key_proj' is missing"), std::string::npos) << error.message;

    const std::string reshaped = rewrite(dir, dsaFile, "reshaped.safetensors", [](auto& tensors, auto&) {
        for (TensorToWrite& tensor : tensors) {
            if (tensor.name == "layers.0.query_proj") {
                tensor.shape = {tensor.shape[0], tensor.shape[2], tensor.shape[1]};
            }
        }
    });
    error = loadError(reference.layer, "dsa:learned=" + reshaped);
    EXPECT_EQ(error.code, ErrorCode::ShapeMismatch);
    EXPECT_EQ(error.context, reshaped);
    EXPECT_NE(error.message.find("layers.0.query_proj"), std::string::npos) << error.message;

    const std::string withNan = rewrite(dir, dsaFile, "nan.safetensors", [](auto& tensors, auto&) {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::memcpy(tensors.front().bytes.data() + 4 * sizeof(float), &nan, sizeof nan);
    });
    error = loadError(reference.layer, "dsa:learned=" + withNan);
    EXPECT_EQ(error.code, ErrorCode::FormatInvalid);
    EXPECT_EQ(error.context, withNan);

    const std::string noSizes = rewrite(dir, dsaFile, "nosizes.safetensors",
                                        [](auto&, auto& metadata) { metadata.erase("head_dim"); });
    error = loadError(reference.layer, "dsa:learned=" + noSizes);
    EXPECT_EQ(error.code, ErrorCode::FormatInvalid);
    EXPECT_NE(error.message.find("'head_dim'"), std::string::npos) << error.message;
}

TEST(LearnedPredictors, AChangedFileIsReloaded)
{
    TempDir dir;
    const Reference reference = loadReference("dsa");
    const std::string path = dir.path() + "/dsa.safetensors";
    std::filesystem::copy_file(kFixtures + "/dsa.safetensors", path);
    auto first = run(reference.layer, "dsa:learned=" + path + ",bits=0");
    ASSERT_TRUE(first.ok()) << first.error().describe();
    // Doubling both projections quadruples every predicted score.
    rewrite(dir, kFixtures + "/dsa.safetensors", "dsa.safetensors", [](auto& tensors, auto& metadata) {
        for (TensorToWrite& tensor : tensors) {
            float* values = reinterpret_cast<float*>(tensor.bytes.data());
            for (std::size_t index = 0; index < tensor.bytes.size() / sizeof(float); ++index) {
                values[index] *= 2.0f;
            }
        }
        metadata["settings"] += " ";  // a different size too, whatever the clock's resolution
    });
    auto second = run(reference.layer, "dsa:learned=" + path + ",bits=0");
    ASSERT_TRUE(second.ok()) << second.error().describe();
    const std::vector<float>& before = first->heads.front().estimate;
    const std::vector<float>& after = second->heads.front().estimate;
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t index = 0; index < before.size(); ++index) {
        EXPECT_NEAR(after[index], 4.0f * before[index], 1e-4f * (1.0f + std::abs(before[index])));
    }
}

} // namespace
} // namespace attnscope
