// Provenance and colour-scale pieces of the figure model: SHA-256 against the FIPS 180-4 test
// vectors, model fingerprints against sha256sum's definition, colour scales against their closed
// forms, and token labels.

#include "attnscope/figure_model.h"
#include "export/sha256.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attnscope {
namespace {

TEST(ExportSha256, FipsTestVectors)
{
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // One million 'a', fed in uneven pieces to exercise the incremental buffer.
    Sha256 hash;
    const std::string piece(997, 'a');
    std::size_t fed = 0;
    while (fed + piece.size() <= 1000000) {
        hash.update(piece);
        fed += piece.size();
    }
    hash.update(std::string(1000000 - fed, 'a'));
    EXPECT_EQ(hash.finishHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ExportSha256, ModelFingerprintOfAFileIsItsHashAndOfAFolderItsListing)
{
    TempDir dir;
    const std::string weights = dir.write("model/model.safetensors", "weights");
    dir.write("model/config.json", "{}");
    dir.write("model/README.md", "not part of the model");
    EXPECT_EQ(modelFingerprint(weights).value(), sha256Hex("weights"));
    const std::string listing = sha256Hex("{}") + "  config.json\n" + sha256Hex("weights") + "  model.safetensors\n";
    EXPECT_EQ(modelFingerprint(dir.path() + "/model").value(), sha256Hex(listing));
    const auto missing = modelFingerprint(dir.path() + "/absent");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::FileNotFound);
}

TEST(ExportColourScale, ClosedForms)
{
    for (const double x : {0.0, 1e-5, 0.01, 0.2, 0.5, 0.9, 1.0}) {
        const float vmax = 0.8f;
        const double u = std::min(1.0, x / vmax);
        EXPECT_NEAR(mapToColourScale(static_cast<float>(x), vmax, ColourScale::Linear), u, 1e-6);
        EXPECT_NEAR(mapToColourScale(static_cast<float>(x), vmax, ColourScale::Sqrt), std::sqrt(u), 1e-6);
        EXPECT_NEAR(mapToColourScale(static_cast<float>(-x), vmax, ColourScale::Sqrt), -std::sqrt(u), 1e-6);
        const double logT = u <= 0 ? 0.0 : std::max(0.0, 1.0 + std::log10(u) / 4.0);
        EXPECT_NEAR(mapToColourScale(static_cast<float>(x), vmax, ColourScale::Log), logT, 1e-6);
    }
    for (const ColourScale scale : {ColourScale::Linear, ColourScale::Sqrt, ColourScale::Log}) {
        for (const double t : {0.25, 0.5, 1.0}) {
            EXPECT_NEAR(mapToColourScale(static_cast<float>(unmapColourScale(t, 0.6, scale)), 0.6f, scale), t, 1e-5);
        }
        EXPECT_EQ(parseColourScale(colourScaleName(scale)).value(), scale);
    }
    EXPECT_FALSE(parseColourScale("cubic").ok());
}

TEST(ExportTokenLabels, SpacesNewlinesAndEmptyPiecesAreVisible)
{
    EXPECT_EQ(tokenDisplayText(" the"), "\xC2\xB7the");
    EXPECT_EQ(tokenDisplayText("\n"), "\xE2\x86\xB5");
    EXPECT_EQ(tokenDisplayText(""), "\xE2\x88\x85");
    EXPECT_EQ(tokenDisplayText("abc"), "abc");
}

TEST(ExportProvenance, EntriesSkipWhatIsUnknownAndCaptionShortensHashes)
{
    FigureProvenance provenance;
    provenance.version = "0.1.0";
    provenance.modelPath = "demo";
    provenance.modelHash = std::string(64, 'f');
    provenance.layer = 0;
    provenance.variant = "topk:k=4";
    const auto entries = provenance.entries();
    ASSERT_EQ(entries.size(), 5u);
    EXPECT_EQ(entries[3].first, "layer");
    EXPECT_EQ(entries[3].second, "0");
    const std::string caption = provenance.captionText();
    EXPECT_NE(caption.find("model_sha256 ffffffffffff "), std::string::npos) << caption;
    EXPECT_EQ(caption.find(std::string(13, 'f')), std::string::npos) << caption;
}

TEST(ExportProvenance, SeedsComeFromTheVariantSpecs)
{
    EXPECT_EQ(headProvenance("m", "h", "t", 0, 1, "topk:k=4").seed, "");
    EXPECT_EQ(headProvenance("m", "h", "t", 0, 1, "sbm:clusters=4,density=0.3,seed=7").seed, "7");
    const FigureProvenance two = headProvenance("m", "h", "t", 2, 3, "topk:k=4; sbm:clusters=4,density=0.3,seed=2");
    EXPECT_EQ(two.seed, "-; 2");
    EXPECT_EQ(two.variant, "topk:k=4; sbm:clusters=4,density=0.3,seed=2");
    EXPECT_EQ(two.layer, 2);
    EXPECT_EQ(two.head, 3);
    EXPECT_EQ(two.version, versionString());
}

} // namespace
} // namespace attnscope
