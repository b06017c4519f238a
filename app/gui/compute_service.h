#pragma once
// Owns the Workspace on one worker thread (DESIGN.md §7.11, RenderDoc's ReplayManager). The UI
// submits tagged requests; a newer request with the same tag drops queued older ones and cancels a
// running one (through the core's CancelToken). Results come back on the UI thread as
// shared_ptr<const ...> through queued calls; results superseded by a newer request are dropped.

#include "compute_results.h"

#include "attnscope/progress.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace attnscope::gui {

class ComputeService : public QObject {
    Q_OBJECT
public:
    explicit ComputeService(QObject* parent = nullptr);
    ~ComputeService() override;

    void openModel(const QString& path);
    void tokenize(const QString& text);
    /// Dense attention of one head and each variant's effective attention and metrics (tag "compare").
    void compareHead(std::vector<std::int32_t> ids, int layer, int head, const QStringList& variantSpecs);
    /// Every head's dense scores and the variant's metrics (tag "grid").
    void computeGrid(std::vector<std::int32_t> ids, const QString& variantSpec);
    /// Each variant's recall-vs-density sweep on one head and the model's perplexity with it
    /// (tag "curves"; on demand, it runs the model once per variant).
    /// replacedLayers: where each variant runs for its perplexity (empty: every layer).
    void computeCurves(std::vector<std::int32_t> ids, int layer, int head, const QStringList& variantSpecs,
                       std::vector<int> replacedLayers = {});
    /// Lets texts run past the model's context (RoPE models; the benchmark's long inputs).
    void setAllowOverflow(bool allow) { m_allowOverflow = allow; }
    /// What a view's own job returns: the call to make on the UI thread, or an error for failed().
    using ViewDelivery = Result<std::function<void()>>;
    using ViewJob = std::function<ViewDelivery(Workspace& workspace, const RunOptions& options)>;
    /// Runs a view's job on the worker under `tag`, replaced like every request (AnalysisTabs: the
    /// graph, structure, embedding, rollout and token-lines requests go through here).
    void runViewJob(const QString& tag, ViewJob job);
    /// Where later requests run attention (Workspace::setBackend and the comparer's variants).
    void setBackend(VariantBackend backend) { m_backend = backend; }
    VariantBackend backend() const { return m_backend; }
    /// Drops every queued request and cancels the running one.
    void cancelAll();

    /// True while a request is queued or running.
    bool busy() const { return m_inFlight > 0; }

signals:
    void modelLoaded(std::shared_ptr<const attnscope::gui::ModelLoaded> model);
    void tokensReady(std::shared_ptr<const attnscope::TokenizedText> tokens);
    void headCompared(std::shared_ptr<const attnscope::gui::HeadComparison> comparison);
    void gridReady(std::shared_ptr<const attnscope::gui::HeadGrid> grid);
    void curvesReady(std::shared_ptr<const attnscope::gui::VariantCurves> curves);
    void failed(const QString& tag, const QString& message);
    void busyChanged(bool busy);
    void progress(const QString& tag, double fraction, const QString& label);

private:
    // Runs on the worker; returns what to do on the UI thread (empty: nothing, e.g. cancelled).
    using Deliver = std::function<void()>;
    using Work = std::function<Deliver(std::unique_ptr<Workspace>&, const RunOptions&)>;
    struct Job {
        QString tag;
        std::uint64_t sequence = 0;
        Work work;
    };

    void submit(const QString& tag, Work work);
    /// submit() for a request that builds one Output: no model → failed(); compute's error (but a
    /// cancellation) → failed(); else the Output, timed, is emitted by `delivered` on the UI thread.
    template <typename Output, typename Compute>
    void submitTimed(const QString& tag, void (ComputeService::*delivered)(std::shared_ptr<const Output>),
                     Compute compute);
    void workerLoop();
    void finishJob(const QString& tag, std::uint64_t sequence, const Deliver& deliver);
    Deliver failure(const QString& tag, const Error& error);

    QThread* m_thread = nullptr;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_queue;      // guarded by m_mutex
    QString m_runningTag;         // guarded by m_mutex
    bool m_stopping = false;      // guarded by m_mutex
    CancelToken m_cancel;
    std::unique_ptr<Workspace> m_workspace;        // touched on the worker only
    // Dense head scores depend on the text only: a knob change reuses them (worker only).
    std::vector<std::int32_t> m_scoredIds;
    std::vector<std::vector<HeadScores>> m_scores;
    // The visible layer's Q/K/V: a knob change or another head of the layer runs no model (worker only).
    std::unique_ptr<Capture> m_capture;
    HeadComparer m_comparer;  // the shown head's dense side, kept across knob changes (worker only)
    std::map<QString, std::uint64_t> m_latest;     // UI thread only
    std::uint64_t m_nextSequence = 0;              // UI thread only
    int m_inFlight = 0;                            // UI thread only
    std::atomic<bool> m_allowOverflow = false;
    std::atomic<VariantBackend> m_backend = VariantBackend::Auto;
};

} // namespace attnscope::gui
