#include "attnscope/figure_model.h"

#include "attnscope/variant_spec.h"
#include "export/figure_labels.h"
#include "export/sha256.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace attnscope {

const char* colourScaleName(ColourScale scale)
{
    switch (scale) {
    case ColourScale::Linear: return "linear";
    case ColourScale::Sqrt: return "sqrt";
    case ColourScale::Log: return "log";
    }
    return "linear";
}

Result<ColourScale> parseColourScale(std::string_view name)
{
    for (const ColourScale scale : {ColourScale::Linear, ColourScale::Sqrt, ColourScale::Log}) {
        if (name == colourScaleName(scale)) {
            return scale;
        }
    }
    return makeError(ErrorCode::InvalidArgument, "unknown colour scale \"" + std::string(name) + "\" (linear, sqrt or log)");
}

float mapToColourScale(float x, float vmax, ColourScale scale)
{
    if (!std::isfinite(x)) {
        return 0.0f;
    }
    const float sign = x < 0.0f ? -1.0f : 1.0f;
    const double u = std::min(1.0, std::abs(static_cast<double>(x)) / std::max(1e-12, static_cast<double>(vmax)));
    double t = u;
    if (scale == ColourScale::Sqrt) {
        t = std::sqrt(u);
    } else if (scale == ColourScale::Log) {
        t = u <= 0.0 ? 0.0 : std::max(0.0, (std::log10(u) + kLogScaleDecades) / kLogScaleDecades);
    }
    return sign * static_cast<float>(t);
}

double unmapColourScale(double t, double vmax, ColourScale scale)
{
    if (scale == ColourScale::Sqrt) {
        return t * t * vmax;
    }
    if (scale == ColourScale::Log) {
        return t <= 0.0 ? 0.0 : vmax * std::pow(10.0, kLogScaleDecades * (t - 1.0));
    }
    return t * vmax;
}

std::string tokenDisplayText(std::string_view piece)
{
    std::string text;
    for (const char character : piece) {
        if (character == ' ') {
            text += "\xC2\xB7";  // U+00B7 middle dot
        } else if (character == '\n') {
            text += "\xE2\x86\xB5";  // U+21B5 downwards arrow with corner leftwards
        } else {
            text.push_back(character);
        }
    }
    return text.empty() ? std::string("\xE2\x88\x85") : text;  // U+2205 empty set
}

std::vector<std::pair<std::string, std::string>> FigureProvenance::entries() const
{
    std::vector<std::pair<std::string, std::string>> list;
    auto add = [&](const char* key, const std::string& value) {
        if (!value.empty()) {
            list.emplace_back(key, value);
        }
    };
    add("attnscope_version", version);
    add("model", modelPath);
    add("model_sha256", modelHash);
    add("text_sha256", textHash);
    add("layer", layer >= 0 ? std::to_string(layer) : std::string());
    add("head", head >= 0 ? std::to_string(head) : std::string());
    add("variant", variant);
    add("seed", seed);
    return list;
}

std::string FigureProvenance::captionText() const
{
    std::string text = "attnscope " + version;
    for (const auto& [key, value] : entries()) {
        if (key == "attnscope_version") {
            continue;
        }
        // Hashes are long; 12 hex digits identify a file in a caption, the metadata has all 64.
        const bool hash = key.size() > 7 && key.compare(key.size() - 7, 7, "_sha256") == 0;
        text += " \xC2\xB7 " + key + " " + (hash ? value.substr(0, 12) : value);
    }
    return text;
}

FigureProvenance headProvenance(const std::string& modelPath, const std::string& modelHash, const std::string& textHash,
                                int layer, int head, const std::string& variant)
{
    FigureProvenance provenance;
    provenance.version = versionString();
    provenance.modelPath = modelPath;
    provenance.modelHash = modelHash;
    provenance.textHash = textHash;
    provenance.layer = layer;
    provenance.head = head;
    provenance.variant = variant;
    // "spec; spec": one seed per variant, in order, when any of them has one.
    std::vector<std::string> seeds;
    bool anySeed = false;
    for (std::size_t start = 0; start <= variant.size();) {
        std::size_t end = variant.find("; ", start);
        end = end == std::string::npos ? variant.size() : end;
        auto spec = parseVariantSpec(variant.substr(start, end - start));
        const std::string* seed = spec ? spec->find("seed") : nullptr;
        seeds.push_back(seed != nullptr ? *seed : std::string("-"));
        anySeed = anySeed || seed != nullptr;
        start = end + 2;
    }
    for (std::size_t index = 0; anySeed && index < seeds.size(); ++index) {
        provenance.seed += (index == 0 ? "" : "; ") + seeds[index];
    }
    return provenance;
}

