// `attnscope export` end to end on the demo model: one file per (layer, head, variant) with
// predictable names, data files that agree with the other commands (`attention`, `compare`) and with
// closed forms (top-k keeps min(k, i + 1) keys per causal row), a capture that reopens without the
// model, and atomic, refusing writes.

#include "attnscope/capture.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace attnscope {
namespace {

using Json = nlohmann::json;

const std::string kText = "In the beginning God created the heaven and the earth.";

std::vector<std::string> listDirectory(const std::string& path)
{
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

/// A float32 NPY file's shape and values (format 1.0, little-endian, C order), parsed here
/// independently of the writer.
struct Npy {
    std::vector<long> shape;
    std::vector<float> values;
};

Npy readNpy(const std::string& path)
{
    const std::string bytes = readFileBytes(path);
    Npy npy;
    EXPECT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
    const std::size_t headerLength = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    const std::string header = bytes.substr(10, headerLength);
    EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
    EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << header;
    std::istringstream shape(header.substr(header.find("'shape': (") + 10));
    long extent = 0;
    char separator = 0;
    while (shape >> extent) {
        npy.shape.push_back(extent);
        shape >> separator;
        if (separator == ')') {
            break;
        }
    }
    const std::size_t offset = 10 + headerLength;
    EXPECT_EQ(offset % 64, 0u);
    npy.values.resize((bytes.size() - offset) / sizeof(float));
    std::memcpy(npy.values.data(), bytes.data() + offset, npy.values.size() * sizeof(float));
    return npy;
}

/// `attention --format npy` of one head: the independent path to the same matrix (its JSON rounds
/// to fewer digits than a float holds).
std::vector<float> attentionFromCli(int layer, int head, const std::string& variant)
{
    TempDir scratch;
    const std::string path = scratch.path() + "/attention.npy";
    const CliRun run = runCli({"attention", "demo", "--text", kText, "--layer", std::to_string(layer), "--head",
                               std::to_string(head), "--variant", variant, "--format", "npy", "--out", path});
    EXPECT_EQ(run.exitCode, 0) << run.err;
    return readNpy(path).values;
}

std::size_t countOf(const std::string& text, const std::string& needle)
{
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) {
        ++count;
    }
    return count;
}

TEST(CliExport, BatchWritesOneFigurePerCombinationWithPredictableNames)
{
    TempDir dir;
    const std::string out = dir.path() + "/figures";
    const CliRun run = runCli({"export", "demo", "--text", kText, "--layers", "0-1", "--heads", "0,2", "--variant", "topk:k=4",
                               "--variant", "window:w=3", "--format", "svg", "--out", out, "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    std::vector<std::string> expected;
    for (const std::string layer : {"0", "1"}) {
        for (const std::string head : {"0", "2"}) {
            for (const std::string slug : {"topk_k4", "window_w3"}) {
                const std::string stem = "compare_L" + layer + "_H" + head + "_" + slug;
                expected.push_back(stem + ".json");
                expected.push_back(stem + ".svg");
            }
        }
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listDirectory(out), expected);
    const Json manifest = Json::parse(run.out);
    EXPECT_EQ(manifest["files"].size(), expected.size());
    EXPECT_EQ(manifest["model_sha256"].get<std::string>().size(), 64u);
    const std::string svg = readFileBytes(out + "/compare_L1_H2_window_w3.svg");
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("variant=\"window:w=3\""), std::string::npos);
    const Json sidecar = Json::parse(readFileBytes(out + "/compare_L1_H2_window_w3.json"));
    EXPECT_EQ(sidecar["file"], "compare_L1_H2_window_w3.svg");
    EXPECT_EQ(sidecar["layer"], "1");
    EXPECT_EQ(sidecar["head"], "2");
    EXPECT_EQ(sidecar["variant"], "window:w=3");
    EXPECT_EQ(sidecar["model_sha256"], manifest["model_sha256"]);
    EXPECT_EQ(sidecar["text_sha256"], manifest["text_sha256"]);
    // stderr is not a terminal here: no progress bar in logs.
    EXPECT_EQ(run.err.find('\r'), std::string::npos) << run.err;
}

TEST(CliExport, NpyMasksAndGraphsMatchTheAttentionCommandAndTheTopkClosedForm)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--layer", "1", "--head", "3", "--variant", "topk:k=4",
                               "--no-figures", "--npy", "--graph", "--out", dir.path()});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Npy dense = readNpy(dir.path() + "/attention_L1_H3_dense.npy");
    const Npy effective = readNpy(dir.path() + "/attention_L1_H3_topk_k4.npy");
    const Npy mask = readNpy(dir.path() + "/mask_L1_H3_topk_k4.npy");
    ASSERT_EQ(dense.shape.size(), 2u);
    const long n = dense.shape[0];
    ASSERT_GT(n, 8);
    EXPECT_EQ(dense.shape[1], n);
    EXPECT_EQ(dense.values, attentionFromCli(1, 3, "dense"));
    EXPECT_EQ(effective.values, attentionFromCli(1, 3, "topk:k=4"));
    std::size_t kept = 0;
    for (long row = 0; row < n; ++row) {
        float rowKept = 0.0f;
        for (long column = 0; column < n; ++column) {
            const float value = mask.values[static_cast<std::size_t>(row * n + column)];
            ASSERT_TRUE(value == 0.0f || value == 1.0f);
            rowKept += value;
            if (column > row) {
                EXPECT_EQ(value, 0.0f) << "a causal model cannot keep a future key";
            }
        }
        EXPECT_EQ(rowKept, static_cast<float>(std::min<long>(4, row + 1))) << "row " << row;
        kept += static_cast<std::size_t>(rowKept);
    }
    const std::string graphml = readFileBytes(dir.path() + "/graph_L1_H3_topk_k4.graphml");
    EXPECT_EQ(countOf(graphml, "<node "), static_cast<std::size_t>(n));
    EXPECT_EQ(countOf(graphml, "<edge "), kept);
    EXPECT_NE(graphml.find("attr.name=\"weight\""), std::string::npos);
    const std::string dot = readFileBytes(dir.path() + "/graph_L1_H3_topk_k4.dot");
    EXPECT_EQ(dot.rfind("digraph", 0), 0u) << dot.substr(0, 40);
    EXPECT_EQ(countOf(dot, "->"), kept);
}

