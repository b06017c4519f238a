// `attnscope gui [MODEL] [--text T]`: the workbench window. Built only with ATTNSCOPE_HAVE_GUI;
// without it the command exists and says why it cannot run, so scripts get a clear error.

#include "commands.h"

#ifdef ATTNSCOPE_HAVE_GUI
#include "gui_entry.h"
#endif

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace attnscope::cli {

bool guiBuilt()
{
#ifdef ATTNSCOPE_HAVE_GUI
    return true;
#else
    return false;
#endif
}

bool guiDisplayAvailable()
{
    auto set = [](const char* name) {
        const char* value = std::getenv(name);
        return value != nullptr && *value != '\0';
    };
    return set("DISPLAY") || set("WAYLAND_DISPLAY");
}

namespace {

Result<int> runGuiCommand(const ParsedArgs& args)
{
#ifdef ATTNSCOPE_HAVE_GUI
    gui::LaunchOptions options;
    options.modelPath = args.positionals.empty() ? std::string("demo") : args.positionals.front();
    if (args.positionals.size() > 1) {
        return makeError(ErrorCode::InvalidArgument, "gui takes one MODEL");
    }
    if (args.has("text") && args.has("text-file")) {
        return makeError(ErrorCode::InvalidArgument, "give --text or --text-file, not both");
    }
    if (auto text = args.get("text")) {
        options.text = *text;
    } else if (auto file = args.get("text-file")) {
        std::ifstream stream(*file, std::ios::binary);
        if (!stream) {
            return makeError(ErrorCode::FileNotFound, "cannot open the text file", *file);
        }
        std::ostringstream buffer;
        buffer << stream.rdbuf();
        options.text = buffer.str();
    }
    const std::vector<std::string> variants = args.all("variant");
    if (variants.size() > 4) {
        return makeError(ErrorCode::InvalidArgument, "gui compares at most 4 variants at once");
    }
    if (!variants.empty()) {
        options.variantSpec = variants.front();
        options.moreVariants.assign(variants.begin() + 1, variants.end());
    }
    for (const auto& [name, target] : {std::pair<const char*, int*>{"layer", &options.layer}, {"head", &options.head}}) {
        auto value = args.getInt(name);
        if (!value) {
            return value.error();
        }
        *target = static_cast<int>(value.value().value_or(0));
    }
    options.screenshotPath = args.get("screenshot").value_or(std::string());
    if (!options.screenshotPath.empty() || guiDisplayAvailable()) {
        return gui::runGui(options);
    }
    return makeError(ErrorCode::Unsupported, "the GUI needs a display (set DISPLAY or WAYLAND_DISPLAY, or run under xvfb-run)");
#else
    (void)args;
    return makeError(ErrorCode::Unsupported, "this attnscope was built without the GUI (ATTNSCOPE_BUILD_GUI=OFF or Qt 6 missing)");
#endif
}

} // namespace

Command guiCommand()
{
    Command command;
    command.name = "gui";
    command.usage = "gui [MODEL] [--text T | --text-file F] [--variant SPEC]... [--layer L] [--head H] [--screenshot PNG]";
    command.summary = "open the workbench window (the demo model and a sample text by default)";
    command.options = {
        {"text", true, false, "the text to open with"},
        {"text-file", true, false, "read the text to open with from a file"},
        {"variant", true, true, "a variant to compare with dense; repeat for up to 4 side by side (default topk:k=8)"},
        {"layer", true, false, "the layer to show first"},
        {"head", true, false, "the head to show first"},
        {"screenshot", true, false, "wait for the first results, save the window as PNG and exit"},
    };
    command.run = runGuiCommand;
    return command;
}

} // namespace attnscope::cli
