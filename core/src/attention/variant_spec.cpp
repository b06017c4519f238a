#include "attnscope/variant_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace attnscope {

namespace {

constexpr double kHugeBudget = 1e9;
constexpr double kMaxSeed = 9007199254740991.0; // 2^53 - 1: every seed survives a JSON round trip

ParamInfo intParam(std::string name, long long def, double minValue, double maxValue, double sliderMax,
                   std::string description)
{
    ParamInfo info;
    info.name = std::move(name);
    info.type = ParamType::Int;
    info.defaultValue = std::to_string(def);
    info.minValue = minValue;
    info.maxValue = maxValue;
    info.sliderMax = sliderMax;
    info.description = std::move(description);
    return info;
}

ParamInfo floatParam(std::string name, std::string def, double minValue, double maxValue, bool minExclusive,
                     double sliderMax, std::string description)
{
    ParamInfo info;
    info.name = std::move(name);
    info.type = ParamType::Float;
    info.defaultValue = std::move(def);
    info.minValue = minValue;
    info.maxValue = maxValue;
    info.minExclusive = minExclusive;
    info.sliderMax = sliderMax;
    info.description = std::move(description);
    return info;
}

ParamInfo enumParam(std::string name, std::string def, std::vector<std::string> choices,
                    std::vector<std::string> unavailable, std::string description)
{
    ParamInfo info;
    info.name = std::move(name);
    info.type = ParamType::Enum;
    info.defaultValue = std::move(def);
    info.choices = std::move(choices);
    info.unavailable = std::move(unavailable);
    info.description = std::move(description);
    return info;
}

ParamInfo boolParam(std::string name, bool def, std::string description)
{
    ParamInfo info;
    info.name = std::move(name);
    info.type = ParamType::Bool;
    info.defaultValue = def ? "true" : "false";
    info.maxValue = 1.0;
    info.description = std::move(description);
    return info;
}

ParamInfo pathParam(std::string name, std::string def, std::string description)
{
    ParamInfo info;
    info.name = std::move(name);
    info.type = ParamType::Path;
    info.defaultValue = std::move(def);
    info.description = std::move(description);
    return info;
}

// The learned mode's predictor file (issue #11): tools/fit_predictors.py --method <kind> writes it.
ParamInfo learnedParam(const std::string& kind)
{
    return pathParam("learned", kind + ".safetensors",
                     "mode=learned: predictor file of tools/fit_predictors.py --method " + kind +
                         "; a path, or a name in the model folder's predictors/");
}

ParamInfo seedParam()
{
    return intParam("seed", 0, 0, kMaxSeed, 1000,
                    "random seed; randomness is drawn from (seed, layer, head) so pictures are reproducible");
}

std::vector<VariantKindInfo> buildRegistry()
{
    std::vector<VariantKindInfo> kinds;
    kinds.push_back({"dense", "exact softmax attention on the model's own mask (the reference)", {}});
    kinds.push_back({"topk",
                     "oracle: the k largest exact scores per row (upper bound of any k-key selector)",
                     {intParam("k", 32, 1, kHugeBudget, 512,
                               "keys kept per query; clamped to the keys a row may see (k >= N is dense)")}});
    kinds.push_back({"topp", "oracle: smallest key set per row whose dense probability mass reaches p",
                     {floatParam("p", "0.9", 0, 1, true, 1, "mass to cover per row, in (0, 1]")}});
    kinds.push_back(
        {"threshold", "oracle: keys whose score is within delta of the row max, or whose probability >= prob",
         {enumParam("by", "delta", {"delta", "prob"}, {}, "delta: s_ij >= max_j s_ij - delta; prob: a_ij >= prob"),
          floatParam("delta", "4", 0, 1e6, false, 16, "logit gap below the row maximum (by=delta)"),
          floatParam("prob", "0.01", 0, 1, true, 0.2, "probability threshold (by=prob)")}});
    kinds.push_back({"window",
                     "local attention: |i-j| < w (bidirectional) or i-w < j <= i (causal)",
                     {intParam("w", 64, 1, kHugeBudget, 1024, "window width in tokens; w >= N is dense")}});
    kinds.push_back(
        {"strided", "Sparse Transformer fixed patterns (Child et al. 2019)",
         {enumParam("pattern", "strided", {"strided", "fixed"}, {},
                    "strided: i-j < l or (i-j) mod l = 0; fixed: same block of l, or j mod l >= l-c"),
          intParam("stride", 0, 0, kHugeBudget, 512, "l; 0 = round(sqrt(N))"),
          intParam("summary", 0, 0, kHugeBudget, 128, "c summary columns per block (fixed); 0 = max(1, l/4)")}});
    kinds.push_back(
        {"bigbird", "BigBird blocks (Zaheer et al. 2020): sliding + global + random blocks",
         {intParam("block", 16, 1, kHugeBudget, 256, "block size b in tokens"),
          intParam("window", 1, 0, kHugeBudget, 16, "sliding blocks on each side of the query block"),
          intParam("global", 1, 0, kHugeBudget, 8,
                   "leading global blocks (see every block and are seen by every block)"),
          intParam("random", 2, 0, kHugeBudget, 16, "random key blocks per query block"), seedParam()}});
    kinds.push_back(
        {"longformer", "Longformer (Beltagy et al. 2020): sliding window + symmetric global tokens",
         {intParam("w", 64, 1, kHugeBudget, 1024,
                   "total window width (bidirectional: the left side gets the extra key when w is even)"),
          intParam("global", 1, 0, kHugeBudget, 64, "leading global tokens (BOS/CLS first)")}});
    kinds.push_back({"random", "control: uniformly random keys per row at a target density",
                     {floatParam("density", "0.1", 0, 1, true, 1,
                                 "fraction of each row's allowed keys kept (at least one per row)"),
                      seedParam()}});
    kinds.push_back(
        {"performer", "Performer FAVOR+ (Choromanski et al. 2021): positive orthogonal random features",
         {intParam("features", 0, 0, 65536, 1024, "random features m; 0 = round(d ln d)"), seedParam()}});
    kinds.push_back(
        {"sea",
         "SEA (Lee et al. 2024), training-free: Performer estimate compressed to tm bins per row, top-k in "
         "the compressed domain, stretched back, exact attention on the kept keys",
         {enumParam("mode", "tf", {"tf", "oracle", "learned"}, {},
                    "tf: Performer estimate; oracle: exact dense mass pooled into the bins (upper bound); "
                    "learned: the fitted estimator of a predictor file (its tm and features are the file's)"),
          intParam("k", 32, 1, kHugeBudget, 256, "keys per query per head (budget over the row's used bins)"),
          intParam("tm", 128, 1, 65536, 512, "compressed width T_M (bins per row)"),
          intParam("features", 256, 1, 65536, 1024, "Performer random features m (mode=tf)"),
          enumParam("grouping", "heads", {"heads", "query"}, {},
                    "heads: the heads of a query share one budget (SEA's causal_batch); query: per head"),
          seedParam(), learnedParam("sea")}});
    kinds.push_back(
        {"sbm",
         "SBM-Transformer (Cho et al. 2022), training-free: k-means clusters, block matrix from dense "
         "mass, expected graph P = Q B K^T scaled to a density, seeded Bernoulli mask",
         {enumParam("mode", "kmeans", {"kmeans", "learned"}, {},
                    "kmeans: training-free recipe; learned: cluster embeddings, MLP and block matrix fitted with "
                    "the straight-through estimator (tools/fit_predictors.py), scaled to the density"),
          intParam("clusters", 16, 1, 65536, 128, "clusters k (a written k must not exceed N; the default becomes N on a shorter text)"),
          floatParam("density", "0.1", 0, 1, true, 1, "target expected density of the sampled mask"),
          floatParam("floor", "0.01", 0, 1, false, 0.1, "exploration floor added to P before sampling"),
          intParam("iters", 10, 1, 1000, 50, "k-means iterations"), seedParam(), learnedParam("sbm")}});
    kinds.push_back(
        {"dsa",
         "DSA (Liu et al. 2021, not DeepSeek's): rank-r random projection of q,k, b-bit quantisation, "
         "predicted scores -> top-k or threshold, exact attention on the kept keys",
         {enumParam("mode", "rp", {"rp", "learned"}, {},
                    "rp: Gaussian random projection (training-free); learned: projections fitted to the true "
                    "scores by MSE (tools/fit_predictors.py)"),
          intParam("rank", 0, 0, 65536, 128, "projection rank r; 0 = max(1, d/4) (mode=learned: the file's rank)"),
          intParam("bits", 8, 0, 16, 16, "prediction-path bits (0 = float, else 2..16)"),
          enumParam("select", "topk", {"topk", "threshold"}, {}, "row-balanced top-k or predicted-score threshold"),
          intParam("k", 0, 0, kHugeBudget, 512, "keys per row (select=topk); 0 = ceil(density * allowed)"),
          floatParam("density", "0.1", 0, 1, true, 1, "kept fraction per row when k = 0"),
          floatParam("delta", "4", 0, 1e6, false, 16, "select=threshold: keep s~_ij >= max_j s~_ij - delta"),
          intParam("block", 1, 1, 4096, 64,
                   "select=topk: queries per prediction block; B > 1 ranks a block's keys once by its summed "
                   "projected query (1 = per-row prediction, as in the paper)"),
          seedParam(), learnedParam("dsa")}});
    kinds.push_back(
        {"sac",
         "SAC (Li et al. 2020), training-free: a global budget of alpha*N edges chosen by a cheap score "
         "(low-rank scores + distance prior); rows get different edge counts",
         {enumParam("mode", "proxy", {"proxy", "oracle", "learned"}, {},
                    "proxy: DSA-style low-rank row-softmax scores; oracle: exact dense probabilities; learned: "
                    "the fitted LSTM edge predictor of a predictor file"),
          floatParam("alpha", "8", 0, kHugeBudget, true, 64, "edges per node; budget alpha*N clamped to allowed pairs"),
          enumParam("preset", "none", {"none", "full", "local", "adaptive-span", "multi-scale"}, {},
                    "special cases: full (dense), local window w, adaptive span (95% mass span per head), "
                    "multi-scale (window w + one key per dyadic distance)"),
          floatParam("beta", "0", 0, 1e3, false, 4, "weight of the distance prior -log(1+|i-j|) (proxy)"),
          intParam("rank", 0, 0, 65536, 128, "proxy projection rank; 0 = max(1, d/4)"),
          intParam("bits", 8, 0, 16, 16, "proxy quantisation bits (0 = float, else 2..16)"),
          intParam("w", 8, 1, kHugeBudget, 256, "window of the local and multi-scale presets"),
          floatParam("coverage", "0.95", 0, 1, true, 1, "adaptive-span: mean dense mass the span must cover"),
          boolParam("selfloop", true, "always keep the diagonal (no empty rows)"),
          floatParam("tau", "0", 0, 1e3, false, 2, "Gumbel-top temperature (0 = deterministic)"),
          seedParam(), learnedParam("sac")}});
    kinds.push_back(
        {"fast",
         "FAST / Fastmax (Gerami et al. 2024): factorised polynomial attention f(x) = 1 + x + x^2/2 on "
         "normalised q,k; density 1",
         {enumParam("mode", "paper", {"paper", "taylor"}, {"cal"},
                    "paper: max-norm-normalised q,k (x = q^.k^/tau); taylor: x = s q.k/tau, no normalisation"),
          intParam("order", 2, 1, 2, 2, "polynomial order p"),
          floatParam("tau", "1", 0, 1e6, true, 4, "temperature"),
          floatParam("lim", "1", 0, 1e6, true, 4, "norm bound after normalisation (mode=paper)"),
          boolParam("center", false, "subtract each token's feature mean before normalising (einops reference)"),
          enumParam("form", "auto", {"auto", "factorised", "explicit"}, {},
                    "how it is computed (same values up to rounding): factorised = the paper's moments, O(N d^3) "
                    "at order 2; explicit = every allowed pair, O(N^2 d); auto = whichever costs fewer")}});
    return kinds;
}

std::string trim(std::string_view text)
{
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) {
        ++begin;
    }
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) {
        --end;
    }
    return std::string(text.substr(begin, end - begin));
}