TEST(CliExport, MetricsAreCompareJsonAndItsCsv)
{
    TempDir dir;
    const std::vector<std::string> selection{"--text", kText, "--variant", "topk:k=4", "--variant", "window:w=3",
                                             "--layers", "0-1", "--heads", "all"};
    std::vector<std::string> exportArgs{"export", "demo"};
    exportArgs.insert(exportArgs.end(), selection.begin(), selection.end());
    for (const char* extra : {"--no-figures", "--metrics", "--out"}) {
        exportArgs.push_back(extra);
    }
    exportArgs.push_back(dir.path());
    const CliRun run = runCli(exportArgs);
    ASSERT_EQ(run.exitCode, 0) << run.err;
    std::vector<std::string> compareArgs{"compare", "demo"};
    compareArgs.insert(compareArgs.end(), selection.begin(), selection.end());
    compareArgs.push_back("--no-perplexity");
    compareArgs.push_back("--json");
    const CliRun compare = runCli(compareArgs);
    ASSERT_EQ(compare.exitCode, 0) << compare.err;
    const Json metrics = Json::parse(readFileBytes(dir.path() + "/metrics.json"));
    EXPECT_EQ(metrics, Json::parse(compare.out));
    // The CSV has one row per (variant, layer, head) carrying the same numbers.
    std::istringstream csv(readFileBytes(dir.path() + "/metrics.csv"));
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line.rfind("variant,layer,head,density,recall,", 0), 0u) << line;
    std::vector<std::string> rows;
    while (std::getline(csv, line)) {
        rows.push_back(line);
    }
    std::size_t expectedRows = 0;
    for (const Json& variant : metrics["variants"]) {
        for (const Json& layer : variant["layers"]) {
            for (const Json& head : layer["heads"]) {
                ASSERT_LT(expectedRows, rows.size());
                std::istringstream fields(rows[expectedRows++]);
                std::string variantName, layerIndex, headIndex, density, recall;
                std::getline(fields, variantName, ',');
                std::getline(fields, layerIndex, ',');
                std::getline(fields, headIndex, ',');
                std::getline(fields, density, ',');
                std::getline(fields, recall, ',');
                EXPECT_EQ(variantName, variant["variant"].get<std::string>());
                EXPECT_EQ(std::stoi(layerIndex), layer["layer"].get<int>());
                EXPECT_EQ(std::stoi(headIndex), head["head"].get<int>());
                EXPECT_NEAR(std::stod(recall), head["recall"].get<double>(), 1e-8);
                EXPECT_NEAR(std::stod(density), head["density"].get<double>(), 1e-8);
            }
        }
    }
    EXPECT_EQ(rows.size(), expectedRows);
    EXPECT_GT(expectedRows, 4u);
}

