#include "model_fingerprints.h"

#include "attnscope/figure_model.h"

#include <QMetaObject>

namespace attnscope::gui {

ModelFingerprints::ModelFingerprints(QObject* parent) : QObject(parent)
{
    // One at a time: several models hashed at once would only compete for the disk.
    m_pool.setMaxThreadCount(1);
}

ModelFingerprints::~ModelFingerprints()
{
    m_stopping = true;
    m_pool.waitForDone();
}

void ModelFingerprints::request(const std::string& modelPath)
{
    if (modelPath.empty() || m_results.count(modelPath) != 0 || m_running.count(modelPath) != 0) {
        return;
    }
    m_running[modelPath] = true;
    m_pool.start([this, modelPath] {
        int reported = -1;
        auto hash = modelFingerprint(modelPath, [&](std::uint64_t done, std::uint64_t total) {
            const int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
            if (percent != reported) {
                reported = percent;
                // Queued to the UI thread; the destructor waits for this thread, so `this` lives.
                QMetaObject::invokeMethod(this, [this, modelPath, percent] {
                    emit progress(QString::fromStdString(modelPath), percent / 100.0);
                }, Qt::QueuedConnection);
            }
            return !m_stopping.load();
        });
        QMetaObject::invokeMethod(this, [this, modelPath, hash = std::move(hash)] {
            m_running.erase(modelPath);
            m_results.insert_or_assign(modelPath, hash);
            emit finished(QString::fromStdString(modelPath));
        }, Qt::QueuedConnection);
    });
}

std::optional<Result<std::string>> ModelFingerprints::result(const std::string& modelPath) const
{
    const auto found = m_results.find(modelPath);
    if (found == m_results.end()) {
        return std::nullopt;
    }
    return found->second;
}

} // namespace attnscope::gui
