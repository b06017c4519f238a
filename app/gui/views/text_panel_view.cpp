#include "views/text_panel_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace attnscope::gui {

QString metricsText(const PanelState& state)
{
    if (!state.comparison || state.comparison->variants.empty()) {
        return state.computing ? QObject::tr("computing…") : QObject::tr("no result yet");
    }
    const HeadComparison& c = *state.comparison;
    const VariantHead& active = c.variantAt(state.activeVariant);
    const VariantMetrics& m = active.metrics;
    QString text = QObject::tr("layer %1 head %2 · %3\ndensity  %4\nrecall   %5\nKL       %6\nTV       %7\nJaccard  %8\nout err  %9")
                       .arg(c.layer).arg(c.head).arg(QString::fromStdString(active.variant))
                       .arg(m.density, 0, 'f', 3).arg(m.recall, 0, 'f', 3).arg(m.kl, 0, 'f', 4).arg(m.tv, 0, 'f', 3)
                       .arg(m.jaccard, 0, 'f', 3).arg(m.outputError, 0, 'f', 4);
    if (c.variants.size() > 1) {
        text += QObject::tr("\n\nvariant: density recall KL");
        for (const VariantHead& variant : c.variants) {
            text += QStringLiteral("\n%1: %2 %3 %4").arg(QString::fromStdString(variant.variant))
                        .arg(variant.metrics.density, 0, 'f', 3).arg(variant.metrics.recall, 0, 'f', 3)
                        .arg(variant.metrics.kl, 0, 'f', 3);
        }
    }
    if (state.curves) {
        const VariantCurves& curves = *state.curves;
        text += QObject::tr("\n\nlayer %1 head %2: recall at density").arg(curves.layer).arg(curves.head);
        if (curves.densePerplexity > 0.0) {
            text += QObject::tr("\ndense perplexity %1; each variant in %2")
                        .arg(curves.densePerplexity, 0, 'f', 3)
                        .arg(QString::fromStdString(replacedLayersPhrase(curves.replacedLayers)));
        }
        for (const VariantCurves::Curve& curve : curves.curves) {
            text += QStringLiteral("\n%1").arg(QString::fromStdString(curve.variant));
            if (curve.perplexity > 0.0) {
                text += QObject::tr(" · perplexity %1").arg(curve.perplexity, 0, 'f', 3);
            }
            for (const SweepPoint& point : curve.sweep.points) {
                text += QStringLiteral("\n  %1=%2: %3 → %4").arg(QString::fromStdString(curve.sweep.param))
                            .arg(point.value, 0, 'g', 4).arg(point.mean.density, 0, 'f', 3).arg(point.mean.recall, 0, 'f', 3);
            }
        }
    }
    if (!state.error.empty()) {
        text += QStringLiteral("\n\n") + QString::fromStdString(state.error);
    }
    return text;
}

TextPanelView::TextPanelView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    auto* note = new QLabel(tr("<b>Variants</b><br><span style='color:#999'>OpenGL is not available, so the "
                               "knob panel is replaced by the spec text (as the CLI takes it).</span>"), this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* row = new QHBoxLayout;
    m_variants = new QComboBox(this);
    m_variants->setObjectName(QStringLiteral("variantList"));
    m_add = new QPushButton(tr("+"), this);
    m_add->setToolTip(tr("compare one more variant"));
    m_remove = new QPushButton(tr("−"), this);
    m_remove->setToolTip(tr("remove the selected variant"));
    row->addWidget(m_variants, 1);
    row->addWidget(m_add);
    row->addWidget(m_remove);
    layout->addLayout(row);
    m_spec = new QLineEdit(this);
    m_spec->setObjectName(QStringLiteral("variantSpecEdit"));
    layout->addWidget(m_spec);
    auto* sweep = new QPushButton(tr("Sweep budgets + perplexity"), this);
    sweep->setObjectName(QStringLiteral("sweepButton"));
    layout->addWidget(sweep);
    m_selectedLayerOnly = new QCheckBox(tr("perplexity: only in the selected layer"), this);
    m_selectedLayerOnly->setObjectName(QStringLiteral("perplexityLayerOnly"));
    m_selectedLayerOnly->setToolTip(tr("off: each variant replaces attention in every layer"));
    layout->addWidget(m_selectedLayerOnly);
    m_metrics = new QLabel(this);
    m_metrics->setObjectName(QStringLiteral("metricsText"));
    m_metrics->setStyleSheet(QStringLiteral("font-family: monospace;"));
    m_metrics->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_metrics);
    layout->addStretch(1);
    setMinimumWidth(280);
    connect(m_spec, &QLineEdit::returnPressed, this, [this] {
        PanelActions actions;
        actions.variantSpec = m_spec->text().toStdString();
        emit actionsRequested(actions);
    });
    connect(m_variants, &QComboBox::currentIndexChanged, this, [this](int index) {
        PanelActions actions;
        actions.activeVariant = index;
        emit actionsRequested(actions);
    });
    connect(m_add, &QPushButton::clicked, this, [this] {
        PanelActions actions;
        actions.addVariant = m_state.variantSpec;
        emit actionsRequested(actions);
    });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        PanelActions actions;
        actions.removeVariant = m_state.activeVariant;
        emit actionsRequested(actions);
    });
    connect(m_selectedLayerOnly, &QCheckBox::toggled, this, [this](bool checked) {
        PanelActions actions;
        actions.perplexityInSelectedLayer = checked;
        emit actionsRequested(actions);
    });
    connect(sweep, &QPushButton::clicked, this, [this] {
        PanelActions actions;
        actions.computeCurves = true;
        emit actionsRequested(actions);
    });
}

void TextPanelView::setState(const PanelState& state)
{
    m_state = state;
    {
        const QSignalBlocker blocker(m_variants);
        m_variants->clear();
        for (const std::string& spec : state.variantSpecs) {
            m_variants->addItem(QString::fromStdString(spec));
        }
        m_variants->setCurrentIndex(state.activeVariant);
    }
    {
        const QSignalBlocker blocker(m_selectedLayerOnly);
        m_selectedLayerOnly->setChecked(state.perplexityInSelectedLayer);
    }
    m_add->setEnabled(static_cast<int>(state.variantSpecs.size()) < state.maxVariants);
    m_remove->setEnabled(state.variantSpecs.size() > 1);
    if (!m_spec->hasFocus()) {
        m_spec->setText(QString::fromStdString(state.variantSpec));
    }
    m_metrics->setText(metricsText(state));
}

} // namespace attnscope::gui
