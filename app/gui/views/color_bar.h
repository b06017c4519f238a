#pragma once
// A vertical colour bar with tick labels, painted from the same LUT as the heatmaps.

#include "colormap.h"

#include <QWidget>

#include <functional>

namespace attnscope::gui {


class ColorBar : public QWidget {
    Q_OBJECT
public:
    /// `label(t)` gives the text for position t in [0, 1] of the bar (bottom = 0).
    ColorBar(const Colormap& map, QWidget* parent = nullptr);
    void setScale(const QString& title, std::function<QString(double t)> label);
    void setColormap(const Colormap& map);

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    const Colormap* m_map;
    QString m_title;
    std::function<QString(double)> m_label;
};

} // namespace attnscope::gui
