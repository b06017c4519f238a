#pragma once
// Entry point of the workbench window for the attnscope binary. Plain std types only, so that the
// CLI's cmd_gui.cpp does not compile Qt headers.

#include <string>
#include <vector>

namespace attnscope::gui {

struct LaunchOptions {
    std::string modelPath;       ///< a model folder, a .gguf or .safetensors file, or "demo"
    std::string text;            ///< initial text; empty = the built-in sample
    std::string variantSpec;     ///< initial variant; empty = topk:k=8
    std::vector<std::string> moreVariants;  ///< compared beside it (up to 3)
    int layer = 0;
    int head = 0;
    std::string screenshotPath;  ///< when set: wait for the first results, save the window as PNG, quit
    int width = 1600;
    int height = 1000;
};

/// True when a windowing system is reachable (DISPLAY or WAYLAND_DISPLAY set).
bool displayAvailable();

/// Creates the QApplication, shows the main window and runs the event loop. Returns the exit code.
int runGui(const LaunchOptions& options);

} // namespace attnscope::gui
