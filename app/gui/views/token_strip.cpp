#include "views/token_strip.h"

#include "attnscope/figure_model.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

namespace attnscope::gui {

namespace {

constexpr double kChipHeight = 20.0;
constexpr double kGap = 3.0;

QFont chipFont()
{
    QFont font;
    font.setPixelSize(12);
    return font;
}

} // namespace

TokenStrip::TokenStrip(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

QString TokenStrip::displayText(const std::string& piece)
{
    // The labels exported figures use too (·, ↵, ∅).
    return QString::fromStdString(tokenDisplayText(piece));
}

std::vector<QRectF> TokenStrip::layoutChips(int width) const
{
    std::vector<QRectF> chips;
    if (!m_tokens) {
        return chips;
    }
    const QFontMetricsF metrics(chipFont());
    double x = 0;
    double y = 0;
    for (const std::string& piece : m_tokens->tokens) {
        const double w = std::min<double>(width, metrics.horizontalAdvance(displayText(piece)) + 10);
        if (x > 0 && x + w > width) {
            x = 0;
            y += kChipHeight + kGap;
        }
        chips.emplace_back(x, y, w, kChipHeight);
        x += w + kGap;
    }
    return chips;
}

int TokenStrip::heightForWidth(int width) const
{
    const auto chips = layoutChips(width);
    return chips.empty() ? static_cast<int>(kChipHeight) : static_cast<int>(chips.back().bottom() + 2);
}

QSize TokenStrip::sizeHint() const
{
    return {240, heightForWidth(240)};
}

void TokenStrip::setTokens(std::shared_ptr<const TokenizedText> tokens)
{
    m_tokens = std::move(tokens);
    m_chips = layoutChips(width());
    updateGeometry();
    update();
}

void TokenStrip::setHoveredToken(int position)
{
    if (position != m_hovered) {
        m_hovered = position;
        update();
    }
}

void TokenStrip::resizeEvent(QResizeEvent*)
{
    m_chips = layoutChips(width());
}

void TokenStrip::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setFont(chipFont());
    if (!m_tokens) {
        return;
    }
    for (std::size_t i = 0; i < m_chips.size(); ++i) {
        const bool hovered = static_cast<int>(i) == m_hovered;
        painter.setPen(hovered ? QColor(245, 166, 35) : QColor(70, 72, 80));
        painter.setBrush(hovered ? QColor(70, 55, 30) : QColor(40, 42, 47));
        painter.drawRoundedRect(m_chips[i], 3, 3);
        painter.setPen(QColor(215, 215, 222));
        painter.drawText(m_chips[i], Qt::AlignCenter, displayText(m_tokens->tokens[i]));
    }
}

void TokenStrip::mouseMoveEvent(QMouseEvent* event)
{
    int found = -1;
    for (std::size_t i = 0; i < m_chips.size(); ++i) {
        if (m_chips[i].contains(event->position())) {
            found = static_cast<int>(i);
            break;
        }
    }
    if (found >= 0 && m_tokens) {
        QToolTip::showText(event->globalPosition().toPoint(),
                           tr("#%1 \"%2\" id %3").arg(found).arg(QString::fromStdString(m_tokens->tokens[found]))
                               .arg(m_tokens->ids[found]),
                           this);
    }
    emit tokenHovered(found);
}

void TokenStrip::leaveEvent(QEvent*)
{
    emit tokenHovered(-1);
}

} // namespace attnscope::gui