std::string formatNumber(double value)
{
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string rangeText(const ParamInfo& info)
{
    switch (info.type) {
    case ParamType::Int:
        if (info.maxValue >= kHugeBudget) {
            // The bound only keeps budgets finite; "[1, 1e+09]" read like a limit to respect.
            return "an integer >= " + formatNumber(info.minValue);
        }
        return "an integer in [" + formatNumber(info.minValue) + ", " + formatNumber(info.maxValue) + "]";
    case ParamType::Float:
        return std::string("a number in ") + (info.minExclusive ? "(" : "[") + formatNumber(info.minValue) + ", " +
               formatNumber(info.maxValue) + "]";
    case ParamType::Bool:
        return "true or false";
    case ParamType::Path:
        return "a file path without ',', '=' or ':'";
    case ParamType::Enum: {
        std::string text = "one of ";
        for (std::size_t index = 0; index < info.choices.size(); ++index) {
            text += (index ? "|" : "") + info.choices[index];
        }
        return text;
    }
    }
    return {};
}

bool parseInteger(const std::string& text, long long& value)
{
    const char* begin = text.data();
    const char* end = begin + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    return ec == std::errc() && ptr == end && !text.empty();
}

bool parseDouble(const std::string& text, double& value)
{
    if (text.empty()) {
        return false;
    }
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && std::isfinite(value);
}

bool parseBool(const std::string& text, bool& value)
{
    if (text == "true" || text == "1" || text == "on" || text == "yes") {
        value = true;
        return true;
    }
    if (text == "false" || text == "0" || text == "off" || text == "no") {
        value = false;
        return true;
    }
    return false;
}

Result<void> validateValue(const VariantKindInfo& kind, const ParamInfo& info, const std::string& value)
{
    auto invalid = [&] {
        return makeError(ErrorCode::InvalidArgument,
                         kind.name + ": parameter '" + info.name + "' = '" + value + "' is invalid; expected " +
                             rangeText(info),
                         kind.name, "bad_parameter");
    };
    switch (info.type) {
    case ParamType::Int: {
        long long parsed = 0;
        if (!parseInteger(value, parsed) || static_cast<double>(parsed) < info.minValue ||
            static_cast<double>(parsed) > info.maxValue) {
            return invalid();
        }
        if (info.name == "bits" && parsed == 1) {
            return makeError(ErrorCode::InvalidArgument,
                             kind.name + ": parameter 'bits' = 1 is invalid; expected 0 (float) or 2..16", kind.name,
                             "bad_parameter");
        }
        return okResult();
    }
    case ParamType::Float: {
        double parsed = 0.0;
        if (!parseDouble(value, parsed) || parsed > info.maxValue || parsed < info.minValue ||
            (info.minExclusive && parsed <= info.minValue)) {
            return invalid();
        }
        return okResult();
    }
    case ParamType::Bool: {
        bool parsed = false;
        return parseBool(value, parsed) ? okResult() : Result<void>(invalid());
    }
    case ParamType::Path:
        return value.empty() || value.find_first_of(",=:") != std::string::npos ? Result<void>(invalid())
                                                                                 : okResult();
    case ParamType::Enum:
        if (std::find(info.unavailable.begin(), info.unavailable.end(), value) != info.unavailable.end()) {
            return makeError(ErrorCode::Unsupported,
                             kind.name + ": " + info.name + "=" + value + " is not yet available (available: " +
                                 rangeText(info).substr(7) + ")",
                             kind.name, "not_yet_available");
        }
        if (std::find(info.choices.begin(), info.choices.end(), value) == info.choices.end()) {
            return invalid();
        }
        return okResult();
    }
    return okResult();
}

const ParamInfo* paramFor(const VariantSpec& spec, std::string_view key)
{
    const VariantKindInfo* kind = findVariantKind(spec.kind);
    return kind ? kind->param(key) : nullptr;
}

std::string valueOf(const VariantSpec& spec, std::string_view key)
{
    if (const std::string* written = spec.find(key)) {
        return *written;
    }
    const ParamInfo* info = paramFor(spec, key);
    return info ? info->defaultValue : std::string();
}

} // namespace

