#include "views/elided_label.h"

#include <QFontMetrics>
#include <QResizeEvent>

#include <algorithm>

namespace attnscope::gui {

ElidedLabel::ElidedLabel(const QString& text, QWidget* parent) : QLabel(parent)
{
    // Ignored: the label takes the width its layout gives it and never widens the window.
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    setFullText(text);
}

void ElidedLabel::setFullText(const QString& text)
{
    m_fullText = text;
    setToolTip(text);
    elide();
}

void ElidedLabel::resizeEvent(QResizeEvent* event)
{
    QLabel::resizeEvent(event);
    elide();
}

void ElidedLabel::elide()
{
    setText(fontMetrics().elidedText(m_fullText, Qt::ElideRight, std::max(0, contentsRect().width())));
}

} // namespace attnscope::gui
