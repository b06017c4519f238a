#include "views/text_panel_view.h"

#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace attnscope::gui {

TextPanelView::TextPanelView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    auto* note = new QLabel(tr("<b>Variant</b><br><span style='color:#999'>OpenGL is not available, so the "
                               "knob panel is replaced by the spec text (as the CLI takes it).</span>"), this);
    note->setWordWrap(true);
    layout->addWidget(note);
    m_spec = new QLineEdit(this);
    m_spec->setObjectName(QStringLiteral("variantSpecEdit"));
    layout->addWidget(m_spec);
    m_metrics = new QLabel(this);
    m_metrics->setObjectName(QStringLiteral("metricsText"));
    m_metrics->setStyleSheet(QStringLiteral("font-family: monospace;"));
    layout->addWidget(m_metrics);
    layout->addStretch(1);
    setMinimumWidth(280);
    connect(m_spec, &QLineEdit::returnPressed, this, [this] { emit variantSpecRequested(m_spec->text()); });
}

void TextPanelView::setState(const PanelState& state)
{
    if (!m_spec->hasFocus()) {
        m_spec->setText(QString::fromStdString(state.variantSpec));
    }
    if (!state.comparison) {
        m_metrics->setText(state.computing ? tr("computing…") : tr("no result yet"));
        return;
    }
    const VariantMetrics& m = state.comparison->metrics;
    m_metrics->setText(tr("layer %1 head %2\ndensity  %3\nrecall   %4\nKL       %5\nTV       %6\nJaccard  %7\nout err  %8%9")
                           .arg(state.comparison->layer).arg(state.comparison->head)
                           .arg(m.density, 0, 'f', 3).arg(m.recall, 0, 'f', 3).arg(m.kl, 0, 'f', 4).arg(m.tv, 0, 'f', 3)
                           .arg(m.jaccard, 0, 'f', 3).arg(m.outputError, 0, 'f', 4)
                           .arg(state.error.empty() ? QString() : QStringLiteral("\n\n") + QString::fromStdString(state.error)));
}

} // namespace attnscope::gui
