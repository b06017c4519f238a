// The learned SEA estimator and SAC pointer (issue #11): the C++ forwards reproduce PyTorch's on the
// same inputs (fixtures from tools/gen_learned_fixtures.py: random weights in the fit's file
// format, float64 references computed with tools/predictors/sea.py and sac.py), and bad predictor
// files or inputs are errors naming what is wrong.
#include "attention/attention_common.h"
#include "attention/learned_predictor_file.h"
#include "attention/learned_sac.h"
#include "attention/learned_sea.h"
#include "attention/variants.h"
#include "attnscope/variant_spec.h"
#include "io/safetensors_file.h"
#include "model/layer_qkv.h"
#include "test_support/reference_tensors.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace attnscope {
namespace {

const std::string kDataDir = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/learned/";

// The fixture's layer: 2 query heads reading 1 KV head, head dim 4, 20 tokens, causal.
struct Fixture {
    std::unique_ptr<SafetensorsFile> reference;
    LayerQkv layer;
};

Fixture loadReference(const std::string& name)
{
    Fixture fixture;
    auto opened = SafetensorsFile::open(kDataDir + name);
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().describe());
    if (!opened) {
        return fixture;
    }
    fixture.reference = std::move(*opened);
    LayerQkv& layer = fixture.layer;
    layer.layer = std::stoi(fixture.reference->metadata().at("layer"));
    layer.nHeads = 2;
    layer.nKvHeads = 1;
    layer.nTokens = 20;
    layer.headDim = 4;
    layer.scale = std::stof(fixture.reference->metadata().at("scale"));
    layer.causal = true;
    layer.q = readF32(*fixture.reference, "q");
    layer.k = readF32(*fixture.reference, "k");
    layer.v = readF32(*fixture.reference, "v");
    return fixture;
}

std::shared_ptr<const attn::LearnedPredictorFile> openPredictors(const std::string& path, const char* method)
{
    auto file = attn::LearnedPredictorFile::open(path, method);
    EXPECT_TRUE(file.ok()) << (file ? "" : file.error().describe());
    return file ? *file : nullptr;
}

TEST(LearnedSea, CellRuleMatchesItsInverse)
{
    // seaCellStart(c) must be the first key whose cell is >= c, for rows shorter and longer than tm.
    for (int tm : {1, 3, 8, 128}) {
        for (int length = 1; length <= 300; length += (length < 40 ? 1 : 37)) {
            int key = 0;
            for (int cell = 0; cell <= tm; ++cell) {
                while (key < length && attn::seaCellOf(key, length, tm) < cell) {
                    ++key;
                }
                const int expected = cell == tm ? length : key;
                EXPECT_EQ(std::min(attn::seaCellStart(cell, length, tm), length), expected)
                    << "tm " << tm << " length " << length << " cell " << cell;
            }
        }
    }
}

TEST(LearnedSea, ForwardMatchesPyTorch)
{
    Fixture fixture = loadReference("sea_reference.safetensors");
    auto file = openPredictors(kDataDir + "sea_predictors.safetensors", "sea");
    ASSERT_TRUE(fixture.reference && file);
    const std::vector<double> expected = readF64(*fixture.reference, "cells");
    constexpr int kTm = 8;
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(2 * 20 * kTm));
    std::vector<attn::HeadInput> heads = {attn::makeHeadInput(fixture.layer, 0), attn::makeHeadInput(fixture.layer, 1)};
    auto cells = attn::seaLearnedCells(*file, heads, 1);
    ASSERT_TRUE(cells.ok()) << cells.error().describe();
    double worst = 0.0;
    for (int head = 0; head < 2; ++head) {
        for (int row = 0; row < 20; ++row) {
            double sum = 0.0;
            for (int cell = 0; cell < kTm; ++cell) {
                const double got = (*cells)[static_cast<std::size_t>(head)][static_cast<std::size_t>(row) * kTm + cell];
                const double want = expected[(static_cast<std::size_t>(head) * 20 + row) * kTm + cell];
                worst = std::max(worst, std::abs(got - want));
                sum += got;
            }
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    }
    // Float forward against a float64 reference: Performer features, a 2d x 4d encoder and a
    // softmax over 8 cells, each a few float roundings of values of order 1.
    RecordProperty("worst_abs_error", testing::PrintToString(worst));
    EXPECT_LT(worst, 2e-6);
    // The estimate is not trivial: some cell of some row holds most of the row's mass.
    double largest = 0.0;
    for (double value : expected) {
        largest = std::max(largest, value);
    }
    EXPECT_GT(largest, 0.5);
}

