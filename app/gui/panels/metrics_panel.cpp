#include "panels/metrics_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <vector>

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

unsigned int variantColour(int index)
{
    // Okabe-Ito orange, sky blue, bluish green, reddish purple: distinct under colour-vision deficiency.
    static const ImU32 kColours[] = {IM_COL32(230, 159, 0, 255), IM_COL32(86, 180, 233, 255),
                                     IM_COL32(0, 158, 115, 255), IM_COL32(204, 121, 167, 255)};
    return kColours[static_cast<std::size_t>(index) % std::size(kColours)];
}

namespace {

// A new table row whose first cell names variant `index` in its curve colour.
void variantRow(int index, const std::string& variant)
{
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushStyleColor(ImGuiCol_Text, variantColour(index));
    ImGui::TextUnformatted(variant.c_str());
    ImGui::PopStyleColor();
}

} // namespace

void MetricsPanel::draw(const PanelState& state, PanelActions& actions)
{
    ImGui::TextUnformatted("Metrics vs dense");
    ImGui::Separator();
    if (!state.comparison || state.comparison->variants.empty()) {
        ImGui::TextDisabled(state.computing ? "computing…" : "no result yet");
        return;
    }
    const HeadComparison& c = *state.comparison;
    const VariantHead& active = c.variantAt(state.activeVariant);
    ImGui::Text("layer %d head %d · %d tokens", c.layer, c.head, c.dense.nTokens);
    ImGui::TextDisabled("%s", active.variant.c_str());
    const bool haveGrid = state.grid && state.grid->variant == active.variant && !state.grid->metrics.empty();
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
            const double value = active.metrics.*row.member;
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
    ImGui::Text("empty rows %d · head computed in %.1f ms", active.metrics.emptyRows, c.seconds * 1000.0);
    if (state.grid) {
        ImGui::TextDisabled("all heads in %.0f ms", state.grid->seconds * 1000.0);
    }
    if (c.variants.size() > 1) {
        ImGui::Spacing();
        drawVariantTable(c);
    }
    ImGui::Spacing();
    drawCurves(state, actions);
}

