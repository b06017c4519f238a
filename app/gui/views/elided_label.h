#pragma once
// A one-line label that ends in "…" when its text is wider than the label, and keeps the whole
// text as its tooltip. QLabel clips instead, which cut the compare view's header mid-number.

#include <QLabel>

namespace attnscope::gui {

class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(const QString& text, QWidget* parent = nullptr);

    /// The whole text (what text() shows, elided to the width).
    void setFullText(const QString& text);
    const QString& fullText() const { return m_fullText; }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void elide();
    QString m_fullText;
};

} // namespace attnscope::gui