TEST(LearnedSac, ForwardMatchesPyTorch)
{
    Fixture fixture = loadReference("sac_reference.safetensors");
    auto file = openPredictors(kDataDir + "sac_predictors.safetensors", "sac");
    ASSERT_TRUE(fixture.reference && file);
    const std::vector<double> expected = readF64(*fixture.reference, "logp");
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(2 * 20 * 20));
    double worst = 0.0;
    for (int head = 0; head < 2; ++head) {
        const attn::HeadInput input = attn::makeHeadInput(fixture.layer, head);
        auto policy = attn::SacPolicy::compute(*file, input);
        ASSERT_TRUE(policy.ok()) << policy.error().describe();
        std::vector<double> row(20);
        for (int queryPos = 0; queryPos < 20; ++queryPos) {
            const attn::KeyRange range = attn::allowedKeys(input, queryPos);
            policy->rowLogProbabilities(queryPos, range, row.data());
            for (int index = 0; index < range.size(); ++index) {
                const double want = expected[(static_cast<std::size_t>(head) * 20 + queryPos) * 20 + range.first + index];
                worst = std::max(worst, std::abs(row[static_cast<std::size_t>(index)] - want));
            }
        }
    }
    // A 20-step float LSTM and float projections against float64: log-probabilities of order 1-10.
    RecordProperty("worst_abs_error", testing::PrintToString(worst));
    EXPECT_LT(worst, 1e-4);
}

TEST(LearnedSea, VariantKeepsTheTopCellsOfTheEstimate)
{
    // sea:mode=learned end to end on the fixture. The last row of each 16-query block has the
    // block's own range, so its bins are its cells: its compressed estimate must be PyTorch's
    // cells, and with grouping=query its kept keys those of its n = round(k·tm/L) largest cells.
    Fixture fixture = loadReference("sea_reference.safetensors");
    auto file = openPredictors(kDataDir + "sea_predictors.safetensors", "sea");
    ASSERT_TRUE(fixture.reference && file);
    const std::vector<double> expected = readF64(*fixture.reference, "cells");
    constexpr int kTm = 8;
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(2 * 20 * kTm));
    std::vector<attn::HeadInput> heads = {attn::makeHeadInput(fixture.layer, 0), attn::makeHeadInput(fixture.layer, 1)};
    for (attn::HeadInput& input : heads) {
        input.learned = file.get();
    }
    auto spec = parseVariantSpec("sea:mode=learned,learned=unused.safetensors,k=4,grouping=query");
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    VariantRunOptions options;
    options.threads = 1;
    options.keepAttention = true;
    auto results = attn::runSea(heads, *spec, options);
    ASSERT_TRUE(results.ok()) << results.error().describe();
    for (int head = 0; head < 2; ++head) {
        const HeadVariantResult& result = (*results)[static_cast<std::size_t>(head)];
        ASSERT_EQ(result.compressedWidth, kTm);
        ASSERT_EQ(result.compressedEstimate.size(), static_cast<std::size_t>(20 * kTm));
        for (int row = 0; row < 20; ++row) {
            double sum = 0.0;
            for (int bin = 0; bin < kTm; ++bin) {
                sum += result.compressedEstimate[static_cast<std::size_t>(row) * kTm + bin];
            }
            EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << row; // the stretch moves mass, never loses it
        }
        for (int row : {15, 19}) {
            const int length = row + 1;
            std::vector<float> reference(kTm);
            for (int cell = 0; cell < kTm; ++cell) {
                reference[static_cast<std::size_t>(cell)] =
                    static_cast<float>(expected[(static_cast<std::size_t>(head) * 20 + row) * kTm + cell]);
                EXPECT_NEAR(result.compressedEstimate[static_cast<std::size_t>(row) * kTm + cell],
                            reference[static_cast<std::size_t>(cell)], 2e-6);
            }
            const int count = static_cast<int>(std::lround(4.0 * kTm / length));
            std::vector<int> top(kTm);
            std::iota(top.begin(), top.end(), 0);
            std::stable_sort(top.begin(), top.end(), [&](int a, int b) {
                return reference[static_cast<std::size_t>(a)] > reference[static_cast<std::size_t>(b)];
            });
            std::vector<std::int32_t> keys;
            for (int key = 0; key < length; ++key) {
                if (std::find(top.begin(), top.begin() + count, attn::seaCellOf(key, length, kTm)) !=
                    top.begin() + count) {
                    keys.push_back(key);
                }
            }
            const std::vector<std::int32_t> kept(result.attention.cols.begin() + result.attention.rowPtr[static_cast<std::size_t>(row)],
                                                 result.attention.cols.begin() + result.attention.rowPtr[static_cast<std::size_t>(row) + 1]);
            EXPECT_EQ(kept, keys) << "head " << head << " row " << row;
        }
    }
}

