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
    if (m_variantSpecs.isEmpty()) {
        setVariantSpecs({spec});
        return;
    }
    if (spec == m_variantSpecs[m_activeVariant]) {
        return;
    }
    m_variantSpecs[m_activeVariant] = spec;
    emit variantSpecChanged();
}

void SelectionModel::setVariantSpecs(const QStringList& specs)
{
    const QStringList cut = specs.mid(0, kMaxVariants);
    if (cut.isEmpty() || cut == m_variantSpecs) {
        return;
    }
    m_variantSpecs = cut;
    m_activeVariant = std::clamp(m_activeVariant, 0, static_cast<int>(m_variantSpecs.size()) - 1);
    emit variantSpecChanged();
}

void SelectionModel::setActiveVariant(int index)
{
    index = std::clamp(index, 0, std::max(0, static_cast<int>(m_variantSpecs.size()) - 1));
    if (index == m_activeVariant) {
        return;
    }
    m_activeVariant = index;
    emit variantSpecChanged();
}

bool SelectionModel::addVariant(const QString& spec)
{
    if (m_variantSpecs.size() >= kMaxVariants) {
        return false;
    }
    m_variantSpecs.append(spec);
    m_activeVariant = static_cast<int>(m_variantSpecs.size()) - 1;
    emit variantSpecChanged();
    return true;
}

void SelectionModel::removeVariant(int index)
{
    if (m_variantSpecs.size() <= 1 || index < 0 || index >= m_variantSpecs.size()) {
        return;
    }
    m_variantSpecs.removeAt(index);
    if (m_activeVariant > index || m_activeVariant >= m_variantSpecs.size()) {
        m_activeVariant = std::max(0, m_activeVariant - 1);
    }
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
