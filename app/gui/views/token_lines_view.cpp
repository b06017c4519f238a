#include "views/token_lines_view.h"

#include "attnscope/figure_token_lines.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

// The colours and the line rule are core's (figure_token_lines.h), shared with the exported figure.
const QColor kDenseColour(kDenseLineColour.red, kDenseLineColour.green, kDenseLineColour.blue);
const QColor kVariantColour(kVariantLineColour.red, kVariantLineColour.green, kVariantLineColour.blue);
const QColor kBackground(24, 25, 27);

} // namespace

TokenLinesView::TokenLinesView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(240, 160);
}

void TokenLinesView::setData(TokenLinesData data)
{
    m_data = std::move(data);
    if (m_isolated >= m_data.n) {
        m_isolated = -1;
    }
    update();
}

void TokenLinesView::setHoveredToken(int position)
{
    if (position == m_isolated) {
        return;
    }
    m_isolated = position >= 0 && position < m_data.n ? position : -1;
    m_isolatedIsKey = false;
    update();
}

TokenLinesView::Geometry TokenLinesView::geometry() const
{
    Geometry g;
    const double header = 22.0;
    g.top = header;
    g.row = m_data.n > 0 ? (height() - header - 4.0) / m_data.n : 0.0;
    g.labelWidth = std::clamp(width() * 0.22, 40.0, 140.0);
    g.leftX = g.labelWidth + 6.0;
    g.rightX = width() - g.labelWidth - 6.0;
    return g;
}

QRectF TokenLinesView::legendRect(bool variant) const
{
    const double x = std::min<double>(width() - 220, 250);
    return variant ? QRectF(x + 70, 2, 150, 18) : QRectF(x, 2, 66, 18);
}

void TokenLinesView::setLinesShown(bool dense, bool variant)
{
    m_showDense = dense;
    m_showVariant = variant;
    update();
}

void TokenLinesView::mousePressEvent(QMouseEvent* event)
{
    if (legendRect(false).contains(event->position())) {
        setLinesShown(!m_showDense, m_showVariant);
    } else if (legendRect(true).contains(event->position())) {
        setLinesShown(m_showDense, !m_showVariant);
    }
}

QPointF TokenLinesView::tokenAnchor(int position, bool keySide) const
{
    const Geometry g = geometry();
    return {keySide ? g.rightX : g.leftX, g.top + (position + 0.5) * g.row};
}

void TokenLinesView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), kBackground);
    m_drawnLines = 0;
    painter.setPen(QColor(200, 200, 208));
    if (m_data.n == 0) {
        painter.drawText(rect(), Qt::AlignCenter, tr("Token lines · waiting for a result"));
        return;
    }
    const Geometry g = geometry();
    const int n = m_data.n;
    painter.drawText(QRectF(4, 2, width() - 8, 18), Qt::AlignLeft | Qt::AlignVCenter,
                     tr("Layer %1 · head %2 · queries → keys · ").arg(m_data.layer).arg(m_data.head));
    // A hidden set's legend entry is drawn hollow and grey.
    painter.setPen(m_showDense ? kDenseColour : QColor(110, 110, 118));
    painter.drawText(legendRect(false), Qt::AlignLeft | Qt::AlignVCenter, (m_showDense ? tr("■ ") : tr("□ ")) + tr("dense"));
    painter.setPen(m_showVariant ? kVariantColour : QColor(110, 110, 118));
    painter.drawText(legendRect(true), Qt::AlignLeft | Qt::AlignVCenter,
                     (m_showVariant ? tr("■ ") : tr("□ ")) + m_data.variant);

    painter.setRenderHint(QPainter::Antialiasing, true);
    const double maxWidth = tokenLineMaxWidth(g.row);
    auto drawLines = [&](const std::vector<float>& matrix, const QColor& colour, TokenLineSet set) {
        if (matrix.size() != static_cast<std::size_t>(n) * n) {
            return;
        }
        for (int query = 0; query < n; ++query) {
            if (m_isolated >= 0 && !m_isolatedIsKey && query != m_isolated) {
                continue;
            }
            for (int key = 0; key < n; ++key) {
                if (m_isolated >= 0 && m_isolatedIsKey && key != m_isolated) {
                    continue;
                }
                const TokenLineStyle style =
                    tokenLineStyle(matrix[static_cast<std::size_t>(query) * n + key], maxWidth, set);
                if (!style.drawn) {
                    continue;
                }
                QColor line = colour;
                line.setAlphaF(style.alpha);
                painter.setPen(QPen(line, style.width, Qt::SolidLine, Qt::RoundCap));
                painter.drawLine(tokenAnchor(query, false), tokenAnchor(key, true));
                ++m_drawnLines;
            }
        }
    };
    // Drawn over, as the exported figure is: the variant's narrower orange core inside dense's blue
    // band. (Adding the colours turned every pair both keep white, so neither colour could be read.)
    if (m_showDense) {
        drawLines(m_data.dense, kDenseColour, TokenLineSet::Dense);
    }
    if (m_showVariant) {
        drawLines(m_data.effective, kVariantColour, TokenLineSet::Variant);
    }

    if (g.row >= 6.0) {
        QFont font = painter.font();
        font.setPixelSize(static_cast<int>(std::clamp(g.row * 0.75, 6.0, 13.0)));
        painter.setFont(font);
        for (int position = 0; position < n; ++position) {
            const QString label = position < m_data.tokens.size() ? m_data.tokens[position] : QString::number(position);
            const bool marked = position == m_isolated;
            painter.setPen(marked ? QColor(255, 255, 255) : QColor(190, 190, 198));
            const double y = g.top + position * g.row;
            if (marked) {
                painter.fillRect(QRectF(0, y, g.labelWidth, g.row), QColor(70, 70, 90));
                painter.fillRect(QRectF(width() - g.labelWidth, y, g.labelWidth, g.row), QColor(70, 70, 90));
            }
            painter.drawText(QRectF(0, y, g.labelWidth, g.row), Qt::AlignRight | Qt::AlignVCenter, label);
            painter.drawText(QRectF(width() - g.labelWidth, y, g.labelWidth, g.row), Qt::AlignLeft | Qt::AlignVCenter,
                             label);
        }
    }
}

void TokenLinesView::isolate(int position, bool keySide)
{
    if (position == m_isolated && keySide == m_isolatedIsKey) {
        return;
    }
    m_isolated = position;
    m_isolatedIsKey = keySide;
    update();
    emit tokenHovered(position);
}

void TokenLinesView::mouseMoveEvent(QMouseEvent* event)
{
    if (m_data.n == 0) {
        return;
    }
    const Geometry g = geometry();
    const QPointF point = event->position();
    const int position = g.row > 0.0 ? static_cast<int>(std::floor((point.y() - g.top) / g.row)) : -1;
    const bool onQueries = point.x() <= g.leftX;
    const bool onKeys = point.x() >= g.rightX;
    if (position < 0 || position >= m_data.n || (!onQueries && !onKeys)) {
        isolate(-1, false);
        return;
    }
    isolate(position, onKeys);
}

void TokenLinesView::leaveEvent(QEvent*)
{
    isolate(-1, false);
}

} // namespace attnscope::gui