namespace {

std::string formatTick(double value)
{
    if (value == 0.0) {
        return "0";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.2g", value);
    return text;
}

std::vector<std::pair<double, std::string>> attentionTicks(float vmax, ColourScale scale)
{
    std::vector<std::pair<double, std::string>> ticks;
    for (int i = 0; i <= 4; ++i) {
        const double t = i / 4.0;
        ticks.emplace_back(t, formatTick(unmapColourScale(t, vmax, scale)));
    }
    return ticks;
}

std::vector<std::pair<double, std::string>> differenceTicks(float vmax, ColourScale scale)
{
    std::vector<std::pair<double, std::string>> ticks;
    for (int i = 0; i <= 4; ++i) {
        const double t = i / 4.0;
        const double signedT = t * 2.0 - 1.0;
        const double value = unmapColourScale(std::abs(signedT), vmax, scale);
        ticks.emplace_back(t, formatTick(signedT < 0 ? -value : value));
    }
    return ticks;
}


Result<std::size_t> checkedCells(const HeadAttention& attention)
{
    const std::size_t cells = static_cast<std::size_t>(attention.nTokens) * static_cast<std::size_t>(attention.nTokens);
    if (attention.nTokens <= 0 || attention.attention.size() != cells) {
        return makeError(ErrorCode::ShapeMismatch, "attention of " + attention.variant + " has " +
                                                       std::to_string(attention.attention.size()) + " values for " +
                                                       std::to_string(attention.nTokens) + " tokens");
    }
    return cells;
}

std::string headTitle(const HeadAttention& attention)
{
    return "layer " + std::to_string(attention.layer) + " \xC2\xB7 head " + std::to_string(attention.head);
}

FigurePanel mappedPanel(std::string title, const std::vector<float>& values, int n, float vmax, ColourScale scale)
{
    FigurePanel panel;
    panel.title = std::move(title);
    panel.n = n;
    panel.values.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        panel.values[i] = mapToColourScale(values[i], vmax, scale);
    }
    return panel;
}

float largestValue(const std::vector<float>& values, float floor)
{
    float vmax = floor;
    for (const float value : values) {
        if (std::isfinite(value)) {
            vmax = std::max(vmax, value);
        }
    }
    return vmax;
}

} // namespace

Result<std::vector<std::string>> displayLabels(const std::vector<std::string>& pieces, int n)
{
    if (!pieces.empty() && static_cast<int>(pieces.size()) != n) {
        return makeError(ErrorCode::ShapeMismatch, std::to_string(pieces.size()) + " token labels for a " +
                                                       std::to_string(n) + "-token matrix");
    }
    std::vector<std::string> labels;
    labels.reserve(pieces.size());
    for (const std::string& piece : pieces) {
        labels.push_back(tokenDisplayText(piece));
    }
    return labels;
}

Result<FigureModel> buildCompareFigure(const HeadAttention& dense, const HeadAttention& effective,
                                       const std::vector<std::string>& pieces, ColourScale scale)
{
    return buildCompareFigure(dense, std::vector<const HeadAttention*>{&effective}, pieces, scale, 0);
}

Result<FigureModel> buildCompareFigure(const HeadAttention& dense, const std::vector<const HeadAttention*>& variants,
                                       const std::vector<std::string>& pieces, ColourScale scale, int outlined)
{
    constexpr std::size_t kMaxVariants = 4;
    if (variants.empty() || variants.size() > kMaxVariants) {
        return makeError(ErrorCode::InvalidArgument, "a compare figure shows 1 to 4 variants, not " + std::to_string(variants.size()));
    }
    auto cells = checkedCells(dense);
    if (!cells) {
        return cells.error();
    }
    for (const HeadAttention* variant : variants) {
        ATTNSCOPE_TRY(checkedCells(*variant));
        if (variant->nTokens != dense.nTokens) {
            return makeError(ErrorCode::ShapeMismatch, "dense and " + variant->variant + " attention differ in size");
        }
    }
    auto labels = displayLabels(pieces, dense.nTokens);
    if (!labels) {
        return labels.error();
    }
    const int n = dense.nTokens;
    // One scale for every map: the largest value of any map is the top of both bars.
    float vmax = largestValue(dense.attention, 1e-6f);
    std::string names;
    for (const HeadAttention* variant : variants) {
        vmax = largestValue(variant->attention, vmax);
        names += (names.empty() ? "" : "; ") + variant->variant;
    }
    const bool oneRow = variants.size() == 1;
    const int last = static_cast<int>(variants.size());
    FigureModel figure;
    figure.title = headTitle(dense) + " \xC2\xB7 " + (oneRow ? names : std::to_string(variants.size()) + " variants") +
                   " vs dense \xC2\xB7 " + colourScaleName(scale) + " scale";
    figure.tokens = std::move(labels.value());
    const HeadAttention& kept = *variants[static_cast<std::size_t>(std::clamp(outlined, 0, last - 1))];
    figure.panels.push_back(mappedPanel(oneRow ? std::string("dense (outline: kept)") : "dense (outline: " + kept.variant + ")",
                                        dense.attention, n, vmax, scale));
    figure.panels.back().rowLabels = true;
    if (kept.mask.size() == cells.value()) {
        figure.panels.back().outline = kept.mask;
    }
    for (int index = 0; index < last; ++index) {
        const HeadAttention& variant = *variants[static_cast<std::size_t>(index)];
        figure.panels.push_back(mappedPanel(variant.variant, variant.attention, n, vmax, scale));
        figure.panels.back().column = 1 + index;
        std::vector<float> difference(cells.value());
        for (std::size_t i = 0; i < difference.size(); ++i) {
            difference[i] = variant.attention[i] - dense.attention[i];
        }
        figure.panels.push_back(mappedPanel(oneRow ? std::string("variant \xE2\x88\x92 dense") : variant.variant + " \xE2\x88\x92 dense",
                                            difference, n, vmax, scale));
        figure.panels.back().diverging = true;
        figure.panels.back().row = oneRow ? 0 : 1;
        figure.panels.back().column = oneRow ? 2 : 1 + index;
    }
    figure.colourBars.push_back({"attention", false, attentionTicks(vmax, scale), 0, oneRow ? 1 : last});
    figure.colourBars.push_back({"difference", true, differenceTicks(vmax, scale), oneRow ? 0 : 1, oneRow ? 2 : last});
    figure.provenance.version = versionString();
    figure.provenance.layer = dense.layer;
    figure.provenance.head = dense.head;
    figure.provenance.variant = names;
    return figure;
}