const std::string* VariantSpec::find(std::string_view key) const
{
    for (const auto& [name, value] : params) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

void VariantSpec::set(std::string_view key, std::string value)
{
    for (auto& [name, existing] : params) {
        if (name == key) {
            existing = std::move(value);
            return;
        }
    }
    params.emplace_back(std::string(key), std::move(value));
}

const ParamInfo* VariantKindInfo::param(std::string_view paramName) const
{
    for (const ParamInfo& info : params) {
        if (info.name == paramName) {
            return &info;
        }
    }
    return nullptr;
}

const std::vector<VariantKindInfo>& variantRegistry()
{
    static const std::vector<VariantKindInfo> registry = buildRegistry();
    return registry;
}

const VariantKindInfo* findVariantKind(std::string_view kind)
{
    for (const VariantKindInfo& info : variantRegistry()) {
        if (info.name == kind) {
            return &info;
        }
    }
    return nullptr;
}

Result<void> validateVariantSpec(const VariantSpec& spec)
{
    const VariantKindInfo* kind = findVariantKind(spec.kind);
    if (!kind) {
        std::string known;
        for (const VariantKindInfo& info : variantRegistry()) {
            known += (known.empty() ? "" : ", ") + info.name;
        }
        return makeError(ErrorCode::InvalidArgument, "unknown variant '" + spec.kind + "' (known: " + known + ")",
                         spec.kind, "unknown_variant");
    }
    for (std::size_t index = 0; index < spec.params.size(); ++index) {
        const auto& [key, value] = spec.params[index];
        const ParamInfo* info = kind->param(key);
        if (!info) {
            std::string known;
            for (const ParamInfo& param : kind->params) {
                known += (known.empty() ? "" : ", ") + param.name;
            }
            return makeError(ErrorCode::InvalidArgument,
                             spec.kind + ": unknown parameter '" + key + "' (parameters: " +
                                 (known.empty() ? std::string("none") : known) + ")",
                             spec.kind, "unknown_parameter");
        }
        for (std::size_t other = 0; other < index; ++other) {
            if (spec.params[other].first == key) {
                return makeError(ErrorCode::InvalidArgument, spec.kind + ": parameter '" + key + "' given twice",
                                 spec.kind, "duplicate_parameter");
            }
        }
        ATTNSCOPE_TRY(validateValue(*kind, *info, value));
    }
    return okResult();
}

Result<VariantSpec> parseVariantSpec(std::string_view text)
{
    VariantSpec spec;
    const std::size_t colon = text.find(':');
    spec.kind = trim(text.substr(0, colon));
    if (spec.kind.empty()) {
        return makeError(ErrorCode::InvalidArgument,
                         "variant spec '" + std::string(text) + "' has no kind; expected kind[:key=value,...]",
                         std::string(text), "malformed_spec");
    }
    for (char c : spec.kind) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
            return makeError(ErrorCode::InvalidArgument,
                             "variant spec '" + std::string(text) + "': bad character in kind '" + spec.kind + "'",
                             std::string(text), "malformed_spec");
        }
    }
    if (colon != std::string_view::npos) {
        std::string_view rest = text.substr(colon + 1);
        if (trim(rest).empty()) {
            return makeError(ErrorCode::InvalidArgument,
                             "variant spec '" + std::string(text) + "': no parameters after ':'", std::string(text),
                             "malformed_spec");
        }
        while (true) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = rest.substr(0, comma);
            const std::size_t equals = item.find('=');
            const std::string key = trim(item.substr(0, equals));
            const std::string value = equals == std::string_view::npos ? std::string() : trim(item.substr(equals + 1));
            if (equals == std::string_view::npos || key.empty() || value.empty() ||
                value.find_first_of("=:") != std::string::npos) {
                return makeError(ErrorCode::InvalidArgument,
                                 "variant spec '" + std::string(text) + "': expected key=value, got '" +
                                     trim(item) + "'",
                                 std::string(text), "malformed_spec");
            }
            spec.params.emplace_back(key, value);
            if (comma == std::string_view::npos) {
                break;
            }
            rest = rest.substr(comma + 1);
        }
    }
    // `kind:learned=PATH` is the learned mode's short form.
    if (spec.find("learned") && !spec.find("mode")) {
        if (const VariantKindInfo* kind = findVariantKind(spec.kind); kind && kind->param("mode")) {
            spec.params.insert(spec.params.begin(), {"mode", "learned"});
        }
    }
    ATTNSCOPE_TRY(validateVariantSpec(spec));
    return spec;
}