TEST(LearnedSac, VariantKeepsTheGlobalTopEdgesOfThePolicy)
{
    // sac:mode=learned end to end: the kept pairs are the global top-(alpha·N) of PyTorch's row
    // log-probabilities (self-loops off), so rows get different edge counts.
    Fixture fixture = loadReference("sac_reference.safetensors");
    auto file = openPredictors(kDataDir + "sac_predictors.safetensors", "sac");
    ASSERT_TRUE(fixture.reference && file);
    const std::vector<double> expected = readF64(*fixture.reference, "logp");
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(2 * 20 * 20));
    auto spec = parseVariantSpec("sac:mode=learned,learned=unused.safetensors,alpha=3,selfloop=false");
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    VariantRunOptions options;
    options.threads = 1;
    options.keepAttention = true;
    constexpr int kBudget = 60; // alpha·N
    for (int head = 0; head < 2; ++head) {
        attn::HeadInput input = attn::makeHeadInput(fixture.layer, head);
        input.learned = file.get();
        auto result = attn::runSac(input, *spec, options);
        ASSERT_TRUE(result.ok()) << result.error().describe();
        struct Pair {
            double logp;
            int row;
            int col;
        };
        std::vector<Pair> pairs;
        for (int row = 0; row < 20; ++row) {
            for (int col = 0; col <= row; ++col) {
                pairs.push_back({expected[(static_cast<std::size_t>(head) * 20 + row) * 20 + col], row, col});
            }
        }
        std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.logp > b.logp; });
        // The fixture's cut is clear of float rounding (else the test could not tell right from wrong).
        ASSERT_GT(pairs[kBudget - 1].logp - pairs[kBudget].logp, 1e-3);
        std::vector<std::vector<std::int32_t>> keptByRow(20);
        for (int index = 0; index < kBudget; ++index) {
            keptByRow[static_cast<std::size_t>(pairs[static_cast<std::size_t>(index)].row)].push_back(
                pairs[static_cast<std::size_t>(index)].col);
        }
        std::set<std::size_t> counts;
        for (int row = 0; row < 20; ++row) {
            std::vector<std::int32_t>& want = keptByRow[static_cast<std::size_t>(row)];
            std::sort(want.begin(), want.end());
            counts.insert(want.size());
            const std::vector<std::int32_t> kept(result->attention.cols.begin() + result->attention.rowPtr[static_cast<std::size_t>(row)],
                                                 result->attention.cols.begin() + result->attention.rowPtr[static_cast<std::size_t>(row) + 1]);
            EXPECT_EQ(kept, want) << "head " << head << " row " << row;
        }
        EXPECT_GT(counts.size(), 1u); // a global budget: rows differ in edge count
    }
}

// Rewrites a fixture file with one change, for the error tests.
std::string rewrittenFixture(const TempDir& dir, const std::string& name, const std::string& outName,
                             const std::function<void(std::vector<TensorToWrite>&, std::map<std::string, std::string>&)>& edit)
{
    auto source = SafetensorsFile::open(kDataDir + name);
    if (!source) {
        ADD_FAILURE() << source.error().describe();
        return {};
    }
    std::vector<TensorToWrite> tensors = tensorsToWrite(**source);
    std::map<std::string, std::string> metadata = (*source)->metadata();
    edit(tensors, metadata);
    const std::string path = dir.path() + "/" + outName;
    EXPECT_TRUE(writeSafetensors(path, tensors, metadata).ok());
    return path;
}

