#include "views/structure_panels.h"

#include "colormap.h"

#include "attnscope/figure_structure.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

const QColor kBackground(24, 25, 27);
const QColor kBlank(40, 41, 45);
constexpr double kHeaderHeight = 22.0;
constexpr double kTitleHeight = 18.0;

QImage panelImage(const StructurePanel& panel)
{
    if (panel.bars || panel.rows < 1 || panel.cols < 1 ||
        panel.values.size() != static_cast<std::size_t>(panel.rows) * panel.cols) {
        return {};
    }
    // Core's range, as the exported structure figure colours the same panel.
    const StructureRange range = structureRange(panel.values, panel.valid, panel.diverging, false);
    const Colormap& map = panel.diverging ? Colormap::diverging() : Colormap::viridis();
    QImage image(panel.cols, panel.rows, QImage::Format_RGB32);
    for (int r = 0; r < panel.rows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
        for (int c = 0; c < panel.cols; ++c) {
            const std::size_t i = static_cast<std::size_t>(r) * panel.cols + c;
            const bool valid = panel.valid.size() != panel.values.size() || panel.valid[i];
            line[c] = valid ? map.map(structureColourPosition(panel.values[i], range)) : kBlank.rgb();
        }
    }
    return image;
}

} // namespace

StructurePanelsView::StructurePanelsView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(240, 160);
}

void StructurePanelsView::setPanels(const QString& header, std::vector<StructurePanel> panels)
{
    m_header = header;
    m_panels = std::move(panels);
    m_images.clear();
    for (const StructurePanel& panel : m_panels) {
        m_images.push_back(panelImage(panel));
    }
    update();
}

void StructurePanelsView::setHoveredToken(int position)
{
    if (position != m_hovered) {
        m_hovered = position;
        update();
    }
}

std::vector<StructurePanelsView::PanelRects> StructurePanelsView::layoutPanels() const
{
    std::vector<PanelRects> plots;
    const int count = static_cast<int>(m_panels.size());
    if (count == 0) {
        return plots;
    }
    // As many columns as keep the panels closest to square.
    const double aspect = width() / std::max(1.0, height() - kHeaderHeight);
    const int columns = std::clamp(static_cast<int>(std::ceil(std::sqrt(count * aspect))), 1, count);
    const int rows = (count + columns - 1) / columns;
    const double cellWidth = (width() - 8.0) / columns;
    const double cellHeight = (height() - kHeaderHeight - 2.0) / rows;
    for (int index = 0; index < count; ++index) {
        const StructurePanel& panel = m_panels[static_cast<std::size_t>(index)];
        const QRectF cell(4.0 + (index % columns) * cellWidth, kHeaderHeight + (index / columns) * cellHeight,
                          cellWidth, cellHeight);
        QRectF plot = cell.adjusted(4, kTitleHeight, -4, -4);
        // Token × token and block matrices keep square cells; the rest fill their panel.
        if (!panel.bars && panel.rows == panel.cols) {
            const double side = std::min(plot.width(), plot.height());
            plot.setSize(QSizeF(side, side));
        }
        plots.push_back({cell, plot});
    }
    return plots;
}

QRectF StructurePanelsView::panelPlot(int index) const
{
    const std::vector<PanelRects> plots = layoutPanels();
    return index >= 0 && index < static_cast<int>(plots.size()) ? plots[static_cast<std::size_t>(index)].plot : QRectF();
}

void StructurePanelsView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), kBackground);
    painter.setPen(QColor(200, 200, 208));
    if (m_panels.empty()) {
        painter.drawText(rect(), Qt::AlignCenter, m_header.isEmpty() ? tr("waiting for a result") : m_header);
        return;
    }
    painter.drawText(QRectF(6, 2, width() - 12, kHeaderHeight - 4), Qt::AlignLeft | Qt::AlignVCenter, m_header);
    QFont font = painter.font();
    font.setPixelSize(11);
    painter.setFont(font);
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);  // one cell = one flat rectangle
    const std::vector<PanelRects> plots = layoutPanels();
    for (std::size_t index = 0; index < m_panels.size(); ++index) {
        const StructurePanel& panel = m_panels[index];
        const QRectF& plot = plots[index].plot;
        const QRectF title(plot.left(), plot.top() - kTitleHeight, plots[index].cell.right() - plot.left() - 4.0, kTitleHeight);
        painter.setPen(QColor(200, 200, 208));
        painter.drawText(title, Qt::AlignLeft | Qt::AlignVCenter,
                         painter.fontMetrics().elidedText(panel.title, Qt::ElideRight, static_cast<int>(title.width())));
        if (panel.bars) {
            const float high = structureRange(panel.values, {}, false, true).high;
            const double bar = plot.height() / std::max(1, panel.rows);
            for (int row = 0; row < panel.rows && row < static_cast<int>(panel.values.size()); ++row) {
                const double length = plot.width() * panel.values[static_cast<std::size_t>(row)] / high;
                const QColor colour = row == m_hovered ? QColor(255, 255, 255) : QColor(255, 170, 90);
                painter.fillRect(QRectF(plot.left(), plot.top() + row * bar, length, std::max(1.0, bar - 0.5)), colour);
            }
            painter.setPen(QColor(160, 160, 170));
            painter.drawText(plot, Qt::AlignRight | Qt::AlignBottom, tr("max %1").arg(static_cast<double>(high)));
            continue;
        }
        painter.drawImage(plot, m_images[index]);
        if (panel.tokenRows && m_hovered >= 0 && m_hovered < panel.rows) {
            const double row = plot.height() / panel.rows;
            painter.setPen(QPen(QColor(255, 255, 255, 180), 1.0));
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(QRectF(plot.left(), plot.top() + m_hovered * row, plot.width(), row));
        }
    }
}

void StructurePanelsView::mouseMoveEvent(QMouseEvent* event)
{
    const std::vector<PanelRects> plots = layoutPanels();
    int position = -1;
    QString tip;
    for (std::size_t index = 0; index < plots.size(); ++index) {
        const StructurePanel& panel = m_panels[index];
        const QRectF& plot = plots[index].plot;
        if (!plot.contains(event->position()) || panel.rows < 1) {
            continue;
        }
        const int row = std::clamp(static_cast<int>((event->position().y() - plot.top()) / plot.height() * panel.rows), 0,
                                   panel.rows - 1);
        const int column = panel.bars ? 0
                                      : std::clamp(static_cast<int>((event->position().x() - plot.left()) / plot.width() *
                                                                    panel.cols),
                                                   0, panel.cols - 1);
        const std::size_t cell = static_cast<std::size_t>(row) * (panel.bars ? 1 : panel.cols) + column;
        if (cell < panel.values.size()) {
            // The full title (the drawn one may be elided) and the value under the mouse.
            tip = panel.bars ? tr("%1\nrow %2: %3").arg(panel.title).arg(row).arg(static_cast<double>(panel.values[cell]))
                             : tr("%1\nrow %2, column %3: %4").arg(panel.title).arg(row).arg(column)
                                   .arg(static_cast<double>(panel.values[cell]), 0, 'g', 4);
        }
        if (panel.tokenRows) {
            position = row;
        }
        break;
    }
    if (tip.isEmpty()) {
        QToolTip::hideText();
    } else {
        QToolTip::showText(event->globalPosition().toPoint(), tip, this);
    }
    if (position != m_hovered) {
        setHoveredToken(position);
        emit tokenHovered(position);
    }
}

void StructurePanelsView::leaveEvent(QEvent*)
{
    if (m_hovered >= 0) {
        setHoveredToken(-1);
        emit tokenHovered(-1);
    }
}

} // namespace attnscope::gui
