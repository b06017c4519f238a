#pragma once
// The tokens of the text as wrapped chips; hover shows id, string and position and reports the
// position so that the heatmaps mark the same token.

#include "attnscope/workspace.h"

#include <QWidget>

#include <memory>
#include <vector>

namespace attnscope::gui {

class TokenStrip : public QWidget {
    Q_OBJECT
public:
    explicit TokenStrip(QWidget* parent = nullptr);

    void setTokens(std::shared_ptr<const TokenizedText> tokens);
    void setHoveredToken(int position);
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;

    /// A token as shown: spaces and newlines made visible.
    static QString displayText(const std::string& piece);

signals:
    void tokenHovered(int position);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    std::vector<QRectF> layoutChips(int width) const;

    std::shared_ptr<const TokenizedText> m_tokens;
    std::vector<QRectF> m_chips;
    int m_hovered = -1;
};

} // namespace attnscope::gui
