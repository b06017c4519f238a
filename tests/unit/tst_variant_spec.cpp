// The variant spec grammar and registry: round trips, every bad-parameter case, reserved modes.
#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "tst_variant_fixture.h"

#include <gtest/gtest.h>

namespace attnscope {
namespace {

void expectError(const char* text, ErrorCode code, const std::string& mentions)
{
    auto spec = parseVariantSpec(text);
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(spec.error().code, code) << text << ": " << spec.error().message;
    EXPECT_NE(spec.error().message.find(mentions), std::string::npos) << text << ": " << spec.error().message;
}

TEST(VariantSpec, ParsesAndRoundTrips)
{
    for (const char* text : {"dense", "topk:k=32", "window:w=64", "bigbird:block=16,random=2,window=1,global=1",
                             "sea:k=16,features=64", "sbm:clusters=8,density=0.1,seed=1", "dsa:rank=4,bits=4,k=32",
                             "sac:alpha=4", "fast:order=2", "random:density=0.1,seed=1", "sea:mode=oracle"}) {
        auto spec = parseVariantSpec(text);
        ASSERT_TRUE(spec.ok()) << text << ": " << spec.error().message;
        EXPECT_EQ(formatVariantSpec(*spec), text);
        auto again = parseVariantSpec(formatVariantSpec(*spec));
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, *spec);
    }
    auto spaced = parseVariantSpec(" topk : k = 8 ");
    ASSERT_TRUE(spaced.ok());
    EXPECT_EQ(formatVariantSpec(*spaced), "topk:k=8");
    EXPECT_EQ(specInt(*spaced, "k"), 8);
}

TEST(VariantSpec, DefaultsComeFromTheRegistry)
{
    auto spec = parseVariantSpec("sbm");
    ASSERT_TRUE(spec.ok());
    EXPECT_EQ(specInt(*spec, "clusters"), 16);
    EXPECT_DOUBLE_EQ(specFloat(*spec, "density"), 0.1);
    EXPECT_EQ(specString(*spec, "mode"), "kmeans");
    const VariantSpec full = withDefaults(*spec);
    EXPECT_EQ(full.params.size(), findVariantKind("sbm")->params.size());
    EXPECT_TRUE(validateVariantSpec(full).ok());
}

TEST(VariantSpec, RegistryDocumentsEveryParameter)
{
    EXPECT_GE(variantRegistry().size(), 15u);
    for (const VariantKindInfo& kind : variantRegistry()) {
        EXPECT_FALSE(kind.description.empty()) << kind.name;
        for (const ParamInfo& info : kind.params) {
            EXPECT_FALSE(info.description.empty()) << kind.name << "." << info.name;
            VariantSpec spec{kind.name, {{info.name, info.defaultValue}}};
            EXPECT_TRUE(validateVariantSpec(spec).ok()) << kind.name << "." << info.name;
        }
    }
    const std::string help = describeVariantKinds();
    EXPECT_NE(help.find("sea"), std::string::npos);
    EXPECT_NE(help.find("clusters"), std::string::npos);
}

TEST(VariantSpec, RejectsBadValuesNamingTheRange)
{
    expectError("topk:k=0", ErrorCode::InvalidArgument, "'k'");
    expectError("topk:k=-3", ErrorCode::InvalidArgument, ">= 1");
    expectError("topk:k=1.5", ErrorCode::InvalidArgument, "integer");
    expectError("topk:k=abc", ErrorCode::InvalidArgument, "'k'");
    expectError("random:density=0", ErrorCode::InvalidArgument, "(0, 1]");
    expectError("random:density=1.5", ErrorCode::InvalidArgument, "'density'");
    expectError("random:density=nan", ErrorCode::InvalidArgument, "'density'");
    expectError("sbm:density=-0.1", ErrorCode::InvalidArgument, "'density'");
    expectError("topp:p=0", ErrorCode::InvalidArgument, "'p'");
    expectError("window:w=0", ErrorCode::InvalidArgument, "'w'");
    expectError("sbm:clusters=0", ErrorCode::InvalidArgument, "'clusters'");
    expectError("dsa:bits=1", ErrorCode::InvalidArgument, "'bits'");
    expectError("dsa:bits=17", ErrorCode::InvalidArgument, "'bits'");
    expectError("fast:order=3", ErrorCode::InvalidArgument, "[1, 2]");
    expectError("dsa:select=sometimes", ErrorCode::InvalidArgument, "topk|threshold");
    expectError("sac:selfloop=maybe", ErrorCode::InvalidArgument, "true or false");
    expectError("sac:alpha=0", ErrorCode::InvalidArgument, "'alpha'");
    // Budgets have no real upper bound: the range names only the lower one.
    expectError("topk:k=0", ErrorCode::InvalidArgument, "expected an integer >= 1");
    expectError("bigbird:random=-1", ErrorCode::InvalidArgument, "expected an integer >= 0");
}

TEST(VariantSpec, ErrorsNameTheKindOnce)
{
    // The message starts with the kind and the context is the kind: describe() (what the CLI and
    // the GUI print) used to say "topk: topk: parameter …".
    auto spec = parseVariantSpec("topk:k=0");
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.error().context, "topk");
    EXPECT_EQ(spec.error().describe(), spec.error().message);
    EXPECT_EQ(spec.error().describe().rfind("topk: parameter 'k'", 0), 0u) << spec.error().describe();
    // A context the message does not start with is still prefixed.
    EXPECT_EQ(makeError(ErrorCode::InvalidArgument, "bad value", "model.safetensors").describe(),
              "model.safetensors: bad value");
    EXPECT_EQ(makeError(ErrorCode::InvalidArgument, "topk is bad", "topk").describe(), "topk: topk is bad");
}

