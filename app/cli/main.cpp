// attnscope: one binary. Subcommands for scripting (DESIGN.md §5); with no arguments it opens the
// GUI on the demo model when there is a display, and otherwise prints the demo model's summary.

#include "commands.h"

#include <cstdio>
#include <new>
#include <string>
#include <vector>

namespace attnscope::cli {

// cmd_gui.cpp: the window, and whether this build and this session can show it.
Command guiCommand();
bool guiBuilt();
bool guiDisplayAvailable();

std::vector<Command> allCommands()
{
    return {infoCommand(), tokenizeCommand(), attentionCommand(), evalCommand(), compareCommand(), exportCommand(), summaryCommand(), variantsCommand(),
            guiCommand()};
}

namespace {

void printUsage()
{
    std::printf("attnscope %s: attention in transformers, dense and sparse\n\nusage: attnscope COMMAND MODEL [options]\n\n",
                versionString());
    for (const Command& command : allCommands()) {
        std::printf("  %-10s %s\n", command.name.c_str(), command.summary.c_str());
    }
    std::printf("\nMODEL is an HF folder, a .safetensors file beside its config.json, or demo.\n"
                "attnscope COMMAND --help lists a command's options.\n");
}

void printCommandHelp(const Command& command)
{
    std::printf("usage: attnscope %s\n\n%s\n\noptions:\n", command.usage.c_str(), command.summary.c_str());
    for (const OptionSpec& option : command.options) {
        const std::string flag = "--" + option.name + (option.takesValue ? " VALUE" : "");
        std::printf("  %-22s %s\n", flag.c_str(), option.help.c_str());
    }
}

int runCommand(const Command& command, const std::vector<std::string>& arguments)
{
    for (const std::string& argument : arguments) {
        if (argument == "--help" || argument == "-h") {
            printCommandHelp(command);
            return 0;
        }
    }
    auto parsed = parseArgs(arguments, command.options);
    if (!parsed) {
        return reportError(parsed.error());
    }
    auto result = command.run(parsed.value());
    if (!result) {
        return reportError(result.error());
    }
    return result.value();
}

} // namespace
} // namespace attnscope::cli

namespace {

// The binary is built for a CPU baseline (ATTNSCOPE_CPU_ARCH, x86-64-v3 by default): say so
// clearly on an older CPU instead of dying later on an illegal instruction.
bool cpuSupportsBuildBaseline()
{
#if defined(ATTNSCOPE_CPU_ARCH) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
#if defined(__AVX2__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        std::fprintf(stderr, "attnscope: error: this build needs a CPU with AVX2 and FMA (built for %s); "
                             "rebuild with -DATTNSCOPE_CPU_ARCH= for a generic x86-64 binary\n",
                     ATTNSCOPE_CPU_ARCH);
        return false;
    }
#endif
#endif
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    using namespace attnscope::cli;
    if (!cpuSupportsBuildBaseline()) {
        return 4;
    }
    std::vector<std::string> arguments(argv + 1, argv + argc);
    try {
        if (arguments.empty()) {
            if (guiBuilt() && guiDisplayAvailable()) {
                return runCommand(guiCommand(), {});
            }
            std::fprintf(stderr, guiBuilt() ? "attnscope: the GUI needs a display (DISPLAY or WAYLAND_DISPLAY); showing the summary\n"
                                            : "attnscope: built without the GUI; showing the summary\n");
            return runCommand(summaryCommand(), {});
        }
        const std::string name = arguments.front();
        if (name == "--help" || name == "-h" || name == "help") {
            printUsage();
            return 0;
        }
        if (name == "--version") {
            std::printf("attnscope %s\n", attnscope::versionString());
            return 0;
        }
        for (const Command& command : allCommands()) {
            if (command.name == name) {
                return runCommand(command, {arguments.begin() + 1, arguments.end()});
            }
        }
        std::fprintf(stderr, "attnscope: error: unknown command \"%s\" (see attnscope --help)\n", name.c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "attnscope: error: out of memory\n");
        return 5;
    }
}
