#pragma once
// Model fingerprints for figure provenance, hashed on a background thread (issue #8): hashing a
// model of several GB takes seconds to minutes, which froze the window when the first export did
// it on the UI thread. The window asks as soon as a model is open; an export that comes first
// waits for the result while the window keeps running and the status bar shows the progress.

#include "attnscope/status.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <map>
#include <optional>
#include <string>

namespace attnscope::gui {

class ModelFingerprints : public QObject {
    Q_OBJECT
public:
    explicit ModelFingerprints(QObject* parent = nullptr);
    /// Stops a running hash and waits for its thread.
    ~ModelFingerprints() override;

    /// Starts hashing `modelPath` unless it is known or already being hashed.
    void request(const std::string& modelPath);
    /// The fingerprint (or the error hashing gave) once known; nullopt while it is being computed
    /// or before request().
    std::optional<Result<std::string>> result(const std::string& modelPath) const;

signals:
    /// Hashing `modelPath` has reached `fraction` (0–1); at most every 1 %.
    void progress(const QString& modelPath, double fraction);
    /// The fingerprint of `modelPath` (or its error) is known: result() returns it.
    void finished(const QString& modelPath);

private:
    QThreadPool m_pool;
    std::atomic<bool> m_stopping{false};
    std::map<std::string, Result<std::string>> m_results;
    std::map<std::string, bool> m_running;
};

} // namespace attnscope::gui
