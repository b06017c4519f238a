#include "views/compare_view.h"

#include "colormap.h"
#include "views/color_bar.h"
#include "views/heatmap_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

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
    m_header = new ElidedLabel(tr("Compare · waiting for the first result"), this);
    m_header->setObjectName(QStringLiteral("compareHeader"));
    m_header->setStyleSheet(QStringLiteral("font-weight: bold;"));
    m_scale = new QComboBox(this);
    m_scale->addItems({tr("linear"), tr("sqrt"), tr("log (4 decades)")});
    m_scale->setCurrentIndex(static_cast<int>(ColorScale::Sqrt));
    m_scale->setToolTip(tr("Colour scale shared by every map"));
    m_colormap = new QComboBox(this);
    m_colormap->addItems(Colormap::sequentialNames());
    m_colormap->setToolTip(tr("Perceptually uniform colour map (differences use the diverging map)"));
    m_rowNormalised = new QCheckBox(tr("rows to max"), this);
    m_rowNormalised->setToolTip(tr("Scale each query row to its maximum over the panels, so that rows with "
                                   "spread-out attention show their pattern too"));
    m_pooling = new QComboBox(this);
    m_pooling->addItems({tr("zoomed out: max"), tr("zoomed out: sum")});
    m_pooling->setToolTip(tr("What a pixel shows when it covers several cells: the block maximum (thin lines "
                             "survive) or the block's mass per row (mass is preserved)"));
    auto* reset = new QPushButton(tr("reset view"), this);
    reset->setToolTip(tr("Whole matrix (also: double-click a map, or Ctrl+0). Wheel zooms, drag pans, "
                         "shift-drag zooms into a box."));
    top->addWidget(m_header, 1);
    top->addWidget(m_scale);
    top->addWidget(m_colormap);
    top->addWidget(m_rowNormalised);
    top->addWidget(m_pooling);
    top->addWidget(reset);
    layout->addLayout(top);

    m_grid = new QGridLayout;
    m_grid->setSpacing(2);
    for (int i = 0; i < 1 + 2 * kMaxVariants; ++i) {
        HeatmapView* view = createHeatmapView(useGl, this);
        view->setHoverCallback([this](int row, int) { emit tokenHovered(row); });
        view->setViewportRequest([this](const HeatmapViewport& viewport) { setViewport(viewport); });
        view->widget()->hide();
        m_views.push_back(view);
    }
    m_bar = new ColorBar(Colormap::viridis(), this);
    m_differenceBar = new ColorBar(Colormap::diverging(), this);
    layout->addLayout(m_grid, 1);
    arrangePanels(1);

    connect(m_scale, &QComboBox::currentIndexChanged, this, [this] { rebuild(); emit colorOptionsChanged(); });
    connect(m_colormap, &QComboBox::currentIndexChanged, this, [this] { rebuild(); emit colorOptionsChanged(); });
    connect(m_rowNormalised, &QCheckBox::toggled, this, [this] { rebuild(); emit colorOptionsChanged(); });
    connect(m_pooling, &QComboBox::currentIndexChanged, this, [this] { rebuild(); emit colorOptionsChanged(); });
    connect(reset, &QPushButton::clicked, this, &CompareView::resetViewport);
}

int CompareView::matrixSize() const
{
    return m_comparison ? m_comparison->dense.nTokens : 0;
}

int CompareView::panelCount() const
{
    const int variants = m_comparison ? static_cast<int>(m_comparison->variants.size()) : 1;
    return 1 + 2 * std::max(1, variants);
}

void CompareView::arrangePanels(int variants)
{
    variants = std::clamp(variants, 1, kMaxVariants);
    if (variants == m_arrangedVariants) {
        return;
    }
    m_arrangedVariants = variants;
    for (HeatmapView* view : m_views) {
        m_grid->removeWidget(view->widget());
        view->widget()->hide();
    }
    m_grid->removeWidget(m_bar);
    m_grid->removeWidget(m_differenceBar);
    for (int column = 0; column < m_grid->columnCount(); ++column) {
        m_grid->setColumnStretch(column, 0);
    }
    for (int row = 0; row < m_grid->rowCount(); ++row) {
        m_grid->setRowStretch(row, 0);
    }
    auto place = [&](int index, int row, int column) {
        m_grid->addWidget(m_views[static_cast<std::size_t>(index)]->widget(), row, column);
        m_views[static_cast<std::size_t>(index)]->widget()->show();
        m_grid->setColumnStretch(column, 1);
        m_grid->setRowStretch(row, 1);
    };
    place(0, 0, 0);
    if (variants == 1) {
        place(1, 0, 1);
        place(2, 0, 2);
        m_grid->addWidget(m_bar, 0, 3);
        m_grid->addWidget(m_differenceBar, 0, 4);
        return;
    }
    for (int v = 0; v < variants; ++v) {
        place(1 + v, 0, 1 + v);
        place(1 + variants + v, 1, 1 + v);
    }
    m_grid->addWidget(m_bar, 0, variants + 1);
    m_grid->addWidget(m_differenceBar, 1, variants + 1);
}