void MetricsPanel::drawVariantTable(const HeadComparison& comparison)
{
    if (!ImGui::BeginTable("variants", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        return;
    }
    ImGui::TableSetupColumn("variant");
    ImGui::TableSetupColumn("density");
    ImGui::TableSetupColumn("recall");
    ImGui::TableSetupColumn("KL");
    ImGui::TableSetupColumn("out err");
    ImGui::TableHeadersRow();
    for (std::size_t index = 0; index < comparison.variants.size(); ++index) {
        const VariantHead& variant = comparison.variants[index];
        variantRow(static_cast<int>(index), variant.variant);
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", variant.metrics.density);
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", variant.metrics.recall);
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", variant.metrics.kl);
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", variant.metrics.outputError);
    }
    ImGui::EndTable();
}

void MetricsPanel::drawCurves(const PanelState& state, PanelActions& actions)
{
    ImGui::TextUnformatted("Recall vs density · perplexity");
    ImGui::Separator();
    if (ImGui::Button(state.curves ? "Recompute" : "Sweep budgets + perplexity")) {
        actions.computeCurves = true;
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("Sweeps each variant's budget on the selected head and runs the model with each "
                          "variant in every layer, or in the selected layer only (Esc cancels)");
    }
    bool selectedLayerOnly = state.perplexityInSelectedLayer;
    char label[64];
    std::snprintf(label, sizeof label, "perplexity: only in layer %d###layerOnly", state.layer);
    if (ImGui::Checkbox(label, &selectedLayerOnly)) {
        actions.perplexityInSelectedLayer = selectedLayerOnly;
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("Off: each variant replaces attention in every layer. On: only in layer %d, to see how "
                          "much that layer tolerates the variant",
                          state.layer);
    }
    if (!state.curves) {
        return;
    }
    const VariantCurves& curves = *state.curves;
    const bool stale = !state.comparison || curves.layer != state.comparison->layer ||
                       curves.head != state.comparison->head || curves.ids != state.comparison->ids;
    ImGui::TextDisabled("layer %d head %d%s · %.1f s", curves.layer, curves.head, stale ? " (stale)" : "",
                        curves.seconds);
    if (curves.densePerplexity > 0.0) {
        ImGui::TextDisabled("perplexity with each variant in %s", replacedLayersPhrase(curves.replacedLayers).c_str());
    }

    // The plot: density on x, recall on y, both [0, 1]; each sweep a polyline, the variant's current
    // setting on the selected head a ring.
    const float width = std::max(120.0f, ImGui::GetContentRegionAvail().x);
    const float height = std::min(width, 180.0f);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float pad = 24.0f;
    const ImVec2 lo(origin.x + pad, origin.y + height - pad);
    const ImVec2 hi(origin.x + width - 6.0f, origin.y + 6.0f);
    auto at = [&](double density, double recall) {
        return ImVec2(lo.x + static_cast<float>(std::clamp(density, 0.0, 1.0)) * (hi.x - lo.x),
                      lo.y + static_cast<float>(std::clamp(recall, 0.0, 1.0)) * (hi.y - lo.y));
    };
    const ImU32 axis = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    draw->AddRect(ImVec2(lo.x, hi.y), ImVec2(hi.x, lo.y), axis);
    draw->AddText(ImVec2(lo.x, lo.y + 4.0f), axis, "0");
    draw->AddText(ImVec2(hi.x - 40.0f, lo.y + 4.0f), axis, "density 1");
    draw->AddText(ImVec2(origin.x, hi.y), axis, "1");
    draw->AddText(ImVec2(origin.x, lo.y - 14.0f), axis, "R");
    for (std::size_t index = 0; index < curves.curves.size(); ++index) {
        const VariantCurves::Curve& curve = curves.curves[index];
        std::vector<ImVec2> points;
        for (const SweepPoint& point : curve.sweep.points) {
            points.push_back(at(point.mean.density, point.mean.recall));
        }
        const ImU32 colour = variantColour(static_cast<int>(index));
        if (points.size() >= 2) {
            draw->AddPolyline(points.data(), static_cast<int>(points.size()), colour, 0, 2.0f);
        }
        for (const ImVec2& point : points) {
            draw->AddCircleFilled(point, 2.5f, colour);
        }
        if (!stale && state.comparison && index < state.comparison->variants.size()) {
            const VariantMetrics& current = state.comparison->variants[index].metrics;
            draw->AddCircle(at(current.density, current.recall), 5.0f, colour, 0, 1.5f);
        }
    }
    ImGui::Dummy(ImVec2(width, height));

    if (!ImGui::BeginTable("perplexity", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        return;
    }
    ImGui::TableSetupColumn("variant");
    ImGui::TableSetupColumn("perplexity");
    ImGui::TableSetupColumn("vs dense");
    ImGui::TableHeadersRow();
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted("dense");
    ImGui::TableNextColumn();
    if (curves.densePerplexity > 0.0) {
        ImGui::Text("%.3f", curves.densePerplexity);
    } else {
        ImGui::TextDisabled("n/a");
    }
    ImGui::TableNextColumn();
    for (std::size_t index = 0; index < curves.curves.size(); ++index) {
        const VariantCurves::Curve& curve = curves.curves[index];
        variantRow(static_cast<int>(index), curve.variant);
        if (!curve.sweepError.empty() && ImGui::IsItemHovered()) {
            ImGui::SetTooltip("no curve: %s", curve.sweepError.c_str());
        }
        ImGui::TableNextColumn();
        if (curve.perplexity > 0.0) {
            ImGui::Text("%.3f", curve.perplexity);
        } else {
            ImGui::TextDisabled("n/a");
        }
        ImGui::TableNextColumn();
        if (curve.perplexity > 0.0 && curves.densePerplexity > 0.0) {
            ImGui::Text("%+.1f%%", (curve.perplexity / curves.densePerplexity - 1.0) * 100.0);
        }
    }
    ImGui::EndTable();
}

} // namespace attnscope::gui
