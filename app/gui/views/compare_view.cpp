#include "views/compare_view.h"

#include "colormap.h"
#include "views/color_bar.h"
#include "views/heatmap_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

enum class Scale { Linear, Sqrt, Log };

constexpr double kLogDecades = 4.0;

// Maps |x| in [0, vmax] to [0, 1]; the sign is kept for differences.
float mapValue(float x, float vmax, Scale scale)
{
    const float sign = x < 0.0f ? -1.0f : 1.0f;
    const double u = std::min(1.0, std::abs(static_cast<double>(x)) / std::max(1e-12, static_cast<double>(vmax)));
    double t = u;
    if (scale == Scale::Sqrt) {
        t = std::sqrt(u);
    } else if (scale == Scale::Log) {
        t = u <= 0.0 ? 0.0 : std::max(0.0, (std::log10(u) + kLogDecades) / kLogDecades);
    }
    return sign * static_cast<float>(t);
}

double unmap(double t, double vmax, Scale scale)
{
    if (scale == Scale::Sqrt) {
        return t * t * vmax;
    }
    if (scale == Scale::Log) {
        return t <= 0.0 ? 0.0 : vmax * std::pow(10.0, kLogDecades * (t - 1.0));
    }
    return t * vmax;
}

QString formatTick(double value)
{
    return value == 0.0 ? QStringLiteral("0") : QString::number(value, 'g', 2);
}

} // namespace

CompareView::CompareView(bool useGl, QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    m_header = new QLabel(tr("Compare · waiting for the first result"), this);
    m_header->setObjectName(QStringLiteral("compareHeader"));
    m_header->setStyleSheet(QStringLiteral("font-weight: bold; color: #c8c8d0;"));
    m_scale = new QComboBox(this);
    m_scale->addItems({tr("linear"), tr("sqrt"), tr("log (4 decades)")});
    m_scale->setCurrentIndex(1);
    m_scale->setToolTip(tr("Colour scale shared by the three maps"));
    top->addWidget(m_header, 1);
    top->addWidget(new QLabel(tr("scale"), this));
    top->addWidget(m_scale);
    layout->addLayout(top);

    auto* maps = new QHBoxLayout;
    maps->setSpacing(2);
    for (int i = 0; i < 3; ++i) {
        m_views[i] = createHeatmapView(useGl, this);
        m_views[i]->setHoverCallback([this](int row, int) { emit tokenHovered(row); });
        maps->addWidget(m_views[i]->widget(), 1);
        if (i == 1) {
            m_bar = new ColorBar(Colormap::viridis(), this);
            maps->addWidget(m_bar);
        }
    }
    m_differenceBar = new ColorBar(Colormap::diverging(), this);
    maps->addWidget(m_differenceBar);
    layout->addLayout(maps, 1);
    connect(m_scale, &QComboBox::currentIndexChanged, this, &CompareView::rebuild);
}

int CompareView::matrixSize() const
{
    return m_comparison ? m_comparison->dense.nTokens : 0;
}

void CompareView::setComparison(std::shared_ptr<const HeadComparison> comparison, const QStringList& tokens)
{
    m_comparison = std::move(comparison);
    m_tokens = tokens;
    rebuild();
}

void CompareView::setHoveredToken(int position)
{
    for (HeatmapView* view : m_views) {
        view->setHoveredToken(position);
    }
}

void CompareView::rebuild()
{
    if (!m_comparison) {
        return;
    }
    const HeadComparison& c = *m_comparison;
    const int n = c.dense.nTokens;
    const std::size_t cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    if (c.dense.attention.size() != cells || c.effective.attention.size() != cells) {
        m_header->setText(tr("Compare · result has an unexpected shape"));
        return;
    }
    const auto scale = static_cast<Scale>(m_scale->currentIndex());
    float vmax = 0.0f;
    for (std::size_t i = 0; i < cells; ++i) {
        vmax = std::max({vmax, c.dense.attention[i], c.effective.attention[i]});
    }
    vmax = std::max(vmax, 1e-6f);

    auto make = [&](const QString& title, bool rowLabels) {
        auto data = std::make_shared<HeatmapData>();
        data->n = n;
        data->title = title;
        data->tokens = m_tokens.size() == n ? m_tokens : QStringList();
        data->rowLabels = rowLabels;
        data->values.resize(cells);
        data->raw.resize(cells);
        return data;
    };
    auto dense = make(tr("dense (outline: kept)"), true);
    auto variant = make(QString::fromStdString(c.variant), false);
    auto difference = make(tr("variant − dense"), false);
    difference->diverging = true;
    for (std::size_t i = 0; i < cells; ++i) {
        const float d = c.dense.attention[i];
        const float e = c.effective.attention[i];
        dense->raw[i] = d;
        dense->values[i] = mapValue(d, vmax, scale);
        variant->raw[i] = e;
        variant->values[i] = mapValue(e, vmax, scale);
        difference->raw[i] = e - d;
        difference->values[i] = mapValue(e - d, vmax, scale);
    }
    if (c.effective.mask.size() == cells) {
        dense->outline = c.effective.mask;
    }
    m_views[0]->setData(dense);
    m_views[1]->setData(variant);
    m_views[2]->setData(difference);

    m_bar->setScale(tr("attention"), [vmax, scale](double t) { return formatTick(unmap(t, vmax, scale)); });
    m_differenceBar->setScale(tr("difference"), [vmax, scale](double t) {
        const double signedT = t * 2.0 - 1.0;
        const double value = unmap(std::abs(signedT), vmax, scale);
        return formatTick(signedT < 0 ? -value : value);
    });
    m_header->setText(tr("Layer %1 · head %2 · %3 · %4 tokens · kept %5% · recall %6 · %7 ms")
                          .arg(c.layer).arg(c.head).arg(QString::fromStdString(c.variant)).arg(n)
                          .arg(c.metrics.density * 100.0, 0, 'f', 1).arg(c.metrics.recall, 0, 'f', 3)
                          .arg(c.seconds * 1000.0, 0, 'f', 1));
}

} // namespace attnscope::gui
