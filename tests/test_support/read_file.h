#pragma once
// A whole file's bytes, for tests that compare written files ("" when it cannot be read).

#include <fstream>
#include <sstream>
#include <string>

namespace attnscope {

inline std::string readFileBytes(const std::string& path)
{
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream contents;
    contents << stream.rdbuf();
    return contents.str();
}

} // namespace attnscope