Result<FigureModel> buildHeatmapFigure(const HeadAttention& attention, const std::vector<std::string>& pieces,
                                       ColourScale scale)
{
    auto cells = checkedCells(attention);
    if (!cells) {
        return cells.error();
    }
    auto labels = displayLabels(pieces, attention.nTokens);
    if (!labels) {
        return labels.error();
    }
    const float vmax = largestValue(attention.attention, 1e-6f);
    FigureModel figure;
    figure.title = headTitle(attention) + " \xC2\xB7 " + attention.variant + " \xC2\xB7 " + colourScaleName(scale) + " scale";
    figure.tokens = std::move(labels.value());
    figure.panels.push_back(mappedPanel(attention.variant, attention.attention, attention.nTokens, vmax, scale));
    figure.panels.back().rowLabels = true;
    if (attention.variant != "dense" && attention.mask.size() == cells.value()) {
        figure.panels.back().outline = attention.mask;
    }
    figure.colourBars.push_back({"attention", false, attentionTicks(vmax, scale), 0, 0});
    figure.provenance.version = versionString();
    figure.provenance.layer = attention.layer;
    figure.provenance.head = attention.head;
    figure.provenance.variant = attention.variant;
    return figure;
}

std::string sha256Hex(std::string_view bytes)
{
    Sha256 hash;
    hash.update(bytes);
    return hash.finishHex();
}

namespace {

/// Hashes a file in 1 MiB reads, adding each read to `done` and reporting it.
Result<std::string> fileSha256(const std::filesystem::path& path, std::uint64_t& done, std::uint64_t total,
                               const FingerprintProgress& progress)
{
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return makeError(ErrorCode::FileIo, "cannot read the file to hash it", path.string());
    }
    Sha256 hash;
    std::string buffer(1 << 20, '\0');
    while (stream) {
        stream.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto count = static_cast<std::size_t>(stream.gcount());
        hash.update(std::string_view(buffer.data(), count));
        done += count;
        if (progress && !progress(done, total)) {
            return makeError(ErrorCode::Cancelled, "hashing the model was stopped", path.string());
        }
    }
    if (stream.bad()) {
        return makeError(ErrorCode::FileIo, "read failed while hashing", path.string());
    }
    return hash.finishHex();
}

std::uint64_t fileSize(const std::filesystem::path& path)
{
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    return error ? 0 : static_cast<std::uint64_t>(size);
}

bool fingerprinted(const std::filesystem::path& path)
{
    const std::string name = path.filename().string();
    const std::string extension = path.extension().string();
    return name == "config.json" || name == "tokenizer.json" || name == "model.safetensors.index.json" ||
           extension == ".safetensors" || extension == ".gguf";
}

} // namespace

Result<std::string> modelFingerprint(const std::string& path)
{
    return modelFingerprint(path, FingerprintProgress());
}

Result<std::string> modelFingerprint(const std::string& path, const FingerprintProgress& progress)
{
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status)) {
        return makeError(ErrorCode::FileNotFound, "no such model file or folder", path);
    }
    std::uint64_t done = 0;
    if (!std::filesystem::is_directory(status)) {
        return fileSha256(path, done, fileSize(path), progress);
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
        if (entry.is_regular_file() && fingerprinted(entry.path())) {
            files.push_back(entry.path());
        }
    }
    if (error) {
        return makeError(ErrorCode::FileIo, "cannot list the model folder: " + error.message(), path);
    }
    std::sort(files.begin(), files.end());
    std::uint64_t total = 0;
    for (const auto& file : files) {
        total += fileSize(file);
    }
    std::string listing;
    for (const auto& file : files) {
        auto hash = fileSha256(file, done, total, progress);
        if (!hash) {
            return hash.error();
        }
        listing += hash.value() + "  " + file.filename().string() + "\n";
    }
    return sha256Hex(listing);
}

} // namespace attnscope
