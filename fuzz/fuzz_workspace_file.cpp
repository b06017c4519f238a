// libFuzzer target: a saved workspace file (parseWorkspaceJson, what loadWorkspaceFile calls when
// the app reopens a session). A state that parses must serialise to text that parses back to the
// same state, and serialising that again must give the same bytes (the format is canonical).

#include "attnscope/workspace_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    auto state = parseWorkspaceJson(fuzz::asText(data, size));
    if (!state) {
        ATTNSCOPE_FUZZ_CHECK(!state.error().message.empty());
        return 0;
    }
    const std::string canonical = serializeWorkspaceJson(state.value());
    auto reparsed = parseWorkspaceJson(canonical);
    ATTNSCOPE_FUZZ_CHECK(reparsed.ok() && reparsed.value() == state.value());
    ATTNSCOPE_FUZZ_CHECK(serializeWorkspaceJson(reparsed.value()) == canonical);
    return 0;
}