TEST(CliExport, CaptureReopensWithoutTheModelAndReproducesEveryHead)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--layers", "0,2", "--heads", "1", "--variant", "topk:k=4",
                               "--no-figures", "--capture", "--npy", "--out", dir.path() + "/model"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    auto capture = readCapture(dir.path() + "/model/capture.safetensors");
    ASSERT_TRUE(capture.ok()) << capture.error().describe();
    ASSERT_EQ(capture->layers.size(), 2u);
    EXPECT_EQ(capture->layers[0].layer, 0);
    EXPECT_EQ(capture->layers[1].layer, 2);
    EXPECT_EQ(capture->ids.size(), capture->tokens.size());
    EXPECT_EQ(capture->layers[1].lse.size(), static_cast<std::size_t>(capture->layers[1].nHeads * capture->layers[1].nTokens));
    for (const std::string variant : {"dense", "topk:k=4", "window:w=3"}) {
        auto head = capture->headAttention(2, 5, variant);
        ASSERT_TRUE(head.ok()) << head.error().describe();
        EXPECT_EQ(head->attention, attentionFromCli(2, 5, variant)) << variant;
    }
    EXPECT_FALSE(capture->headAttention(1, 0, "dense").ok()) << "layer 1 was not captured";
    // The same export from the capture alone writes byte-identical arrays.
    const CliRun reopened = runCli({"export", dir.path() + "/model/capture.safetensors", "--layers", "0,2", "--heads", "1",
                                    "--variant", "topk:k=4", "--no-figures", "--npy", "--out", dir.path() + "/capture"});
    ASSERT_EQ(reopened.exitCode, 0) << reopened.err;
    for (const std::string name : {"attention_L0_H1_dense.npy", "attention_L2_H1_topk_k4.npy", "mask_L2_H1_topk_k4.npy"}) {
        EXPECT_EQ(readFileBytes(dir.path() + "/capture/" + name), readFileBytes(dir.path() + "/model/" + name)) << name;
    }
}

TEST(CliExport, AnExistingFileWithoutForceStopsTheRunBeforeItWritesAnything)
{
    TempDir dir;
    const std::string precious = dir.write("out/compare_L0_H1_topk_k4.png", "precious");
    const std::vector<std::string> args{"export", "demo", "--text", kText, "--heads", "0-1", "--variant", "topk:k=4",
                                        "--npy", "--out", dir.path() + "/out"};
    const CliRun refused = runCli(args);
    EXPECT_EQ(refused.exitCode, 3);
    EXPECT_NE(refused.err.find("compare_L0_H1_topk_k4.png"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
    EXPECT_EQ(readFileBytes(precious), "precious");
    EXPECT_EQ(listDirectory(dir.path() + "/out"), std::vector<std::string>{"compare_L0_H1_topk_k4.png"});
    std::vector<std::string> forced = args;
    forced.push_back("--force");
    const CliRun replaced = runCli(forced);
    ASSERT_EQ(replaced.exitCode, 0) << replaced.err;
    EXPECT_EQ(readFileBytes(precious).substr(1, 3), "PNG");
}

TEST(CliExport, AnUnwritableOutputFailsCleanlyLeavingNothing)
{
    TempDir dir;
    const std::string blocker = dir.write("plain-file", "x");
    const CliRun underFile = runCli({"export", "demo", "--text", kText, "--out", blocker + "/figures"});
    EXPECT_EQ(underFile.exitCode, 3);
    EXPECT_NE(underFile.err.find(blocker + "/figures"), std::string::npos) << underFile.err;
    const CliRun singleFile = runCli({"export", "demo", "--text", kText, "--out", blocker + "/figure.pdf"});
    EXPECT_EQ(singleFile.exitCode, 3);
    EXPECT_NE(singleFile.err.find("figure.pdf"), std::string::npos) << singleFile.err;
    EXPECT_EQ(listDirectory(dir.path()), std::vector<std::string>{"plain-file"});
}

TEST(CliExport, OneFigureToANamedFile)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--layer", "2", "--head", "1", "--variant", "topk:k=4",
                               "--out", dir.path() + "/fig.pdf"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(readFileBytes(dir.path() + "/fig.pdf").rfind("%PDF-", 0), 0u);
    EXPECT_EQ(listDirectory(dir.path()), std::vector<std::string>{"fig.pdf"});
}

TEST(CliExport, HeatmapViewWritesDenseAndEachVariantAlone)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--view", "heatmap", "--layer", "1", "--head", "2",
                               "--variant", "topk:k=4", "--format", "svg", "--out", dir.path()});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(listDirectory(dir.path()), (std::vector<std::string>{"heatmap_L1_H2_dense.svg", "heatmap_L1_H2_topk_k4.svg"}));
    const std::string dense = readFileBytes(dir.path() + "/heatmap_L1_H2_dense.svg");
    const std::string variant = readFileBytes(dir.path() + "/heatmap_L1_H2_topk_k4.svg");
    EXPECT_NE(dense.find("variant=\"dense\""), std::string::npos);
    EXPECT_NE(variant.find("variant=\"topk:k=4\""), std::string::npos);
    // One map and one colour-bar gradient each.
    EXPECT_EQ(countOf(dense, "<image "), 2u);
    EXPECT_EQ(countOf(variant, "<image "), 2u);
}