void CompareView::setComparison(std::shared_ptr<const HeadComparison> comparison, const QStringList& tokens)
{
    const int previousN = matrixSize();
    m_comparison = std::move(comparison);
    m_tokens = tokens;
    if (matrixSize() != previousN) {
        m_viewport = HeatmapViewport::whole(matrixSize());
    }
    rebuild();
}

void CompareView::setHoveredToken(int position)
{
    for (HeatmapView* view : m_views) {
        view->setHoveredToken(position);
    }
}

void CompareView::setActiveVariant(int index)
{
    if (index != m_activeVariant) {
        m_activeVariant = index;
        rebuild();
    }
}

void CompareView::setViewport(const HeatmapViewport& viewport)
{
    const HeatmapViewport clamped = viewport.clamped(matrixSize());
    m_viewport = clamped;
    for (HeatmapView* view : m_views) {
        view->setViewport(clamped);
    }
}

void CompareView::resetViewport()
{
    setViewport(HeatmapViewport::whole(matrixSize()));
}

CompareColorOptions CompareView::colorOptions() const
{
    CompareColorOptions options;
    options.scale = static_cast<ColorScale>(m_scale->currentIndex());
    options.colormap = m_colormap->currentText();
    options.rowNormalised = m_rowNormalised->isChecked();
    options.pooling = m_pooling->currentIndex() == 1 ? Pooling::Sum : Pooling::Peak;
    return options;
}

void CompareView::setColorOptions(const CompareColorOptions& options)
{
    const QSignalBlocker blockScale(m_scale);
    const QSignalBlocker blockMap(m_colormap);
    const QSignalBlocker blockRows(m_rowNormalised);
    const QSignalBlocker blockPooling(m_pooling);
    m_scale->setCurrentIndex(std::clamp(static_cast<int>(options.scale), 0, 2));
    m_colormap->setCurrentIndex(std::max(0, static_cast<int>(Colormap::sequentialNames().indexOf(options.colormap))));
    m_rowNormalised->setChecked(options.rowNormalised);
    m_pooling->setCurrentIndex(options.pooling == Pooling::Sum ? 1 : 0);
    rebuild();
    emit colorOptionsChanged();
}

QString CompareView::describeCell(int row, int column) const
{
    if (!m_comparison) {
        return {};
    }
    const HeadComparison& c = *m_comparison;
    const int n = c.dense.nTokens;
    const std::size_t index = static_cast<std::size_t>(row) * n + column;
    const QString query = row < m_tokens.size() ? m_tokens[row] : QString();
    const QString key = column < m_tokens.size() ? m_tokens[column] : QString();
    QString text = tr("q #%1 \"%2\" → k #%3 \"%4\"\ndense %5").arg(row).arg(query).arg(column).arg(key)
                       .arg(c.dense.attention[index], 0, 'g', 4);
    for (const VariantHead& variant : c.variants) {
        const bool kept = index < variant.effective.mask.size() && variant.effective.mask[index] != 0;
        text += tr("\n%1 %2 · %3").arg(QString::fromStdString(variant.variant))
                    .arg(variant.effective.attention[index], 0, 'g', 4)
                    .arg(kept ? tr("kept") : tr("dropped"));
    }
    return text;
}