std::string formatVariantSpec(const VariantSpec& spec)
{
    std::string text = spec.kind;
    for (std::size_t index = 0; index < spec.params.size(); ++index) {
        text += (index == 0 ? ":" : ",") + spec.params[index].first + "=" + spec.params[index].second;
    }
    return text;
}

VariantSpec withDefaults(const VariantSpec& spec)
{
    VariantSpec full;
    full.kind = spec.kind;
    if (const VariantKindInfo* kind = findVariantKind(spec.kind)) {
        for (const ParamInfo& info : kind->params) {
            full.params.emplace_back(info.name, valueOf(spec, info.name));
        }
    }
    return full;
}

std::string describeVariantKinds()
{
    static const char* typeNames[] = {"int", "float", "enum", "bool", "path"};
    std::ostringstream out;
    for (const VariantKindInfo& kind : variantRegistry()) {
        out << kind.name << ": " << kind.description << "\n";
        for (const ParamInfo& info : kind.params) {
            out << "    " << info.name << " (" << typeNames[static_cast<int>(info.type)] << ", default "
                << info.defaultValue << ", " << rangeText(info) << "): " << info.description << "\n";
        }
    }
    return out.str();
}

long long specInt(const VariantSpec& spec, std::string_view key)
{
    long long value = 0;
    return parseInteger(valueOf(spec, key), value) ? value : 0;
}

double specFloat(const VariantSpec& spec, std::string_view key)
{
    double value = 0.0;
    return parseDouble(valueOf(spec, key), value) ? value : 0.0;
}

bool specBool(const VariantSpec& spec, std::string_view key)
{
    bool value = false;
    return parseBool(valueOf(spec, key), value) && value;
}

std::string specString(const VariantSpec& spec, std::string_view key)
{
    return valueOf(spec, key);
}

} // namespace attnscope
