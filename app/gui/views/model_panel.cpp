#include "views/model_panel.h"

#include "views/token_strip.h"

#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace attnscope::gui {

namespace {

QLabel* heading(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setStyleSheet(QStringLiteral("font-weight: bold; color: #a8a8b4; margin-top: 6px;"));
    return label;
}

} // namespace

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(heading(tr("Model"), this));
    m_info = new QLabel(tr("opening…"), this);
    m_info->setObjectName(QStringLiteral("modelInfo"));
    m_info->setWordWrap(true);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_info);

    layout->addWidget(heading(tr("Text"), this));
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("textEdit"));
    m_text->setPlaceholderText(tr("Type or paste text; attention follows as you type."));
    m_text->setMinimumHeight(90);
    m_text->setMaximumHeight(200);
    layout->addWidget(m_text);

    m_tokenCount = heading(tr("Tokens"), this);
    layout->addWidget(m_tokenCount);
    m_strip = new TokenStrip(this);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_strip);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    layout->addWidget(scroll, 1);

    layout->addWidget(heading(tr("Token (hover)"), this));
    m_hovered = new QLabel(tr("—"), this);
    m_hovered->setStyleSheet(QStringLiteral("font-family: monospace;"));
    layout->addWidget(m_hovered);

    connect(m_text, &QPlainTextEdit::textChanged, this, [this] { emit textEdited(m_text->toPlainText()); });
    connect(m_strip, &TokenStrip::tokenHovered, this, &ModelPanel::tokenHovered);
}

void ModelPanel::setModel(const ModelLoaded& model)
{
    const ModelInfo& info = model.info;
    m_info->setText(tr("<b>%1</b><br>%2 · %3 layers × %4 heads (%5 KV)<br>head dim %6 · hidden %7 · %8 params<br>"
                       "%9 · %10 · %11 tokens context<br><span style='color:#888'>%12</span>")
                        .arg(QString::fromStdString(info.name).toHtmlEscaped())
                        .arg(QString::fromStdString(info.architecture)).arg(info.nLayers).arg(info.nHeads)
                        .arg(info.nKvHeads).arg(info.headDim).arg(info.hiddenSize)
                        .arg(QLocale().toString(static_cast<qlonglong>(info.parameterCount)))
                        .arg(QString::fromStdString(info.weightDtypes))
                        .arg(info.causal ? tr("causal") : tr("bidirectional")).arg(info.maxPositions)
                        .arg(QString::fromStdString(info.path).toHtmlEscaped()));
}

void ModelPanel::setText(const QString& text)
{
    if (m_text->toPlainText() != text) {
        const QSignalBlocker blocker(m_text);
        m_text->setPlainText(text);
    }
}

void ModelPanel::setTokens(std::shared_ptr<const TokenizedText> tokens)
{
    m_tokens = tokens;
    m_tokenCount->setText(tr("Tokens (%1)").arg(tokens ? static_cast<int>(tokens->ids.size()) : 0));
    m_strip->setTokens(std::move(tokens));
}

void ModelPanel::setHoveredToken(int position)
{
    m_strip->setHoveredToken(position);
    if (!m_tokens || position < 0 || position >= static_cast<int>(m_tokens->ids.size())) {
        m_hovered->setText(tr("—"));
        return;
    }
    m_hovered->setText(tr("#%1  \"%2\"  id %3").arg(position)
                           .arg(QString::fromStdString(m_tokens->tokens[position]).toHtmlEscaped())
                           .arg(m_tokens->ids[position]));
}

} // namespace attnscope::gui