void CompareView::rebuild()
{
    if (!m_comparison) {
        return;
    }
    const HeadComparison& c = *m_comparison;
    const int n = c.dense.nTokens;
    const std::size_t cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    const int k = static_cast<int>(c.variants.size());
    bool shapesOk = c.dense.attention.size() == cells && k >= 1 && k <= kMaxVariants;
    for (const VariantHead& variant : c.variants) {
        shapesOk = shapesOk && variant.effective.attention.size() == cells;
    }
    if (!shapesOk) {
        m_header->setFullText(tr("Compare · result has an unexpected shape"));
        return;
    }
    arrangePanels(k);
    const CompareColorOptions options = colorOptions();

    // Per-row scale: 1 / (row maximum over dense and every variant), so that the panels stay on one
    // scale with each other while every row uses the whole colour range.
    std::vector<float> rowScale(static_cast<std::size_t>(n), 1.0f);
    if (options.rowNormalised) {
        for (int row = 0; row < n; ++row) {
            const std::size_t begin = static_cast<std::size_t>(row) * n;
            float peak = *std::max_element(c.dense.attention.begin() + begin, c.dense.attention.begin() + begin + n);
            for (const VariantHead& variant : c.variants) {
                const auto& a = variant.effective.attention;
                peak = std::max(peak, *std::max_element(a.begin() + begin, a.begin() + begin + n));
            }
            rowScale[static_cast<std::size_t>(row)] = peak > 0.0f ? 1.0f / peak : 1.0f;
        }
    }
    auto scaled = [&](const std::vector<float>& matrix) {
        std::vector<float> out(cells);
        for (int row = 0; row < n; ++row) {
            const float s = rowScale[static_cast<std::size_t>(row)];
            const std::size_t begin = static_cast<std::size_t>(row) * n;
            for (int column = 0; column < n; ++column) {
                out[begin + column] = matrix[begin + column] * s;
            }
        }
        return out;
    };
    const std::vector<float> dense = scaled(c.dense.attention);
    float vmax = *std::max_element(dense.begin(), dense.end());
    std::vector<std::vector<float>> variants;
    for (const VariantHead& variant : c.variants) {
        variants.push_back(scaled(variant.effective.attention));
        vmax = std::max(vmax, *std::max_element(variants.back().begin(), variants.back().end()));
    }
    vmax = std::max(vmax, 1e-6f);

    const Colormap& map = Colormap::sequential(options.colormap);
    auto describe = [this](int row, int column) { return describeCell(row, column); };
    auto make = [&](std::vector<float> values, const QString& title, bool rowLabels, bool diverging) {
        auto data = std::make_shared<HeatmapData>();
        data->n = n;
        data->pyramid = std::make_shared<const HeatmapPyramid>(std::move(values), n);
        data->scale = options.scale;
        data->vmax = vmax;
        data->pooling = options.pooling;
        data->diverging = diverging;
        data->colormap = &map;
        data->title = title;
        data->tokens = m_tokens.size() == n ? m_tokens : QStringList();
        data->rowLabels = rowLabels;
        data->describe = describe;
        return data;
    };
    const int active = std::clamp(m_activeVariant, 0, k - 1);
    auto denseData = make(dense, k > 1 ? tr("dense (outline: %1)").arg(QString::fromStdString(c.variantAt(active).variant))
                                       : tr("dense (outline: kept)"),
                          true, false);
    if (c.variantAt(active).effective.mask.size() == cells) {
        denseData->outline = std::make_shared<const std::vector<std::uint8_t>>(c.variantAt(active).effective.mask);
    }
    m_views[0]->setData(denseData);
    for (int v = 0; v < k; ++v) {
        std::vector<float> difference(cells);
        for (std::size_t i = 0; i < cells; ++i) {
            difference[i] = variants[static_cast<std::size_t>(v)][i] - dense[i];
        }
        const QString name = QString::fromStdString(c.variants[static_cast<std::size_t>(v)].variant);
        m_views[static_cast<std::size_t>(1 + v)]->setData(make(std::move(variants[static_cast<std::size_t>(v)]), name, false, false));
        m_views[static_cast<std::size_t>(1 + k + v)]->setData(
            make(std::move(difference), k > 1 ? tr("%1 − dense").arg(name) : tr("variant − dense"), false, true));
    }
    setViewport(m_viewport.span > 0.0 ? m_viewport : HeatmapViewport::whole(n));

    const ColorScale scale = options.scale;
    const QString unit = options.rowNormalised ? tr("÷ row max") : tr("attention");
    m_bar->setColormap(map);
    m_bar->setScale(unit, [vmax, scale](double t) { return formatTick(unmapColorValue(t, vmax, scale)); });
    m_differenceBar->setScale(tr("difference"), [vmax, scale](double t) {
        const double signedT = t * 2.0 - 1.0;
        const double value = unmapColorValue(std::abs(signedT), vmax, scale);
        return formatTick(signedT < 0 ? -value : value);
    });
    QStringList summaries;
    for (const VariantHead& variant : c.variants) {
        summaries << tr("%1: kept %2% recall %3").arg(QString::fromStdString(variant.variant))
                         .arg(variant.metrics.density * 100.0, 0, 'f', 1).arg(variant.metrics.recall, 0, 'f', 3);
    }
    m_header->setFullText(tr("Layer %1 · head %2 · %3 tokens · %4 · %5 ms")
                              .arg(c.layer).arg(c.head).arg(n).arg(summaries.join(QStringLiteral(" · ")))
                              .arg(c.seconds * 1000.0, 0, 'f', 1));
}

} // namespace attnscope::gui
