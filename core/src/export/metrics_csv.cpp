#include "attnscope/data_export.h"

#include <cstdio>

namespace attnscope {

namespace {

std::string number(double value)
{
    char text[40];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

/// RFC 4180 quoting when a field has a comma, quote or newline (variant specs have commas).
std::string csvField(const std::string& text)
{
    if (text.find_first_of(",\"\n") == std::string::npos) {
        return text;
    }
    std::string quoted = "\"";
    for (const char character : text) {
        quoted += character == '"' ? std::string("\"\"") : std::string(1, character);
    }
    return quoted + "\"";
}

} // namespace

std::string compareResultCsv(const CompareResult& result)
{
    std::string csv = "variant,layer,head,density,recall,kl,kl_dense_effective,tv,jaccard,output_error,empty_rows,"
                      "sparse_flops,dense_flops,sparse_bytes,dense_bytes,perplexity\n";
    for (const VariantComparison& variant : result.variants) {
        const std::string perplexity = variant.perplexity >= 0 ? number(variant.perplexity) : std::string();
        for (const LayerComparison& layer : variant.layers) {
            for (const VariantMetrics& m : layer.heads) {
                csv += csvField(variant.variant) + "," + std::to_string(layer.layer) + "," + std::to_string(m.head) + "," +
                       number(m.density) + "," + number(m.recall) + "," + number(m.kl) + "," + number(m.klDenseEffective) +
                       "," + number(m.tv) + "," + number(m.jaccard) + "," + number(m.outputError) + "," +
                       std::to_string(m.emptyRows) + "," + number(m.sparseFlops) + "," + number(m.denseFlops) + "," +
                       number(m.sparseBytes) + "," + number(m.denseBytes) + "," + perplexity + "\n";
            }
        }
    }
    return csv;
}

} // namespace attnscope
