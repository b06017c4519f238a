// Sharded safetensors sets: the index may only name plain files beside it, and a tensor may live
// in exactly one shard.

#include "io/tensor_store.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

namespace attnscope {
namespace {

class TensorStoreTest : public ::testing::Test {
protected:
    TempDir m_dir;

    void writeShard(const std::string& name, const std::vector<std::string>& tensorNames)
    {
        std::vector<TensorToWrite> tensors;
        for (const std::string& tensorName : tensorNames) {
            tensors.push_back(makeF32Tensor(tensorName, {2}, {1.0f, 2.0f}));
        }
        ASSERT_TRUE(writeSafetensors(m_dir.path() + "/" + name, tensors).ok());
    }

    Error openExpectingError()
    {
        auto store = TensorStore::openFolder(m_dir.path());
        EXPECT_FALSE(store.ok());
        return store.ok() ? Error{} : store.error();
    }

    void writeIndex(const std::string& weightMap)
    {
        m_dir.write("model.safetensors.index.json", R"({"metadata":{},"weight_map":)" + weightMap + "}");
    }
};

TEST_F(TensorStoreTest, OpensAShardedSet)
{
    writeShard("model-00001-of-00002.safetensors", {"a", "b"});
    writeShard("model-00002-of-00002.safetensors", {"c"});
    writeIndex(R"({"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"})");
    auto store = TensorStore::openFolder(m_dir.path());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    EXPECT_EQ(store.value()->names(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(store.value()->files().size(), 2u);
    ASSERT_NE(store.value()->find("c"), nullptr);
}

TEST_F(TensorStoreTest, RejectsShardPathsOutsideTheFolder)
{
    for (const std::string shard : {"../evil.safetensors", "/etc/passwd", "sub/x.safetensors", ".."}) {
        writeIndex(R"({"a":")" + shard + R"("})");
        auto store = TensorStore::openFolder(m_dir.path());
        ASSERT_FALSE(store.ok()) << shard;
        EXPECT_EQ(store.error().reason, "index_path") << shard;
        EXPECT_NE(store.error().message.find(shard), std::string::npos);
    }
}

TEST_F(TensorStoreTest, RejectsATensorStoredInTwoShards)
{
    writeShard("one.safetensors", {"a"});
    writeShard("two.safetensors", {"a"});
    writeIndex(R"({"a":"one.safetensors","b":"two.safetensors"})");
    EXPECT_EQ(openExpectingError().reason, "duplicate_tensor");
}

TEST_F(TensorStoreTest, RejectsAnIndexThatDisagreesWithTheShards)
{
    writeShard("one.safetensors", {"a"});
    writeIndex(R"({"a":"one.safetensors","missing":"one.safetensors"})");
    auto error = openExpectingError();
    EXPECT_EQ(error.reason, "index_mismatch");
    EXPECT_NE(error.message.find("missing"), std::string::npos);
}

TEST_F(TensorStoreTest, MissingShardIsNamed)
{
    writeIndex(R"({"a":"absent.safetensors"})");
    auto store = TensorStore::openFolder(m_dir.path());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(store.error().describe().find("absent.safetensors"), std::string::npos);
}

TEST_F(TensorStoreTest, BrokenIndexJson)
{
    writeIndex("[");
    EXPECT_EQ(openExpectingError().reason, "index_json");
}

TEST_F(TensorStoreTest, FolderWithoutWeights)
{
    auto store = TensorStore::openFolder(m_dir.path());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::FileNotFound);
}

TEST_F(TensorStoreTest, OpensTheRealStoriesModel)
{
    auto store = TensorStore::openFolder(ATTNSCOPE_SHARED_MODELS "/stories260K/hf");
    ASSERT_TRUE(store.ok()) << store.error().describe();
    const TensorView* embedding = store.value()->find("model.embed_tokens.weight");
    ASSERT_NE(embedding, nullptr);
    EXPECT_EQ(embedding->shapeString(), "[512, 64]");
}

} // namespace
} // namespace attnscope