TEST(CliExport, TogetherDrawsEveryVariantOfAHeadInOneFigure)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--heads", "0-1", "--variant", "topk:k=4", "--variant",
                               "window:w=3", "--together", "--format", "svg", "--out", dir.path()});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(listDirectory(dir.path()), (std::vector<std::string>{"compare_L0_H0_topk_k4+window_w3.svg",
                                                                    "compare_L0_H1_topk_k4+window_w3.svg"}));
    const std::string svg = readFileBytes(dir.path() + "/compare_L0_H1_topk_k4+window_w3.svg");
    EXPECT_NE(svg.find("variant=\"topk:k=4; window:w=3\""), std::string::npos);
    const CliRun tooMany = runCli({"export", "demo", "--text", kText, "--together", "--variant", "topk:k=1", "--variant", "topk:k=2",
                                   "--variant", "topk:k=3", "--variant", "topk:k=4", "--variant", "topk:k=5", "--out", dir.path() + "/x"});
    EXPECT_EQ(tooMany.exitCode, 2) << tooMany.err;
}

TEST(CliExport, KillingTheExportMidwayLeavesNoPartialFile)
{
    // A batch of PNGs killed (SIGKILL: no cleanup runs) once the first figure is in place, then a
    // little later: every file under a target name must be a complete PNG; only NAME.tmp-XXXXXX
    // files may be left over.
    for (const int afterFirstMs : {0, 60}) {
        TempDir dir;
        const std::string out = dir.path() + "/figures";
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, STDOUT_FILENO);
            ::dup2(null, STDERR_FILENO);
            const std::vector<std::string> args{ATTNSCOPE_CLI_BINARY, "export", "demo", "--text", kText, "--layers", "all",
                                                "--heads", "all", "--dpi", "300", "--out", out};
            std::vector<char*> argv;
            for (const std::string& arg : args) {
                argv.push_back(const_cast<char*>(arg.c_str()));
            }
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        auto targets = [&] {
            std::vector<std::string> names;
            std::error_code error;
            for (const auto& entry : std::filesystem::directory_iterator(out, error)) {
                const std::string name = entry.path().filename().string();
                if (name.find(".tmp-") == std::string::npos) {
                    names.push_back(name);
                }
            }
            return names;
        };
        bool running = true;
        for (int waited = 0; waited < 120'000 && targets().empty(); waited += 5) {
            if (::waitpid(child, nullptr, WNOHANG) == child) {
                running = false;
                break;
            }
            ::usleep(5000);
        }
        ASSERT_TRUE(running) << "the export ended before writing a figure";
        ::usleep(static_cast<useconds_t>(afterFirstMs) * 1000);
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        const std::vector<std::string> written = targets();
        ASSERT_FALSE(written.empty());
        EXPECT_LT(written.size(), 32u) << "killed before the end of the batch";
        for (const std::string& name : written) {
            const std::string png = readFileBytes(out + "/" + name);
            ASSERT_GE(png.size(), 12u) << name;
            EXPECT_EQ(png.substr(1, 3), "PNG") << name;
            EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND") << name << " is cut short";
        }
    }
}

TEST(CliExport, BadRequestsAreUsageErrors)
{
    TempDir dir;
    const std::string out = dir.path() + "/out";
    for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
             {"--format", "jpeg"},
             {"--dpi", "5"},
             {"--scale", "cubic"},
             {"--colormap", "jet"},
             {"--view", "attention"},  // not a view
             {"--layers", "0-99"},
             {"--variant", "topk:k=-1"},
             {"--no-figures"},
         }) {
        std::vector<std::string> args{"export", "demo", "--text", kText, "--out", out};
        args.insert(args.end(), extra.begin(), extra.end());
        const CliRun run = runCli(args);
        EXPECT_EQ(run.exitCode, 2) << extra.front() << ": " << run.err;
        EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << "one line: " << run.err;
    }
    const CliRun two = runCli({"export", "demo", "--text", kText, "--heads", "0-1", "--out", dir.path() + "/one.png"});
    EXPECT_EQ(two.exitCode, 2) << two.err;
    EXPECT_FALSE(std::filesystem::exists(out));
}

} // namespace
} // namespace attnscope
