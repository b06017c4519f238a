#pragma once
// The single source of truth of what the user looks at (DESIGN.md §7.11): model, text, its tokens,
// layer/head, the variants compared with dense (1–4, one of them active: the one the knobs edit
// and single-variant views show) and hovered token. Views and panels observe it and never call
// each other.

#include "attnscope/workspace.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace attnscope::gui {

class SelectionModel : public QObject {
    Q_OBJECT
public:
    explicit SelectionModel(QObject* parent = nullptr);

    QString modelPath() const { return m_modelPath; }
    void setModelPath(const QString& path);

    /// Layer and head counts of the open model; the selected layer/head are clamped to them.
    void setModelShape(int layers, int heads);
    int layerCount() const { return m_layers; }
    int headCount() const { return m_heads; }

    QString text() const { return m_text; }
    void setText(const QString& text);

    /// The tokens of text(), as the worker produced them (null until the first tokenisation).
    std::shared_ptr<const TokenizedText> tokens() const { return m_tokens; }
    void setTokens(std::shared_ptr<const TokenizedText> tokens);

    int layer() const { return m_layer; }
    int head() const { return m_head; }
    void setHead(int layer, int head);

    /// Most variants compared at once.
    static constexpr int kMaxVariants = 4;

    /// The active variant's spec.
    QString variantSpec() const { return m_variantSpecs.value(m_activeVariant); }
    /// Replaces the active variant's spec.
    void setVariantSpec(const QString& spec);
    /// Every compared variant, in display order (never empty once set).
    QStringList variantSpecs() const { return m_variantSpecs; }
    /// Replaces the list (cut to kMaxVariants; an empty list is ignored); the active index is clamped.
    void setVariantSpecs(const QStringList& specs);
    int activeVariant() const { return m_activeVariant; }
    void setActiveVariant(int index);
    /// Appends a variant and makes it active; false when kMaxVariants are already shown.
    bool addVariant(const QString& spec);
    /// Removes a variant (the last one stays); the active index follows.
    void removeVariant(int index);

    /// Token position under the mouse in any view, or -1.
    int hoveredToken() const { return m_hoveredToken; }
    void setHoveredToken(int position);

signals:
    void modelPathChanged();
    void textChanged();
    void tokensChanged();
    void headChanged();
    /// The list, a spec in it, or the active index changed.
    void variantSpecChanged();
    void hoveredTokenChanged();

private:
    QString m_modelPath;
    QString m_text;
    std::shared_ptr<const TokenizedText> m_tokens;
    int m_layers = 0;
    int m_heads = 0;
    int m_layer = 0;
    int m_head = 0;
    QStringList m_variantSpecs;
    int m_activeVariant = 0;
    int m_hoveredToken = -1;
};

} // namespace attnscope::gui
