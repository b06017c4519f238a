#include "panels/metrics_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>

namespace attnscope::gui {

namespace {

struct Row {
    const char* name;
    double VariantMetrics::*member;
    const char* help;
    bool bar;  ///< a [0, 1] quantity drawn as a bar
};

const Row kRows[] = {
    {"density", &VariantMetrics::density, "kept / allowed pairs", true},
    {"recall", &VariantMetrics::recall, "dense probability mass on the kept keys (mean over rows)", true},
    {"KL", &VariantMetrics::kl, "KL(effective || dense) per row, mean", false},
    {"TV", &VariantMetrics::tv, "total variation distance per row, mean", true},
    {"Jaccard", &VariantMetrics::jaccard, "kept set vs dense top-|kept| set", true},
    {"output error", &VariantMetrics::outputError, "||O - O_dense||_F / ||O_dense||_F", false},
};

VariantMetrics layerMean(const HeadGrid& grid, int layer)
{
    VariantMetrics mean;
    if (layer < 0 || layer >= static_cast<int>(grid.metrics.size()) || grid.metrics[layer].empty()) {
        return mean;
    }
    const auto& heads = grid.metrics[layer];
    for (const Row& row : kRows) {
        double sum = 0.0;
        for (const VariantMetrics& m : heads) {
            sum += m.*row.member;
        }
        mean.*row.member = sum / static_cast<double>(heads.size());
    }
    return mean;
}

VariantMetrics modelMean(const HeadGrid& grid)
{
    VariantMetrics mean;
    int count = 0;
    for (const auto& layer : grid.metrics) {
        for (const VariantMetrics& m : layer) {
            for (const Row& row : kRows) {
                mean.*row.member += m.*row.member;
            }
            ++count;
        }
    }
    for (const Row& row : kRows) {
        mean.*row.member /= std::max(1, count);
    }
    return mean;
}

} // namespace

void MetricsPanel::draw(const PanelState& state)
{
    ImGui::TextUnformatted("Metrics vs dense");
    ImGui::Separator();
    if (!state.comparison) {
        ImGui::TextDisabled(state.computing ? "computing…" : "no result yet");
        return;
    }
    const HeadComparison& c = *state.comparison;
    ImGui::Text("layer %d head %d · %d tokens", c.layer, c.head, c.dense.nTokens);
    ImGui::TextDisabled("%s", c.variant.c_str());
    const bool haveGrid = state.grid && state.grid->variant == c.variant && !state.grid->metrics.empty();
    const VariantMetrics layer = haveGrid ? layerMean(*state.grid, c.layer) : VariantMetrics{};
    const VariantMetrics model = haveGrid ? modelMean(*state.grid) : VariantMetrics{};
    if (ImGui::BeginTable("metrics", haveGrid ? 4 : 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupColumn("metric");
        ImGui::TableSetupColumn("head");
        if (haveGrid) {
            ImGui::TableSetupColumn("layer");
            ImGui::TableSetupColumn("model");
        }
        ImGui::TableHeadersRow();
        for (const Row& row : kRows) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(row.name);
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("%s", row.help);
            }
            ImGui::TableNextColumn();
            const double value = c.metrics.*row.member;
            if (row.bar) {
                char label[32];
                std::snprintf(label, sizeof label, "%.3f", value);
                ImGui::ProgressBar(static_cast<float>(std::clamp(value, 0.0, 1.0)), ImVec2(-1.0f, 0.0f), label);
            } else {
                ImGui::Text("%.4f", value);
            }
            if (haveGrid) {
                ImGui::TableNextColumn();
                ImGui::Text("%.3f", layer.*row.member);
                ImGui::TableNextColumn();
                ImGui::Text("%.3f", model.*row.member);
            }
        }
        ImGui::EndTable();
    }
    ImGui::Text("empty rows %d · head computed in %.1f ms", c.metrics.emptyRows, c.seconds * 1000.0);
    if (state.grid) {
        ImGui::TextDisabled("all heads in %.0f ms", state.grid->seconds * 1000.0);
    }
}

} // namespace attnscope::gui
