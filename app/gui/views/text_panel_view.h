#pragma once
// The right column without GL (offscreen, no context): ImGui cannot draw there, so the variants are
// edited as spec text (a list to pick the active one, add and remove) and the metrics, sweeps and
// perplexities are shown as text. Same PanelState, same intents as the ImGui panels.

#include "panels/panel_state.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace attnscope::gui {

class TextPanelView : public QWidget {
    Q_OBJECT
public:
    explicit TextPanelView(QWidget* parent = nullptr);
    void setState(const PanelState& state);

signals:
    void actionsRequested(const attnscope::gui::PanelActions& actions);

private:
    QComboBox* m_variants = nullptr;
    QPushButton* m_add = nullptr;
    QPushButton* m_remove = nullptr;
    QCheckBox* m_selectedLayerOnly = nullptr;
    QLineEdit* m_spec = nullptr;
    QLabel* m_metrics = nullptr;
    PanelState m_state;
};

/// The panel's metrics as text (also what tests read): the active variant, every variant, curves.
QString metricsText(const PanelState& state);

} // namespace attnscope::gui
