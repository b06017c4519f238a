#pragma once
// The subcommands of the attnscope binary. Each returns a process exit code (DESIGN.md §5): 0
// success, 2 usage, 3 bad input, 4 unsupported, 5 out of memory, 1 anything else.

#include "cli_args.h"

#include "attnscope/workspace.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace attnscope::cli {

struct Command {
    std::string name;
    std::string usage;    ///< one line: "attention MODEL --text T --layer L --head H"
    std::string summary;  ///< one sentence
    std::vector<OptionSpec> options;
    std::function<Result<int>(const ParsedArgs&)> run;
};

std::vector<Command> allCommands();

Command infoCommand();
Command tokenizeCommand();
Command attentionCommand();
Command evalCommand();
Command compareCommand();
Command variantsCommand();
Command summaryCommand();
Command exportCommand();

// ---- Helpers shared by the commands ----

/// Options every command that reads a model and a text accepts.
std::vector<OptionSpec> textOptions();

/// Opens positionals[0] (or "demo" when absent and allowDemoDefault) with --backend applied.
/// Errors: those of Workspace::open, InvalidArgument for a --backend other than auto or cpu.
Result<std::unique_ptr<Workspace>> openModelArgument(const ParsedArgs& args, bool allowDemoDefault = false);

/// After a command's computation: one line on stderr when attention ran on CUDA (in some or all
/// layers) or fell back from a usable CUDA device to the CPU, with the reason; nothing otherwise.
void reportAttentionBackend(Workspace& workspace);

/// The token ids from --text, --text-file or --ids. Errors: InvalidArgument (none or several
/// given, empty text), FileNotFound/FileIo naming the text file.
Result<TokenizedText> readInputTokens(const Workspace& workspace, const ParsedArgs& args);

/// The model and the input text of a command that reads both.
struct ModelAndText {
    std::unique_ptr<Workspace> workspace;
    TokenizedText tokens;
};
Result<ModelAndText> openModelAndText(const ParsedArgs& args);

/// --out FILE and --force, which every command that writes takes.
std::vector<OptionSpec> outputOptions();

/// Writes `text` to --out atomically (refusing to overwrite without --force), or to stdout.
Result<void> emitText(const ParsedArgs& args, const std::string& text);

/// The sample text the app opens with (assets/samples/induction.txt beside the demo model), or "".
std::string defaultSampleText();

/// "all" (→ empty: every index), "3", "0-3", "0-3,7": indices below `count`. Errors:
/// InvalidArgument naming --option.
Result<std::vector<int>> parseIndexList(const std::string& option, const std::string& text, int count);

/// --replace-layers of eval and compare: the layers a variant replaces for the loss (empty = all).
Result<std::vector<int>> replacedLayersOption(const ParsedArgs& args, int nLayers);

/// `compare --json`'s document (docs/cli.md), also written by `export --metrics`.
std::string compareJson(const CompareResult& result);

/// Prints a one-line error to stderr and returns its exit code.
int reportError(const Error& error);

} // namespace attnscope::cli
