#pragma once
// Runs the attnscope binary with arguments and captures its exit code, stdout and stderr.

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "test_support/temp_dir.h"

namespace attnscope {

struct CliRun {
    int exitCode = -1;
    std::string out;
    std::string err;
};

inline std::string shellQuoted(const std::string& text)
{
    std::string quoted = "'";
    for (const char character : text) {
        if (character == '\'') {
            quoted += "'\\''";
        } else {
            quoted.push_back(character);
        }
    }
    return quoted + "'";
}

inline CliRun runCli(const std::vector<std::string>& arguments)
{
    TempDir scratch;
    const std::string errPath = scratch.path() + "/stderr.txt";
    std::string command = shellQuoted(ATTNSCOPE_CLI_BINARY);
    for (const std::string& argument : arguments) {
        command += " " + shellQuoted(argument);
    }
    command += " 2>" + shellQuoted(errPath);
    CliRun run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return run;
    }
    std::array<char, 65536> buffer{};
    std::size_t count;
    while ((count = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        run.out.append(buffer.data(), count);
    }
    const int status = ::pclose(pipe);
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream errStream(errPath);
    std::stringstream errText;
    errText << errStream.rdbuf();
    run.err = errText.str();
    return run;
}

} // namespace attnscope
