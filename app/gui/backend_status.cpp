#include "backend_status.h"

#include <QAction>
#include <QActionGroup>
#include <QLabel>
#include <QMenu>
#include <QStringList>
#include <QWidget>

namespace attnscope::gui {

namespace {

// Adds `backend` to a "cpu" / "cuda" / "cuda+cpu" summary of several runs.
void addBackend(QString& summary, const std::string& backend)
{
    const QString name = QString::fromStdString(backend);
    if (name.isEmpty() || summary == name) {
        return;
    }
    summary = summary.isEmpty() ? name : QStringLiteral("cuda+cpu");
}

} // namespace

BackendStatus::BackendStatus(QWidget* parent) : QObject(parent), m_label(new QLabel(parent))
{
    m_label->setObjectName(QStringLiteral("backendStatus"));
}

void BackendStatus::addMenuActions(QMenu* menu)
{
    QMenu* backends = menu->addMenu(tr("&Backend"));
    m_group = new QActionGroup(this);
    m_group->setExclusive(true);
    auto addChoice = [&](const QString& text, VariantBackend backend, const QString& tip) {
        QAction* action = backends->addAction(text);
        action->setCheckable(true);
        action->setChecked(backend == m_chosen);
        action->setToolTip(tip);
        action->setData(static_cast<int>(backend));
        m_group->addAction(action);
        connect(action, &QAction::triggered, this, [this, backend] { choose(backend); });
    };
    addChoice(tr("&Auto (GPU when usable)"), VariantBackend::Auto,
              tr("Attention and the masks with a GPU path run on CUDA when a device is usable, else on the CPU"));
    addChoice(tr("&CPU only"), VariantBackend::Cpu, tr("Everything on the CPU: bit-reproducible runs"));
    backends->setToolTipsVisible(true);
}

void BackendStatus::choose(VariantBackend backend)
{
    if (m_group != nullptr) {
        for (QAction* action : m_group->actions()) {
            action->setChecked(action->data().toInt() == static_cast<int>(backend));
        }
    }
    if (backend == m_chosen) {
        return;
    }
    m_chosen = backend;
    emit backendChosen(backend);
}

void BackendStatus::setAvailable(const std::vector<BackendInfo>& backends)
{
    QStringList lines;
    for (const BackendInfo& backend : backends) {
        QString line = QString::fromStdString(backend.name) + QStringLiteral(": ") +
                       (backend.available ? tr("available") : tr("unavailable"));
        if (!backend.available && !backend.reason.empty()) {
            line += QStringLiteral(" (") + QString::fromStdString(backend.reason) + QLatin1Char(')');
        } else if (!backend.detail.empty()) {
            line += QStringLiteral(" (") + QString::fromStdString(backend.detail) + QLatin1Char(')');
        }
        lines << line;
    }
    m_available = lines.join(QLatin1Char('\n'));
    m_lastRun.clear();
    m_lastFallback.clear();
    refreshTooltip();
}

QString BackendStatus::describeRun(const HeadComparison& comparison)
{
    QString attention;
    QString selection;
    for (const VariantHead& variant : comparison.variants) {
        addBackend(attention, variant.stats.attentionBackend);
        addBackend(selection, variant.stats.selectionBackend);
    }
    if (attention.isEmpty()) {
        return {};
    }
    QString text = tr("attention: %1").arg(attention);
    if (!selection.isEmpty()) {
        text += tr(" · selection: %1").arg(selection);
    }
    return text;
}

void BackendStatus::showComparison(const HeadComparison& comparison)
{
    m_lastRun = describeRun(comparison);
    m_lastFallback.clear();
    for (const VariantHead& variant : comparison.variants) {
        if (!variant.stats.backendFallbackReason.empty()) {
            m_lastFallback = QString::fromStdString(variant.stats.backendFallbackReason);
            break;
        }
    }
    refreshTooltip();
}

void BackendStatus::refreshTooltip()
{
    const QString choice = m_chosen == VariantBackend::Cpu ? tr("CPU only") : tr("auto");
    m_label->setText(m_lastRun.isEmpty() ? tr("backend: %1").arg(choice)
                                         : tr("%1 (%2)").arg(m_lastRun, choice));
    QStringList tip;
    if (!m_available.isEmpty()) {
        tip << m_available;
    }
    if (!m_lastFallback.isEmpty()) {
        tip << tr("CUDA not used for the last comparison: %1").arg(m_lastFallback);
    }
    tip << tr("Compute → Backend chooses where attention runs.");
    m_label->setToolTip(tip.join(QLatin1Char('\n')));
}

} // namespace attnscope::gui
