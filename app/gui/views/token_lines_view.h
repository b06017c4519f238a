#pragma once
// Token lines (the BertViz head view): query tokens on the left, key tokens on the right, one line
// per (query, key) whose opacity and width follow the attention; dense and the variant in two
// colours on top of each other (either can be hidden from the legend). Hovering a token isolates
// its lines (a query's keys, or a key's queries) and reports the position, so every view marks the
// same token.

#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace attnscope::gui {

/// One head's dense attention and a variant's effective attention on the same tokens.
struct TokenLinesData {
    int layer = 0;
    int head = 0;
    int n = 0;
    QString variant;
    std::vector<float> dense;      ///< [n, n] row = query
    std::vector<float> effective;  ///< [n, n]
    QStringList tokens;            ///< n labels
};

class TokenLinesView : public QWidget {
    Q_OBJECT
public:
    explicit TokenLinesView(QWidget* parent = nullptr);

    void setData(TokenLinesData data);
    const TokenLinesData& data() const { return m_data; }
    bool hasData() const { return m_data.n > 0; }
    /// Marks the token hovered elsewhere (-1: none); its lines are isolated as for a hover here.
    void setHoveredToken(int position);
    /// The token whose lines are isolated, or -1.
    int isolatedToken() const { return m_isolated; }
    /// Lines drawn in the last paint (both colours), for tests.
    int drawnLineCount() const { return m_drawnLines; }
    /// Where token `position` sits on the query (left) or key (right) side, in widget coordinates.
    QPointF tokenAnchor(int position, bool keySide) const;
    /// Which line sets are drawn; clicking an entry of the legend toggles it.
    void setLinesShown(bool dense, bool variant);
    bool denseShown() const { return m_showDense; }
    bool variantShown() const { return m_showVariant; }
    /// The legend entry of the dense (false) or variant (true) lines, in widget coordinates.
    QRectF legendRect(bool variant) const;

signals:
    void tokenHovered(int position);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct Geometry {
        double top = 0.0;
        double row = 0.0;
        double leftX = 0.0;   // right edge of the query labels, where lines start
        double rightX = 0.0;  // left edge of the key labels, where lines end
        double labelWidth = 0.0;
    };
    Geometry geometry() const;
    void isolate(int position, bool keySide);

    TokenLinesData m_data;
    int m_isolated = -1;
    bool m_isolatedIsKey = false;
    int m_drawnLines = 0;
    bool m_showDense = true;
    bool m_showVariant = true;
};

} // namespace attnscope::gui
