#include "panels/variant_panel.h"

#include "attnscope/variant_spec.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace attnscope::gui {

namespace {

std::string formatNumber(double value, bool integer)
{
    char text[64];
    if (integer) {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(std::llround(value)));
    } else {
        std::snprintf(text, sizeof text, "%.4g", value);
    }
    return text;
}

// Drops parameters written at their default so that specs stay short ("topk:k=8").
VariantSpec pruneDefaults(const VariantSpec& spec)
{
    VariantSpec pruned{spec.kind, {}};
    const VariantKindInfo* kind = findVariantKind(spec.kind);
    for (const auto& [key, value] : spec.params) {
        const ParamInfo* info = kind ? kind->param(key) : nullptr;
        if (info && info->defaultValue == value) {
            continue;
        }
        pruned.params.emplace_back(key, value);
    }
    return pruned;
}

} // namespace

std::string specWithParam(const std::string& spec, const std::string& key, const std::string& value)
{
    auto parsed = parseVariantSpec(spec);
    if (!parsed) {
        return spec;
    }
    VariantSpec updated = parsed.value();
    updated.set(key, value);
    if (!validateVariantSpec(updated)) {
        return spec;
    }
    return formatVariantSpec(pruneDefaults(updated));
}

std::string specForKind(const std::string& previous, const std::string& kind)
{
    VariantSpec next{kind, {}};
    auto parsed = parseVariantSpec(previous);
    const VariantKindInfo* info = findVariantKind(kind);
    if (parsed && info) {
        for (const auto& [key, value] : parsed.value().params) {
            if (info->param(key)) {
                VariantSpec candidate = next;
                candidate.set(key, value);
                if (validateVariantSpec(candidate)) {
                    next = candidate;
                }
            }
        }
    }
    return formatVariantSpec(pruneDefaults(next));
}

void VariantPanel::drawVariantList(const PanelState& state, PanelActions& actions)
{
    ImGui::Text("Variants (%d of %d)", static_cast<int>(state.variantSpecs.size()), state.maxVariants);
    ImGui::Separator();
    const bool removable = state.variantSpecs.size() > 1;
    for (int index = 0; index < static_cast<int>(state.variantSpecs.size()); ++index) {
        ImGui::PushID(index);
        const bool active = index == state.activeVariant;
        if (removable) {
            if (ImGui::SmallButton("x")) {
                actions.removeVariant = index;
            }
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("remove this variant");
            }
            ImGui::SameLine();
        }
        char label[300];
        std::snprintf(label, sizeof label, "%d  %s", index + 1, state.variantSpecs[static_cast<std::size_t>(index)].c_str());
        if (ImGui::Selectable(label, active) && !active) {
            actions.activeVariant = index;
        }
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("edit this variant's knobs (Alt+PgUp/PgDn steps)");
        }
        ImGui::PopID();
    }
    if (static_cast<int>(state.variantSpecs.size()) < state.maxVariants) {
        if (ImGui::Button("+ add variant")) {
            actions.addVariant = state.variantSpec.empty() ? std::string("topk") : state.variantSpec;
        }
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("compare one more variant (starts as a copy of the active one)");
        }
    }
}

PanelActions VariantPanel::draw(const PanelState& state)
{
    PanelActions actions;
    auto parsed = parseVariantSpec(state.variantSpec);
    const VariantSpec spec = parsed ? parsed.value() : VariantSpec{"dense", {}};
    const VariantKindInfo* kind = findVariantKind(spec.kind);

    drawVariantList(state, actions);
    ImGui::Separator();
    const auto& registry = variantRegistry();
    if (ImGui::BeginCombo("kind", spec.kind.c_str())) {
        for (const VariantKindInfo& entry : registry) {
            const bool selected = entry.name == spec.kind;
            if (ImGui::Selectable(entry.name.c_str(), selected) && !selected) {
                actions.variantSpec = specForKind(state.variantSpec, entry.name);
            }
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("%s", entry.description.c_str());
            }
        }
        ImGui::EndCombo();
    }
    if (kind) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextDisabled("%s", kind->description.c_str());
        ImGui::PopTextWrapPos();
        for (const ParamInfo& param : kind->params) {
            const std::string current = specString(spec, param.name);
            ImGui::PushID(param.name.c_str());
            std::optional<std::string> changed;
            switch (param.type) {
            case ParamType::Int: {
                const double hi = param.sliderMax > param.minValue ? param.sliderMax : std::min(param.maxValue, param.minValue + 100.0);
                const int lo = static_cast<int>(std::max(param.minValue + (param.minExclusive ? 1.0 : 0.0), -1e9));
                int value = static_cast<int>(std::clamp<long long>(specInt(spec, param.name), lo, 1000000000LL));
                if (ImGui::SliderInt(param.name.c_str(), &value, lo, static_cast<int>(std::min(hi, 1e9)), "%d",
                                     ImGuiSliderFlags_AlwaysClamp)) {
                    changed = formatNumber(value, true);
                }
                break;
            }
            case ParamType::Float: {
                const double hi = param.sliderMax > param.minValue ? param.sliderMax : std::min(param.maxValue, param.minValue + 1.0);
                const double lo = param.minValue + (param.minExclusive ? (hi - param.minValue) * 1e-3 : 0.0);
                float value = static_cast<float>(specFloat(spec, param.name));
                if (ImGui::SliderFloat(param.name.c_str(), &value, static_cast<float>(lo), static_cast<float>(hi), "%.3g",
                                       ImGuiSliderFlags_AlwaysClamp)) {
                    changed = formatNumber(value, false);
                }
                break;
            }
            case ParamType::Enum:
                if (ImGui::BeginCombo(param.name.c_str(), current.c_str())) {
                    for (const std::string& choice : param.choices) {
                        if (std::find(param.unavailable.begin(), param.unavailable.end(), choice) != param.unavailable.end()) {
                            continue;
                        }
                        if (ImGui::Selectable(choice.c_str(), choice == current) && choice != current) {
                            changed = choice;
                        }
                    }
                    ImGui::EndCombo();
                }
                break;
            case ParamType::Bool: {
                bool value = specBool(spec, param.name);
                if (ImGui::Checkbox(param.name.c_str(), &value)) {
                    changed = value ? "true" : "false";
                }
                break;
            }
            case ParamType::Path: {
                // A file path (the learned mode's predictor file): applied on Enter.
                std::array<char, 512> path{};
                std::snprintf(path.data(), path.size(), "%s", current.c_str());
                if (ImGui::InputText(param.name.c_str(), path.data(), path.size(),
                                     ImGuiInputTextFlags_EnterReturnsTrue) &&
                    path.data() != current && path[0] != '\0') {
                    changed = std::string(path.data());
                }
                break;
            }
            }
            if (ImGui::IsItemHovered() && !param.description.empty()) {
                ImGui::SetTooltip("%s", param.description.c_str());
            }
            if (changed) {
                actions.variantSpec = specWithParam(state.variantSpec, param.name, *changed);
            }
            ImGui::PopID();
        }
    }
    // The spec as text: what the CLI takes; Enter applies an edited one.
    if (m_bufferSpec != state.variantSpec) {
        m_bufferSpec = state.variantSpec;
        std::snprintf(m_edit.data(), m_edit.size(), "%s", state.variantSpec.c_str());
    }
    if (ImGui::InputText("spec", m_edit.data(), m_edit.size(), ImGuiInputTextFlags_EnterReturnsTrue)) {
        actions.variantSpec = std::string(m_edit.data());
    }
    if (!parsed) {
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", parsed.error().message.c_str());
    }
    return actions;
}

} // namespace attnscope::gui
