// Issue #7's end-to-end goal: recomputing one variant for every head of one layer of Gemma 3 270M
// at N = 4096 (what the workbench does when a knob moves and the head grid follows), well under a
// 16 ms frame. Runs the same core call as the app (attn::runLayerVariant on the layer's Q/K/V,
// every head, effective attention kept, metrics off: they are the CPU's job and are timed by
// bench_knob_core) on Gemma 3 270M's layer shape: 4 query heads sharing 1 KV head, d = 256,
// scale 1/16, causal; its local layers also limit keys to a 512-token window. Q/K/V are Gaussian
// with a fixed seed. Wall time per call, so it includes uploads, CSR building and downloads; the
// backend that actually ran is printed beside each figure (on a machine without a GPU, or with
// --backend cpu, this is the CPU's figure for the same work).
//
//   bench_gpu_layer_variant [--tokens 4096] [--reps 10] [--backend auto|cpu] [--csv FILE]
//                           [--variants "topk:k=410;window:w=256;dsa:density=0.1;bigbird"]
#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "model/layer_qkv.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace attnscope;

struct Options {
    int tokens = 4096;
    int reps = 10;
    VariantBackend backend = VariantBackend::Auto;
    std::string csvPath;
    std::vector<std::string> variants = {"topk:k=410", "window:w=256", "dsa:density=0.1", "bigbird"};
};

// Gemma 3 270M: hidden 640, 4 heads, 1 KV head, head_dim 256, query_pre_attn_scalar 256, local
// layers with a 512-token sliding window (5 of every 6 layers), the others global.
LayerQkv gemmaLayer(int tokens, bool local)
{
    LayerQkv layer;
    layer.layer = local ? 0 : 5;
    layer.nHeads = 4;
    layer.nKvHeads = 1;
    layer.nTokens = tokens;
    layer.headDim = 256;
    layer.scale = 1.0f / 16.0f;
    layer.causal = true;
    layer.slidingWindow = local ? 512 : 0;
    std::mt19937 rng(local ? 7u : 11u);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const std::size_t perHead = static_cast<std::size_t>(tokens) * layer.headDim;
    layer.q.resize(perHead * layer.nHeads);
    layer.k.resize(perHead * layer.nKvHeads);
    layer.v.resize(perHead * layer.nKvHeads);
    for (std::vector<float>* values : {&layer.q, &layer.k, &layer.v}) {
        for (float& value : *values) {
            value = normal(rng);
        }
    }
    return layer;
}

std::vector<std::string> splitList(const std::string& text, char separator)
{
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find(separator, start), text.size());
        if (end > start) {
            items.push_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return items;
}

// "cpu", "cuda" or "cuda+cpu" over the heads, for the attention or the selection.
std::string backendsOf(const LayerVariantResult& result, bool selection)
{
    std::set<std::string> names;
    for (const HeadVariantResult& head : result.heads) {
        const std::string& name = selection ? head.stats.selectionBackend : head.stats.attentionBackend;
        if (!name.empty()) {
            names.insert(name);
        }
    }
    std::string joined;
    for (const std::string& name : names) {
        joined += (joined.empty() ? "" : "+") + name;
    }
    return joined.empty() ? "-" : joined;
}

int usage()
{
    std::fprintf(stderr, "usage: bench_gpu_layer_variant [--tokens 4096] [--reps 10] [--backend auto|cpu] [--csv FILE]\n"
                         "                               [--variants \"SPEC;SPEC;...\"]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    for (int index = 1; index < argc; ++index) {
        const std::string arg = argv[index];
        const bool hasValue = index + 1 < argc;
        if (arg == "--tokens" && hasValue) {
            options.tokens = std::atoi(argv[++index]);
        } else if (arg == "--reps" && hasValue) {
            options.reps = std::atoi(argv[++index]);
        } else if (arg == "--backend" && hasValue) {
            const std::string value = argv[++index];
            if (value != "auto" && value != "cpu") {
                return usage();
            }
            options.backend = value == "cpu" ? VariantBackend::Cpu : VariantBackend::Auto;
        } else if (arg == "--csv" && hasValue) {
            options.csvPath = argv[++index];
        } else if (arg == "--variants" && hasValue) {
            options.variants = splitList(argv[++index], ';');
        } else {
            return usage();
        }
    }
    if (options.tokens < 1 || options.reps < 1 || options.variants.empty()) {
        return usage();
    }
    std::FILE* csv = nullptr;
    if (!options.csvPath.empty()) {
        csv = std::fopen(options.csvPath.c_str(), "w");
        if (csv == nullptr) {
            std::fprintf(stderr, "bench_gpu_layer_variant: cannot write %s\n", options.csvPath.c_str());
            return 1;
        }
        std::fprintf(csv, "variant,layer,tokens,heads,head_dim,attention_backend,selection_backend,median_ms,min_ms,reps\n");
    }

    VariantRunOptions run;
    run.keepAttention = true;
    run.computeMetrics = false;
    run.maxMaterialisedTokens = 0;  // no N×N estimates: the views ask for one head's on demand
    run.backend = options.backend;
    std::printf("%-22s %-7s %6s %-10s %-10s %10s %10s  %s\n", "variant", "layer", "N", "attention", "selection",
                "median ms", "min ms", "fallback reason (first head)");
    int failures = 0;
    for (const bool local : {false, true}) {
        const LayerQkv layer = gemmaLayer(options.tokens, local);
        for (const std::string& text : options.variants) {
            auto spec = parseVariantSpec(text);
            if (!spec) {
                std::fprintf(stderr, "bench_gpu_layer_variant: %s: %s\n", text.c_str(), spec.error().describe().c_str());
                return 2;
            }
            std::vector<double> millis;
            Result<LayerVariantResult> last = makeError(ErrorCode::Internal, "not run");
            for (int rep = -1; rep < options.reps; ++rep) {  // rep -1: warm-up (first CUDA context use, page faults)
                const auto start = std::chrono::steady_clock::now();
                last = attn::runLayerVariant(layer, spec.value(), run);
                const auto stop = std::chrono::steady_clock::now();
                if (!last) {
                    break;
                }
                if (rep >= 0) {
                    millis.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
                }
            }
            if (!last) {
                std::fprintf(stderr, "bench_gpu_layer_variant: %s: %s\n", text.c_str(), last.error().describe().c_str());
                ++failures;
                continue;
            }
            std::sort(millis.begin(), millis.end());
            const double median = millis[millis.size() / 2];
            const std::string attention = backendsOf(last.value(), false);
            const std::string selection = backendsOf(last.value(), true);
            const std::string& reason = last->heads.front().stats.backendFallbackReason;
            std::printf("%-22s %-7s %6d %-10s %-10s %10.2f %10.2f  %s\n", text.c_str(), local ? "local" : "global",
                        options.tokens, attention.c_str(), selection.c_str(), median, millis.front(),
                        reason.empty() ? "-" : reason.c_str());
            if (csv != nullptr) {
                std::fprintf(csv, "\"%s\",%s,%d,%d,%d,%s,%s,%.4f,%.4f,%d\n", text.c_str(), local ? "local" : "global",
                             options.tokens, layer.nHeads, layer.headDim, attention.c_str(), selection.c_str(), median,
                             millis.front(), options.reps);
            }
        }
    }
    if (csv != nullptr) {
        std::fclose(csv);
    }
    return failures == 0 ? 0 : 1;
}
