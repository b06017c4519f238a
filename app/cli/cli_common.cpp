#include "commands.h"

#include "attnscope/data_export.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/stat.h>

namespace attnscope::cli {

std::vector<OptionSpec> textOptions()
{
    return {
        {"text", true, false, "the input text"},
        {"text-file", true, false, "read the input text from a UTF-8 file"},
        {"ids", true, false, "comma-separated token ids instead of text"},
        {"allow-overflow", false, false, "run past the model's context length (RoPE models)"},
        {"json", false, false, "machine-readable output"},
        {"backend", true, false, "where attention runs: auto (CUDA when usable, the default) or cpu"},
        {"gpu-precision", true, false,
         "element type of the model's attention on CUDA: f32 (the default), bf16 or f16 (16-bit inputs, f32 accumulation)"},
    };
}

Result<std::unique_ptr<Workspace>> openModelArgument(const ParsedArgs& args, bool allowDemoDefault)
{
    if (args.positionals.empty() && !allowDemoDefault) {
        return makeError(ErrorCode::InvalidArgument, "missing MODEL (a folder, a .safetensors file, or demo)");
    }
    if (args.positionals.size() > 1) {
        return makeError(ErrorCode::InvalidArgument, "unexpected argument \"" + args.positionals[1] + "\"");
    }
    const std::string backend = args.get("backend").value_or("auto");
    if (backend != "auto" && backend != "cpu") {
        return makeError(ErrorCode::InvalidArgument, "--backend must be auto or cpu (got \"" + backend + "\")");
    }
    const std::string precisionName = args.get("gpu-precision").value_or("f32");
    const std::optional<GpuPrecision> precision = parseGpuPrecision(precisionName);
    if (!precision) {
        return makeError(ErrorCode::InvalidArgument,
                         "--gpu-precision must be f32, bf16 or f16 (got \"" + precisionName + "\")");
    }
    OpenOptions options;
    options.modelPath = args.positionals.empty() ? "demo" : args.positionals[0];
    auto workspace = Workspace::open(options);
    if (workspace) {
        workspace.value()->setBackend(backend == "cpu" ? VariantBackend::Cpu : VariantBackend::Auto);
        workspace.value()->setGpuPrecision(*precision);
    }
    return workspace;
}

void reportAttentionBackend(Workspace& workspace)
{
    const AttentionBackendUse use = workspace.takeAttentionBackendUse();
    if (use.backend.empty()) {
        return;
    }
    if (use.backend != "cpu") {
        std::fprintf(stderr, "attnscope: attention computed on %s%s%s\n", use.backend.c_str(),
                     use.fallbackReason.empty() ? "" : "; CPU fallback: ", use.fallbackReason.c_str());
        return;
    }
    if (use.fallbackReason.empty()) {
        return;
    }
    // A machine without a usable GPU would print this on every command; `attnscope info` says why
    // CUDA is unavailable. Only a fallback on a machine that has CUDA is news.
    for (const BackendInfo& backend : listBackends()) {
        if (backend.name == "cuda" && backend.available) {
            std::fprintf(stderr, "attnscope: attention computed on the CPU (CUDA fell back: %s)\n",
                         use.fallbackReason.c_str());
        }
    }
}

namespace {

Result<std::string> readTextArgumentFile(const std::string& path)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return makeError(ErrorCode::FileNotFound, "no such text file", path);
    }
    if (!S_ISREG(info.st_mode)) {
        return makeError(ErrorCode::FileIo, "not a regular file", path);
    }
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return makeError(ErrorCode::FileIo, "cannot open the text file", path);
    }
    std::ostringstream contents;
    contents << stream.rdbuf();
    return contents.str();
}

Result<std::vector<std::int32_t>> parseIds(const std::string& text, int vocabSize)
{
    std::vector<std::int32_t> ids;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        char* end = nullptr;
        const long value = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || value < 0 || value >= vocabSize) {
            return makeError(ErrorCode::InvalidArgument,
                             "--ids: \"" + item + "\" is not a token id in [0, " + std::to_string(vocabSize) + ")");
        }
        ids.push_back(static_cast<std::int32_t>(value));
    }
    return ids;
}

} // namespace

Result<TokenizedText> readInputTokens(const Workspace& workspace, const ParsedArgs& args)
{
    const int sources = static_cast<int>(args.has("text")) + static_cast<int>(args.has("text-file")) +
                        static_cast<int>(args.has("ids"));
    if (sources != 1) {
        return makeError(ErrorCode::InvalidArgument, "give exactly one of --text, --text-file or --ids");
    }
    if (args.has("ids")) {
        auto ids = parseIds(*args.get("ids"), workspace.info().vocabSize);
        if (!ids) {
            return ids.error();
        }
        TokenizedText tokens;
        tokens.ids = std::move(ids.value());
        tokens.tokens = workspace.tokenPieces(tokens.ids);
        return tokens;
    }
    std::string text;
    if (args.has("text")) {
        text = *args.get("text");
    } else {
        auto contents = readTextArgumentFile(*args.get("text-file"));
        if (!contents) {
            return contents.error();
        }
        text = std::move(contents.value());
    }
    if (text.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the input text is empty");
    }
    return workspace.tokenize(text);
}

Result<ModelAndText> openModelAndText(const ParsedArgs& args)
{
    auto workspace = openModelArgument(args);
    if (!workspace) {
        return workspace.error();
    }
    auto tokens = readInputTokens(*workspace.value(), args);
    if (!tokens) {
        return tokens.error();
    }
    return ModelAndText{std::move(workspace.value()), std::move(tokens.value())};
}

std::vector<OptionSpec> outputOptions()
{
    return {{"out", true, false, "write to a file (atomically)"}, {"force", false, false, "overwrite an existing --out"}};
}

Result<void> emitText(const ParsedArgs& args, const std::string& text)
{
    if (const auto out = args.get("out")) {
        return writeTextFileAtomic(*out, text, args.has("force"));
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (text.empty() || text.back() != '\n') {
        std::fputc('\n', stdout);
    }
    return okResult();
}

std::string defaultSampleText()
{
    const std::string demo = findDemoModel();
    if (demo.empty()) {
        return {};
    }
    // The demo model lives in <root>/assets/models/demo (source tree) or <prefix>/share/attnscope/models/demo.
    const std::string sample = demo + "/../../samples/induction.txt";
    struct stat info {};
    return ::stat(sample.c_str(), &info) == 0 ? sample : std::string();
}

int reportError(const Error& error)
{
    if (error.code == ErrorCode::Cancelled) {
        std::fprintf(stderr, "attnscope: cancelled\n");
        return 1;
    }
    std::fprintf(stderr, "attnscope: error: %s\n", error.describe().c_str());
    return exitCodeFor(error.code);
}

} // namespace attnscope::cli
