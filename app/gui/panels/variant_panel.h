#pragma once
// ImGui list of the compared variants (select, add, remove) and the knobs of the active one: a kind
// combo and one control per parameter, generated from
// variantRegistry() (slider over [min, sliderMax] for numbers, combo for enums, checkbox for bools).
// Only parameters that differ from their default are written into the spec.

#include "panels/panel_state.h"

#include <array>

namespace attnscope::gui {

class VariantPanel {
public:
    PanelActions draw(const PanelState& state);

private:
    void drawVariantList(const PanelState& state, PanelActions& actions);

    std::string m_bufferSpec;            // what the text field was last synced to
    std::array<char, 256> m_edit{};      // the spec text field
};

/// `spec` with `key` set to `value`, parameters equal to their default removed; canonical text.
std::string specWithParam(const std::string& spec, const std::string& key, const std::string& value);

/// A spec of `kind` that keeps the parameters of `previous` the new kind also has (and accepts).
std::string specForKind(const std::string& previous, const std::string& kind);

} // namespace attnscope::gui
