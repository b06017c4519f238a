// listBackends() on any machine: the CPU is always there, and CUDA is either usable or says why
// (not compiled, no driver, no device). Runs everywhere, GPU or not.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "backend/backend_info.h"

namespace attnscope {
namespace {

const BackendInfo* findBackend(const std::vector<BackendInfo>& backends, const std::string& name)
{
    for (const BackendInfo& backend : backends) {
        if (backend.name == name) {
            return &backend;
        }
    }
    return nullptr;
}

TEST(BackendList, CpuIsAlwaysAvailableAndListedFirst)
{
    const std::vector<BackendInfo> backends = listBackends();
    ASSERT_FALSE(backends.empty());
    EXPECT_EQ(backends.front().name, "cpu");
    EXPECT_TRUE(backends.front().available);
    EXPECT_TRUE(backends.front().reason.empty());
}

TEST(BackendList, CudaIsListedAndUsableOrExplainsWhy)
{
    const std::vector<BackendInfo> backends = listBackends();
    const BackendInfo* cuda = findBackend(backends, "cuda");
    ASSERT_NE(cuda, nullptr);
    if (cuda->available) {
        EXPECT_TRUE(cuda->reason.empty());
        EXPECT_FALSE(cuda->detail.empty());
    } else {
        EXPECT_FALSE(cuda->reason.empty());
    }
}

TEST(BackendList, EnvironmentSwitchDisablesCuda)
{
    ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0);
    const std::vector<BackendInfo> backends = listBackends();
    unsetenv("ATTNSCOPE_DISABLE_CUDA");
    const BackendInfo* cuda = findBackend(backends, "cuda");
    ASSERT_NE(cuda, nullptr);
    EXPECT_FALSE(cuda->available);
    EXPECT_NE(cuda->reason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos);
    EXPECT_TRUE(findBackend(backends, "cpu")->available);
}

TEST(BackendList, ProbeIsStableAcrossCalls)
{
    const std::vector<BackendInfo> first = listBackends();
    const std::vector<BackendInfo> second = listBackends();
    ASSERT_EQ(first.size(), second.size());
    for (std::size_t index = 0; index < first.size(); ++index) {
        EXPECT_EQ(first[index].name, second[index].name);
        EXPECT_EQ(first[index].available, second[index].available);
        EXPECT_EQ(first[index].reason, second[index].reason);
    }
}

} // namespace
} // namespace attnscope