TEST(LearnedSeaSac, BadFilesAreErrorsNamingTheProblem)
{
    const TempDir dir;
    // A tensor missing.
    const std::string missing = rewrittenFixture(dir, "sea_predictors.safetensors", "missing.safetensors",
                                                 [](auto& tensors, auto&) {
                                                     std::erase_if(tensors, [](const TensorToWrite& t) {
                                                         return t.name == "layers.1.dec.bias";
                                                     });
                                                 });
    auto opened = attn::LearnedPredictorFile::open(missing, "sea");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::FormatInvalid);
    EXPECT_NE(opened.error().describe().find("dec.bias"), std::string::npos) << opened.error().describe();

    // A tensor of the wrong shape (the decoder's width disagrees with metadata tm).
    const std::string shape = rewrittenFixture(dir, "sea_predictors.safetensors", "shape.safetensors",
                                               [](auto&, auto& metadata) { metadata["tm"] = "7"; });
    opened = attn::LearnedPredictorFile::open(shape, "sea");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::ShapeMismatch);
    EXPECT_NE(opened.error().describe().find("dec.weight"), std::string::npos) << opened.error().describe();

    // A size the forward needs missing from the metadata.
    const std::string noDistance = rewrittenFixture(dir, "sac_predictors.safetensors", "nodmax.safetensors",
                                                    [](auto&, auto& metadata) { metadata.erase("dmax"); });
    opened = attn::LearnedPredictorFile::open(noDistance, "sac");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::FormatInvalid);
    EXPECT_NE(opened.error().describe().find("dmax"), std::string::npos) << opened.error().describe();

    // An LSTM weight of the wrong shape.
    const std::string lstm = rewrittenFixture(dir, "sac_predictors.safetensors", "lstm.safetensors",
                                              [](auto&, auto& metadata) { metadata["dh"] = "5"; });
    opened = attn::LearnedPredictorFile::open(lstm, "sac");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::ShapeMismatch);

    // The other method's file.
    opened = attn::LearnedPredictorFile::open(kDataDir + "sea_predictors.safetensors", "sac");
    ASSERT_FALSE(opened.ok());
}

TEST(LearnedSeaSac, InputsTheFileDoesNotFitAreErrors)
{
    Fixture fixture = loadReference("sea_reference.safetensors");
    auto sea = openPredictors(kDataDir + "sea_predictors.safetensors", "sea");
    auto sac = openPredictors(kDataDir + "sac_predictors.safetensors", "sac");
    ASSERT_TRUE(fixture.reference && sea && sac);

    // A layer the file has no weights for.
    LayerQkv beyond = fixture.layer;
    beyond.layer = 2;
    auto cells = attn::seaLearnedCells(*sea, {attn::makeHeadInput(beyond, 0)}, 1);
    ASSERT_FALSE(cells.ok());
    EXPECT_EQ(cells.error().code, ErrorCode::ShapeMismatch);
    auto policy = attn::SacPolicy::compute(*sac, attn::makeHeadInput(beyond, 1));
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.error().code, ErrorCode::ShapeMismatch);

    // More tokens than SEA's position table (24).
    LayerQkv longer = fixture.layer;
    longer.nTokens = 30;
    longer.q.resize(static_cast<std::size_t>(2) * 30 * 4, 0.1f);
    longer.k.resize(static_cast<std::size_t>(30) * 4, 0.1f);
    longer.v.resize(static_cast<std::size_t>(30) * 4, 0.1f);
    cells = attn::seaLearnedCells(*sea, {attn::makeHeadInput(longer, 0)}, 1);
    ASSERT_FALSE(cells.ok());
    EXPECT_EQ(cells.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(cells.error().describe().find("position table"), std::string::npos) << cells.error().describe();

    // A bidirectional model: both predictors were fitted causal.
    LayerQkv bidirectional = fixture.layer;
    bidirectional.causal = false;
    cells = attn::seaLearnedCells(*sea, {attn::makeHeadInput(bidirectional, 0)}, 1);
    ASSERT_FALSE(cells.ok());
    EXPECT_EQ(cells.error().code, ErrorCode::InvalidArgument);
    policy = attn::SacPolicy::compute(*sac, attn::makeHeadInput(bidirectional, 0));
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.error().code, ErrorCode::InvalidArgument);
}

} // namespace
} // namespace attnscope
