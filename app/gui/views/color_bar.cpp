#include "views/color_bar.h"

#include "colormap.h"

#include <QPainter>

namespace attnscope::gui {

ColorBar::ColorBar(const Colormap& map, QWidget* parent) : QWidget(parent), m_map(&map)
{
    setFixedWidth(58);
}

void ColorBar::setScale(const QString& title, std::function<QString(double)> label)
{
    m_title = title;
    m_label = std::move(label);
    update();
}

void ColorBar::setColormap(const Colormap& map)
{
    if (&map != m_map) {
        m_map = &map;
        update();
    }
}

void ColorBar::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Window));
    QFont font;
    font.setPixelSize(10);
    painter.setFont(font);
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRect(0, 2, width(), 16), Qt::AlignCenter, m_title);
    const QRect bar(6, 26, 14, std::max(20, height() - 46));
    for (int y = 0; y < bar.height(); ++y) {
        const float t = 1.0f - static_cast<float>(y) / static_cast<float>(std::max(1, bar.height() - 1));
        painter.setPen(QColor::fromRgb(m_map->map(t)));
        painter.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawRect(bar.adjusted(0, 0, -1, -1));
    if (!m_label) {
        return;
    }
    painter.setPen(palette().color(QPalette::WindowText));
    for (int i = 0; i <= 4; ++i) {
        const double t = i / 4.0;
        const int y = bar.bottom() - static_cast<int>(t * (bar.height() - 1));
        painter.drawLine(bar.right() + 1, y, bar.right() + 4, y);
        painter.drawText(QRect(bar.right() + 6, y - 8, width() - bar.right() - 6, 16), Qt::AlignLeft | Qt::AlignVCenter, m_label(t));
    }
}

} // namespace attnscope::gui
