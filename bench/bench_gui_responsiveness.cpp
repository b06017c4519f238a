// How responsive the workbench is (issue #6), measured through the real window and ComputeService:
//   first picture   process start → the compare view of the demo model's first head painted;
//   knob → redraw   a variant knob changed → the compare view for one head at N tokens recomputed
//                   and painted (median of --repeats changes; the demo model runs past its 512-token
//                   context through RoPE, as `attention --allow-overflow` does);
//   head grid       every layer × head of the demo model on a 512-token text: dense head scores and
//                   the variant's metrics (median of --repeats).
// Prints one line per figure; run it on a quiet machine and record the load beside the numbers.
// Usage: bench_gui_responsiveness [--tokens N] [--repeats R] [--variant SPEC] [--model PATH]
// (--model: any model the window opens, the demo model by default; the texts are cut from the
// demo model's held-out text with that model's tokenizer)
// QT_QPA_PLATFORM=offscreen measures the QPainter views; under xvfb-run the GL views.

#include "compute_service.h"
#include "main_window.h"
#include "selection_model.h"
#include "views/compare_view.h"
#include "views/head_grid_view.h"

#include "attnscope/workspace.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace attnscope;
using namespace attnscope::gui;

namespace {

const auto kProcessStart = std::chrono::steady_clock::now();
constexpr int kTimeoutMs = 600000;

double millisecondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
}

// The longest prefix of `text` (whole words) that the model reads as at most `target` tokens.
std::string prefixWithTokens(Workspace& workspace, const std::string& text, int target, int& tokens)
{
    std::vector<std::size_t> wordEnds;
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == ' ' && text[i - 1] != ' ') {
            wordEnds.push_back(i);
        }
    }
    wordEnds.push_back(text.size());
    std::size_t lo = 0;
    std::size_t hi = wordEnds.size() - 1;
    while (lo < hi) {
        const std::size_t mid = (lo + hi + 1) / 2;
        auto ids = workspace.tokenize(text.substr(0, wordEnds[mid]));
        if (ids && static_cast<int>(ids->ids.size()) <= target) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    const std::string prefix = text.substr(0, wordEnds[lo]);
    auto ids = workspace.tokenize(prefix);
    tokens = ids ? static_cast<int>(ids->ids.size()) : 0;
    return prefix;
}

