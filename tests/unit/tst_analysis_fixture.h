#pragma once
// The real head the analysis tests (graph layout, embedding, rollout) look at: stories260K from
// ../shared/models on a short story sentence.

#include "attnscope/workspace.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace attnscope {

class StoriesText : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = Workspace::open(OpenOptions{ATTNSCOPE_SHARED_MODELS "/stories260K/hf"});
        ASSERT_TRUE(opened) << opened.error().describe();
        workspace = std::move(opened.value());
        auto tokens = workspace->tokenize("Once upon a time there was a little cat. The little cat sat on the mat");
        ASSERT_TRUE(tokens) << tokens.error().describe();
        ids = tokens->ids;
        n = static_cast<int>(ids.size());
    }

    std::unique_ptr<Workspace> workspace;
    std::vector<std::int32_t> ids;
    int n = 0;
};

} // namespace attnscope
