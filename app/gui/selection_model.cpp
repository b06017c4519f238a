#include "selection_model.h"

#include <algorithm>

namespace attnscope::gui {

SelectionModel::SelectionModel(QObject* parent) : QObject(parent) {}

void SelectionModel::setModelPath(const QString& path)
{
    if (path == m_modelPath) {
        return;
    }
    m_modelPath = path;
    emit modelPathChanged();
}

void SelectionModel::setModelShape(int layers, int heads)
{
    m_layers = std::max(0, layers);
    m_heads = std::max(0, heads);
    setHead(m_layer, m_head);
}

void SelectionModel::setText(const QString& text)
{
    if (text == m_text) {
        return;
    }
    m_text = text;
    emit textChanged();
}

void SelectionModel::setTokens(std::shared_ptr<const TokenizedText> tokens)
{
    m_tokens = std::move(tokens);
    if (m_tokens && m_hoveredToken >= static_cast<int>(m_tokens->ids.size())) {
        m_hoveredToken = -1;
    }
    emit tokensChanged();
}

void SelectionModel::setHead(int layer, int head)
{
    layer = std::clamp(layer, 0, std::max(0, m_layers - 1));
    head = std::clamp(head, 0, std::max(0, m_heads - 1));
    if (layer == m_layer && head == m_head) {
        return;
    }
    m_layer = layer;
    m_head = head;
    emit headChanged();
}

void SelectionModel::setVariantSpec(const QString& spec)
{
    if (spec == m_variantSpec) {
        return;
    }
    m_variantSpec = spec;
    emit variantSpecChanged();
}

void SelectionModel::setHoveredToken(int position)
{
    if (position == m_hoveredToken) {
        return;
    }
    m_hoveredToken = position;
    emit hoveredTokenChanged();
}

} // namespace attnscope::gui
