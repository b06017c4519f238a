#pragma once
// The right column without GL (offscreen, no context): ImGui cannot draw there, so the variant is
// edited as its spec text and the metrics are shown as text. Same PanelState, same intents.

#include "panels/panel_state.h"

#include <QWidget>

class QLabel;
class QLineEdit;

namespace attnscope::gui {

class TextPanelView : public QWidget {
    Q_OBJECT
public:
    explicit TextPanelView(QWidget* parent = nullptr);
    void setState(const PanelState& state);

signals:
    void variantSpecRequested(const QString& spec);

private:
    QLineEdit* m_spec = nullptr;
    QLabel* m_metrics = nullptr;
};

} // namespace attnscope::gui
