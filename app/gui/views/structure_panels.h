#pragma once
// Small matrices side by side, each coloured on its own min → max (viridis, the shared LUT; signed
// ones on the diverging map around 0): the
// drawing surface of the structure and rollout views. Hovering a row of a token × token panel
// reports that token.

#include <QImage>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace attnscope::gui {

/// One panel: a rows × cols matrix (or a bar chart when bars), cells with valid = 0 left blank.
struct StructurePanel {
    QString title;
    int rows = 0;
    int cols = 0;
    std::vector<float> values;
    std::vector<std::uint8_t> valid;  ///< empty: every cell is valid
    bool bars = false;                ///< values[rows] drawn as horizontal bars, one per row
    bool tokenRows = false;           ///< rows are token positions in order (hover reports them)
    bool diverging = false;           ///< signed values: diverging map, 0 in the middle, ±max|value| at the ends
};

class StructurePanelsView : public QWidget {
    Q_OBJECT
public:
    explicit StructurePanelsView(QWidget* parent = nullptr);

    void setPanels(const QString& header, std::vector<StructurePanel> panels);
    const std::vector<StructurePanel>& panels() const { return m_panels; }
    bool hasPanels() const { return !m_panels.empty(); }
    void setHoveredToken(int position);
    /// Where panel `index` draws its matrix in the widget (empty before a paint), for tests.
    QRectF panelPlot(int index) const;

signals:
    void tokenHovered(int position);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct PanelRects {
        QRectF cell;  ///< the panel's share of the widget (title + plot)
        QRectF plot;  ///< where the matrix or bars go
    };
    std::vector<PanelRects> layoutPanels() const;

    QString m_header;
    std::vector<StructurePanel> m_panels;
    std::vector<QImage> m_images;
    int m_hovered = -1;
};

} // namespace attnscope::gui
