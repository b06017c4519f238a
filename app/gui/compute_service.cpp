#include "compute_service.h"

#include <QThread>

#include <algorithm>
#include <chrono>
#include <exception>
#include <new>

namespace attnscope::gui {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Error noModel()
{
    return makeError(ErrorCode::InvalidArgument, "no model is open");
}

std::vector<std::string> toStdStrings(const QStringList& list)
{
    std::vector<std::string> strings;
    for (const QString& item : list) {
        strings.push_back(item.toStdString());
    }
    return strings;
}

} // namespace

ComputeService::ComputeService(QObject* parent) : QObject(parent)
{
    m_thread = QThread::create([this] { workerLoop(); });
    m_thread->setObjectName(QStringLiteral("attnscope-compute"));
    m_thread->start();
}

ComputeService::~ComputeService()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_queue.clear();
    }
    m_cancel.cancel();
    m_wake.notify_all();
    m_thread->wait();
    delete m_thread;
    // The Workspace dies here, after the worker stopped using it.
}

void ComputeService::submit(const QString& tag, Work work)
{
    const std::uint64_t sequence = ++m_nextSequence;
    m_latest[tag] = sequence;
    int dropped = 0;
    {
        std::lock_guard lock(m_mutex);
        const auto end = std::remove_if(m_queue.begin(), m_queue.end(), [&](const Job& job) { return job.tag == tag; });
        dropped = static_cast<int>(std::distance(end, m_queue.end()));
        m_queue.erase(end, m_queue.end());
        if (m_runningTag == tag) {
            m_cancel.cancel();
        }
        // The compare view is what a knob change is for: its job runs before queued view and grid
        // jobs, behind only the model and tokens it depends on.
        auto position = m_queue.end();
        if (tag == QLatin1String("compare")) {
            position = std::find_if(m_queue.begin(), m_queue.end(), [](const Job& job) {
                return job.tag != QLatin1String("model") && job.tag != QLatin1String("tokens");
            });
        }
        m_queue.insert(position, Job{tag, sequence, std::move(work)});
    }
    m_wake.notify_one();
    const bool wasIdle = m_inFlight == 0;
    m_inFlight += 1 - dropped;
    if (wasIdle) {
        emit busyChanged(true);
    }
}

void ComputeService::cancelAll()
{
    int dropped = 0;
    {
        std::lock_guard lock(m_mutex);
        dropped = static_cast<int>(m_queue.size());
        m_queue.clear();
        if (!m_runningTag.isEmpty()) {
            m_cancel.cancel();
        }
    }
    m_inFlight -= dropped;
    if (m_inFlight == 0 && dropped > 0) {
        emit busyChanged(false);
    }
}

void ComputeService::workerLoop()
{
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_stopping) {
                return;
            }
            job = std::move(m_queue.front());
            m_queue.pop_front();
            m_runningTag = job.tag;
            m_cancel.reset();
        }
        RunOptions options;
        options.cancel = &m_cancel;
        options.allowOverflow = m_allowOverflow;
        auto lastReport = std::make_shared<std::chrono::steady_clock::time_point>();
        options.progress = [this, tag = job.tag, lastReport](double fraction, const std::string& label) {
            // The core may report per head; the UI needs a few updates a second at most.
            const auto now = std::chrono::steady_clock::now();
            if (now - *lastReport < std::chrono::milliseconds(100)) {
                return;
            }
            *lastReport = now;
            QMetaObject::invokeMethod(
                this, [this, tag, fraction, text = QString::fromStdString(label)] { emit progress(tag, fraction, text); },
                Qt::QueuedConnection);
        };
        // Read once per job, so one request never mixes backends.
        const VariantBackend backend = m_backend;
        m_comparer.setBackend(backend);
        if (m_workspace) {
            m_workspace->setBackend(backend);
        }
        Deliver deliver;
        try {
            deliver = job.work(m_workspace, options);
        } catch (const std::bad_alloc&) {
            deliver = failure(job.tag, makeError(ErrorCode::OutOfMemory, "out of memory"));
        } catch (const std::exception& exception) {
            deliver = failure(job.tag, makeError(ErrorCode::Internal, exception.what()));
        }
        {
            std::lock_guard lock(m_mutex);
            m_runningTag.clear();
        }
        QMetaObject::invokeMethod(
            this, [this, tag = job.tag, sequence = job.sequence, deliver] { finishJob(tag, sequence, deliver); },
            Qt::QueuedConnection);
    }
}

void ComputeService::finishJob(const QString& tag, std::uint64_t sequence, const Deliver& deliver)
{
    m_inFlight = std::max(0, m_inFlight - 1);
    if (deliver && m_latest[tag] == sequence) {
        deliver();
    }
    if (m_inFlight == 0) {
        emit busyChanged(false);
    }
}

ComputeService::Deliver ComputeService::failure(const QString& tag, const Error& error)
{
    if (error.code == ErrorCode::Cancelled) {
        return {};
    }
    return [this, tag, message = QString::fromStdString(error.describe())] { emit failed(tag, message); };
}

void ComputeService::runViewJob(const QString& tag, ViewJob job)
{
    submit(tag, [this, tag, job = std::move(job)](std::unique_ptr<Workspace>& workspace,
                                                   const RunOptions& options) -> Deliver {
        if (!workspace) {
            return failure(tag, noModel());
        }
        ViewDelivery delivery = job(*workspace, options);
        if (!delivery) {
            return failure(tag, delivery.error());
        }
        return std::move(delivery.value());
    });
}

