#pragma once
// The left column: what the model is, the text (edits are reported; the window debounces them),
// the token strip and the hovered token.

#include "compute_results.h"

#include <QWidget>

#include <memory>

class QLabel;
class QPlainTextEdit;

namespace attnscope::gui {

class TokenStrip;

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(QWidget* parent = nullptr);

    void setModel(const ModelLoaded& model);
    void setText(const QString& text);
    void setTokens(std::shared_ptr<const TokenizedText> tokens);
    void setHoveredToken(int position);

signals:
    void textEdited(const QString& text);
    void tokenHovered(int position);

private:
    QLabel* m_info = nullptr;
    QPlainTextEdit* m_text = nullptr;
    QLabel* m_tokenCount = nullptr;
    TokenStrip* m_strip = nullptr;
    QLabel* m_hovered = nullptr;
    std::shared_ptr<const TokenizedText> m_tokens;
};

} // namespace attnscope::gui
