#pragma once
// The status bar's backend corner and the Compute → Backend menu: where the user asks attention to
// run (Auto: CUDA when usable, else the CPU; CPU only: bit-reproducible) and where the last
// comparison actually ran, with the reason when CUDA was tried and not used. Draws and reports;
// the choice reaches the core through ComputeService.

#include "compute_results.h"

#include "attnscope/backends.h"
#include "attnscope/variant_result.h"

#include <QObject>
#include <QString>

#include <vector>

class QActionGroup;
class QLabel;
class QMenu;
class QWidget;

namespace attnscope::gui {

class BackendStatus : public QObject {
    Q_OBJECT
public:
    explicit BackendStatus(QWidget* parent);

    /// The label for the status bar (owned by the parent widget).
    QLabel* label() const { return m_label; }
    /// Adds "Backend" with its two choices to `menu`.
    void addMenuActions(QMenu* menu);
    /// What this build and machine offer (after a model opened).
    void setAvailable(const std::vector<BackendInfo>& backends);
    /// Where the variants of a comparison ran (after each delivered comparison).
    void showComparison(const HeadComparison& comparison);
    VariantBackend chosen() const { return m_chosen; }
    /// Selects a choice as the menu would (tests, restored sessions); emits backendChosen on change.
    void choose(VariantBackend backend);

    /// "attention: cuda · selection: cpu" style summary of a comparison's variants; "" for none.
    static QString describeRun(const HeadComparison& comparison);

signals:
    void backendChosen(attnscope::VariantBackend backend);

private:
    void refreshTooltip();

    QLabel* m_label = nullptr;
    QActionGroup* m_group = nullptr;
    VariantBackend m_chosen = VariantBackend::Auto;
    QString m_available;    // one line per backend
    QString m_lastRun;      // describeRun of the last comparison
    QString m_lastFallback; // why CUDA was not used there ("" when it was or was not tried)
};

} // namespace attnscope::gui