void ComputeService::openModel(const QString& path)
{
    cancelAll();
    submit(QStringLiteral("model"), [this, path = path.toStdString()](std::unique_ptr<Workspace>& workspace,
                                                                       const RunOptions&) -> Deliver {
        const auto start = std::chrono::steady_clock::now();
        workspace.reset();
        m_capture.reset();
        m_comparer.clear();
        m_scoredIds.clear();
        m_scores.clear();
        auto opened = Workspace::open(OpenOptions{path});
        if (!opened) {
            return failure(QStringLiteral("model"), opened.error());
        }
        workspace = std::move(opened.value());
        workspace->setBackend(m_backend);
        auto loaded = std::make_shared<ModelLoaded>();
        loaded->info = workspace->info();
        loaded->backends = listBackends();
        loaded->seconds = secondsSince(start);
        return [this, loaded] { emit modelLoaded(loaded); };
    });
}

void ComputeService::tokenize(const QString& text)
{
    submit(QStringLiteral("tokens"), [this, text = text.toStdString()](std::unique_ptr<Workspace>& workspace,
                                                                        const RunOptions&) -> Deliver {
        if (!workspace) {
            return failure(QStringLiteral("tokens"), noModel());
        }
        auto tokens = workspace->tokenize(text);
        if (!tokens) {
            return failure(QStringLiteral("tokens"), tokens.error());
        }
        auto shared = std::make_shared<const TokenizedText>(std::move(tokens.value()));
        return [this, shared] { emit tokensReady(shared); };
    });
}

template <typename Output, typename Compute>
void ComputeService::submitTimed(const QString& tag, void (ComputeService::*delivered)(std::shared_ptr<const Output>),
                                 Compute compute)
{
    submit(tag, [this, tag, delivered, compute = std::move(compute)](std::unique_ptr<Workspace>& workspace,
                                                                     const RunOptions& options) -> Deliver {
        if (!workspace) {
            return failure(tag, noModel());
        }
        const auto start = std::chrono::steady_clock::now();
        auto output = std::make_shared<Output>();
        if (Result<void> done = compute(*workspace, options, *output); !done) {
            return failure(tag, done.error());
        }
        output->seconds = secondsSince(start);
        std::shared_ptr<const Output> shared = std::move(output);
        return [this, delivered, shared] { emit(this->*delivered)(shared); };
    });
}

void ComputeService::compareHead(std::vector<std::int32_t> ids, int layer, int head, const QStringList& variantSpecs)
{
    submitTimed<HeadComparison>(
        QStringLiteral("compare"), &ComputeService::headCompared,
        [this, ids = std::move(ids), layer, head, specs = toStdStrings(variantSpecs)](
            Workspace& workspace, const RunOptions& options, HeadComparison& result) -> Result<void> {
            result.ids = ids;
            result.layer = layer;
            result.head = head;
            if (!m_capture || m_capture->ids != ids || !m_capture->find(layer)) {
                m_capture.reset();
                auto captured = captureLayers(workspace, ids, {layer}, options);
                if (!captured) {
                    return captured.error();
                }
                m_capture = std::make_unique<Capture>(std::move(captured.value()));
            }
            // The comparer keeps the head's dense side while text, layer and head stay: a knob
            // change recomputes only the variants.
            auto compared = m_comparer.compare(*m_capture, layer, head, specs, options.cancel);
            if (!compared) {
                return compared.error();
            }
            result.dense = std::move(compared->dense);
            result.variants = std::move(compared->variants);
            return okResult();
        });
}

void ComputeService::computeGrid(std::vector<std::int32_t> ids, const QString& variantSpec)
{
    submitTimed<HeadGrid>(
        QStringLiteral("grid"), &ComputeService::gridReady,
        [this, ids = std::move(ids), spec = variantSpec.toStdString()](Workspace& workspace, const RunOptions& options,
                                                                      HeadGrid& result) -> Result<void> {
            // Scores depend on the text only: a variant change reuses them.
            auto grid = computeHeadGrid(workspace, ids, spec, options,
                                        m_scoredIds == ids ? m_scores : std::vector<std::vector<HeadScores>>{});
            if (!grid) {
                return grid.error();
            }
            m_scores = grid->scores;
            m_scoredIds = ids;
            static_cast<HeadGridValues&>(result) = std::move(grid.value());
            result.ids = ids;
            return okResult();
        });
}

void ComputeService::computeCurves(std::vector<std::int32_t> ids, int layer, int head, const QStringList& variantSpecs,
                                   std::vector<int> replacedLayers)
{
    submitTimed<VariantCurves>(
        QStringLiteral("curves"), &ComputeService::curvesReady,
        [ids = std::move(ids), layer, head, specs = toStdStrings(variantSpecs), replaced = std::move(replacedLayers)](
            Workspace& workspace, const RunOptions& options, VariantCurves& result) -> Result<void> {
            auto curves = computeVariantCurves(workspace, ids, layer, head, specs, options, replaced);
            if (!curves) {
                return curves.error();  // failure() drops a cancellation silently
            }
            static_cast<VariantCurveSet&>(result) = std::move(curves.value());
            result.ids = ids;
            return okResult();
        });
}

} // namespace attnscope::gui