int fail(const char* what)
{
    std::fprintf(stderr, "bench_gui_responsiveness: %s\n", what);
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    int tokens = 2048;
    int repeats = 15;
    std::string variant = "topk:k=8";
    std::string model = "demo";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--tokens") {
            tokens = std::atoi(argv[i + 1]);
        } else if (flag == "--repeats") {
            repeats = std::max(1, std::atoi(argv[i + 1]));
        } else if (flag == "--variant") {
            variant = argv[i + 1];
        } else if (flag == "--model") {
            model = argv[i + 1];
        } else {
            return fail("usage: bench_gui_responsiveness [--tokens N] [--repeats R] [--variant SPEC] [--model PATH]");
        }
    }
    QApplication app(argc, argv);

    // ---- First window with a picture (the default start: demo model, short sample) ----
    MainWindowOptions options;
    options.useGl = openGlAvailable();
    options.restoreLayout = false;
    options.variantSpec = QString::fromStdString(variant);
    options.modelPath = QString::fromStdString(model);
    QFile sample(QStringLiteral(ATTNSCOPE_SOURCE_DIR "/assets/samples/short.txt"));
    if (!sample.open(QIODevice::ReadOnly)) {
        return fail("assets/samples/short.txt missing");
    }
    options.text = QString::fromUtf8(sample.readAll()).trimmed();
    MainWindow window(options);
    window.resize(1600, 1000);
    window.show();
    if (!waitUntil([&] { return window.compareView()->comparison() != nullptr || !window.errorText().isEmpty(); },
                   kTimeoutMs)) {
        return fail("no first result");
    }
    window.compareView()->grab();
    const double firstPicture = millisecondsSince(kProcessStart);
    waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, kTimeoutMs);
    const double firstIdle = millisecondsSince(kProcessStart);
    if (!window.errorText().isEmpty()) {
        return fail(qPrintable(window.errorText()));
    }
    std::printf("platform %s, %s views\n", qPrintable(QGuiApplication::platformName()),
                window.usesGl() ? "GL" : "QPainter");
    std::printf("first picture: %.0f ms after process start (compare view painted); head grid too: %.0f ms\n",
                firstPicture, firstIdle);

    // ---- Texts of the wanted lengths, cut from the demo model's held-out text ----
    auto workspace = Workspace::open(OpenOptions{model});
    if (!workspace) {
        return fail(workspace.error().describe().c_str());
    }
    QFile heldout(QStringLiteral(ATTNSCOPE_SOURCE_DIR "/assets/models/demo/heldout.txt"));
    if (!heldout.open(QIODevice::ReadOnly)) {
        return fail("assets/models/demo/heldout.txt missing");
    }
    std::string corpus = heldout.readAll().toStdString();
    std::replace(corpus.begin(), corpus.end(), '\n', ' ');
    int longTokens = 0;
    const std::string longText = prefixWithTokens(*workspace.value(), corpus, tokens, longTokens);
    int gridTokens = 0;
    const std::string gridText = prefixWithTokens(*workspace.value(), corpus, 512, gridTokens);

    // ---- Knob change → compare view redrawn, one head at N tokens ----
    window.computeService().setAllowOverflow(true);
    window.selection().setText(QString::fromStdString(longText));
    if (!waitUntil([&] {
            const auto c = window.compareView()->comparison();
            return (c && c->dense.nTokens == longTokens && window.isIdle()) || !window.errorText().isEmpty();
        }, kTimeoutMs)) {
        return fail("the long text was not computed in time");
    }
    if (!window.errorText().isEmpty()) {
        return fail(qPrintable(window.errorText()));
    }
    std::vector<double> knob;
    for (int repeat = 0; repeat < repeats; ++repeat) {
        // Alternate two budgets so that every change is a real recomputation.
        const QString spec = QStringLiteral("topk:k=%1").arg(repeat % 2 == 0 ? 16 : 8);
        const auto start = std::chrono::steady_clock::now();
        window.selection().setVariantSpec(spec);
        if (!waitUntil([&] {
                const auto c = window.compareView()->comparison();
                return (c && c->variants.front().variant == spec.toStdString()) || !window.errorText().isEmpty();
            }, kTimeoutMs)) {
            return fail("a knob change was not computed in time");
        }
        window.compareView()->repaint();
        knob.push_back(millisecondsSince(start));
        window.computeService().cancelAll();  // the head grid of this knob is not part of the figure
        waitUntil([&] { return !window.computeService().busy(); }, kTimeoutMs);
    }
    std::printf("knob -> compare view redrawn, one head, N = %d: median %.1f ms (min %.1f, max %.1f, %d changes)\n",
                longTokens, median(knob), *std::min_element(knob.begin(), knob.end()),
                *std::max_element(knob.begin(), knob.end()), repeats);

    // ---- Head grid of the model on a 512-token text ----
    auto ids = workspace.value()->tokenize(gridText);
    if (!ids) {
        return fail(ids.error().describe().c_str());
    }
    std::vector<double> grid;
    std::shared_ptr<const HeadGrid> delivered;
    QObject::connect(&window.computeService(), &ComputeService::gridReady,
                     [&](std::shared_ptr<const HeadGrid> result) { delivered = result; });
    for (int repeat = 0; repeat < std::max(3, repeats / 3); ++repeat) {
        delivered.reset();
        const QString spec = QStringLiteral("topk:k=%1").arg(8 + repeat);
        const auto start = std::chrono::steady_clock::now();
        window.computeService().computeGrid(ids->ids, spec);
        if (!waitUntil([&] { return delivered != nullptr || !window.errorText().isEmpty(); }, kTimeoutMs)) {
            return fail("the head grid was not computed in time");
        }
        window.headGridView()->setGrid(delivered);
        window.headGridView()->repaint();
        grid.push_back(millisecondsSince(start));
    }
    std::printf("head grid (%zu layers x %zu heads, %d tokens): median %.0f ms (min %.0f, max %.0f, %zu runs)\n",
                delivered->scores.size(), delivered->scores.empty() ? 0 : delivered->scores.front().size(), gridTokens,
                median(grid), *std::min_element(grid.begin(), grid.end()), *std::max_element(grid.begin(), grid.end()),
                grid.size());
    return 0;
}
