#pragma once
// Shared by the tests that compare a window's figure export with `attnscope export`: the figure
// source the window gives an open model, the window's options for the demo model, and the bytes the
// command line writes for a view.

#include "figure_export_action.h"
#include "main_window.h"

#include "attnscope/figure_model.h"
#include "attnscope/workspace.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attnscope::testing {

/// What the window records for `text` on the open model: its path, fingerprint and the pieces.
inline gui::FigureSource windowFigureSource(Workspace& workspace, const std::string& text, const std::vector<std::string>& pieces)
{
    gui::FigureSource source;
    source.modelPath = workspace.info().path;
    source.modelHash = modelFingerprint(source.modelPath).value();
    source.text = text;
    source.pieces = pieces;
    return source;
}

/// A window on the demo model with `text`, `variant` and head (layer, head) selected, its saved
/// layout not restored.
inline gui::MainWindowOptions demoWindowOptions(const std::string& text, const std::string& variant, int layer, int head)
{
    gui::MainWindowOptions options;
    options.modelPath = QStringLiteral("demo");
    options.text = QString::fromStdString(text);
    options.variantSpec = QString::fromStdString(variant);
    options.layer = layer;
    options.head = head;
    options.restoreLayout = false;
    return options;
}

/// Runs `attnscope export demo --text TEXT --dpi DPI VIEW... --out PATH` and returns the file's
/// bytes; a failed run fails the test.
inline std::string cliFigureBytes(const std::string& text, const std::vector<std::string>& view, int dpi, const std::string& path)
{
    std::vector<std::string> arguments{"export", "demo", "--text", text, "--dpi", std::to_string(dpi)};
    arguments.insert(arguments.end(), view.begin(), view.end());
    arguments.insert(arguments.end(), {"--out", path});
    const CliRun run = runCli(arguments);
    EXPECT_EQ(run.exitCode, 0) << run.err;
    return readFileBytes(path);
}

} // namespace attnscope::testing