TEST(VariantSpec, RejectsUnknownNamesAndBadSyntax)
{
    expectError("flash", ErrorCode::InvalidArgument, "unknown variant 'flash'");
    expectError("topk:kk=3", ErrorCode::InvalidArgument, "unknown parameter 'kk'");
    expectError("dense:k=3", ErrorCode::InvalidArgument, "unknown parameter 'k'");
    expectError("topk:k=3,k=4", ErrorCode::InvalidArgument, "given twice");
    expectError("", ErrorCode::InvalidArgument, "no kind");
    expectError(":k=3", ErrorCode::InvalidArgument, "no kind");
    expectError("topk:", ErrorCode::InvalidArgument, "no parameters");
    expectError("topk:k", ErrorCode::InvalidArgument, "expected key=value");
    expectError("topk:k=", ErrorCode::InvalidArgument, "expected key=value");
    expectError("topk:=3", ErrorCode::InvalidArgument, "expected key=value");
    expectError("topk:k=3,", ErrorCode::InvalidArgument, "expected key=value");
    expectError("topk:k=3,,w=2", ErrorCode::InvalidArgument, "expected key=value");
    expectError("topk:k=3:4", ErrorCode::InvalidArgument, "expected key=value");
    expectError("top k:k=3", ErrorCode::InvalidArgument, "bad character");
}

TEST(VariantSpec, ReservedModesAreUnsupported)
{
    expectError("fast:mode=cal", ErrorCode::Unsupported, "not yet available");
    expectError("sac:mode=lstm", ErrorCode::InvalidArgument, "'mode'"); // the LSTM predictor is mode=learned
    expectError("sea:mode=magic", ErrorCode::InvalidArgument, "'mode'");
}

TEST(VariantSpec, LearnedPathSelectsTheLearnedMode)
{
    // `kind:learned=PATH` is the short form of mode=learned (issue #11).
    auto shortForm = parseVariantSpec("dsa:learned=fitted.safetensors,k=8");
    ASSERT_TRUE(shortForm.ok()) << shortForm.error().message;
    EXPECT_EQ(specString(*shortForm, "mode"), "learned");
    EXPECT_EQ(formatVariantSpec(*shortForm), "dsa:mode=learned,learned=fitted.safetensors,k=8");
    auto again = parseVariantSpec(formatVariantSpec(*shortForm));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *shortForm);
    // A written mode wins: withDefaults writes both mode and learned.
    auto kmeans = parseVariantSpec("sbm:mode=kmeans,learned=sbm.safetensors");
    ASSERT_TRUE(kmeans.ok());
    EXPECT_EQ(specString(*kmeans, "mode"), "kmeans");
    EXPECT_EQ(specString(*parseVariantSpec("sbm:mode=learned"), "learned"), "sbm.safetensors");
    EXPECT_EQ(findVariantKind("sbm")->param("learned")->type, ParamType::Path);
}

TEST(VariantSpec, RunTimeChecksNameTheParameter)
{
    testing::LayerShape shape;
    shape.nTokens = 12;
    const LayerQkv layer = testing::makeStructuredLayer(shape);
    auto spec = parseVariantSpec("sbm:clusters=13");
    ASSERT_TRUE(spec.ok());
    auto result = attn::runLayerVariant(layer, *spec);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(result.error().message.find("'clusters'"), std::string::npos);
    EXPECT_NE(result.error().message.find("[1, 12]"), std::string::npos);
    // Unwritten, the default k = 16 becomes N = 12 (one token per cluster), like clamped budgets.
    auto plain = attn::runLayerVariant(layer, *parseVariantSpec("sbm"));
    ASSERT_TRUE(plain.ok()) << plain.error().describe();
    for (const HeadVariantResult& head : plain->heads) {
        EXPECT_EQ(head.clusters, 12);
        EXPECT_EQ(head.blockMatrix.size(), 12u * 12u);
    }

    VariantRunOptions options;
    options.heads = {4};
    auto badHead = attn::runLayerVariant(layer, VariantSpec{"dense", {}}, options);
    ASSERT_FALSE(badHead.ok());
    EXPECT_EQ(badHead.error().code, ErrorCode::InvalidArgument);

    VariantSpec unknown{"flash", {}};
    EXPECT_EQ(attn::runLayerVariant(layer, unknown).error().code, ErrorCode::InvalidArgument);
}

TEST(VariantSpec, EveryKindRunsWithItsDefaults)
{
    testing::LayerShape shape;
    shape.nTokens = 40;
    const LayerQkv layer = testing::makeStructuredLayer(shape);
    for (const VariantKindInfo& kind : variantRegistry()) {
        auto result = attn::runLayerVariant(layer, VariantSpec{kind.name, {}});
        ASSERT_TRUE(result.ok()) << kind.name << ": " << result.error().message;
        EXPECT_EQ(result->heads.size(), 4u) << kind.name;
        EXPECT_EQ(result->metrics.size(), 4u) << kind.name;
        EXPECT_EQ(result->outputs.size(), layer.q.size()) << kind.name;
    }
}

} // namespace
} // namespace attnscope
