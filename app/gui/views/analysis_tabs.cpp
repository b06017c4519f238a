#include "views/analysis_tabs.h"

#include "compute_service.h"
#include "selection_model.h"
#include "views/embedding_view.h"
#include "views/graph_view.h"
#include "views/rollout_view.h"
#include "views/structure_view.h"
#include "views/token_lines_view.h"
#include "views/token_strip.h"

#include "attnscope/analysis.h"
#include "attnscope/figure_graph.h"

#include <QPointer>

namespace attnscope::gui {

namespace {

const char* const kTags[AnalysisTabs::TabCount] = {"lines", "graph", "structure", "embedding", "rollout"};


QStringList tokenLabels(const SelectionModel& selection, const std::vector<std::int32_t>& ids)
{
    QStringList labels;
    if (const auto tokens = selection.tokens(); tokens && tokens->ids == ids) {
        for (const std::string& piece : tokens->tokens) {
            labels << TokenStrip::displayText(piece);
        }
    }
    return labels;
}

} // namespace

AnalysisTabs::AnalysisTabs(SelectionModel& selection, ComputeService& compute, QWidget* parent)
    : QTabWidget(parent), m_selection(selection), m_compute(compute)
{
    setObjectName(QStringLiteral("analysisTabs"));
    m_lines = new TokenLinesView(this);
    m_graph = new GraphView(this);
    m_structure = new StructureView(this);
    m_embedding = new EmbeddingView(this);
    m_rollout = new RolloutView(this);
    addTab(m_lines, tr("Token lines"));
    addTab(m_graph, tr("Graph"));
    addTab(m_structure, tr("Structure"));
    addTab(m_embedding, tr("Q/K embedding"));
    addTab(m_rollout, tr("Rollout"));

    connect(this, &QTabWidget::currentChanged, this, &AnalysisTabs::requestVisible);
    // Queued: the window's own requests for the same change (compare view, head grid) reach the
    // worker's queue first, so a knob change redraws the compare view before these tabs.
    connect(&m_selection, &SelectionModel::tokensChanged, this, &AnalysisTabs::requestVisible, Qt::QueuedConnection);
    connect(&m_selection, &SelectionModel::headChanged, this, &AnalysisTabs::requestVisible, Qt::QueuedConnection);
    connect(&m_selection, &SelectionModel::variantSpecChanged, this, &AnalysisTabs::requestVisible,
            Qt::QueuedConnection);
    connect(m_graph, &GraphView::layoutKindChanged, this, &AnalysisTabs::requestVisible);
    connect(&m_selection, &SelectionModel::hoveredTokenChanged, this,
            [this] { setHoveredToken(m_selection.hoveredToken()); });
    connect(m_lines, &TokenLinesView::tokenHovered, &m_selection, &SelectionModel::setHoveredToken);
    connect(m_graph, &GraphView::tokenHovered, &m_selection, &SelectionModel::setHoveredToken);
    connect(m_structure, &StructureView::tokenHovered, &m_selection, &SelectionModel::setHoveredToken);
    connect(m_embedding, &EmbeddingView::tokenHovered, &m_selection, &SelectionModel::setHoveredToken);
    connect(m_rollout, &RolloutView::tokenHovered, &m_selection, &SelectionModel::setHoveredToken);
}

void AnalysisTabs::setHoveredToken(int position)
{
    m_lines->setHoveredToken(position);
    m_graph->setHoveredToken(position);
    m_structure->setHoveredToken(position);
    m_embedding->setHoveredToken(position);
    m_rollout->setHoveredToken(position);
}

QString AnalysisTabs::requestKey(int tab) const
{
    const auto tokens = m_selection.tokens();
    if (!tokens || tokens->ids.empty() || !parseVariantSpec(m_selection.variantSpec().toStdString())) {
        return {};
    }
    // The model path too: another model may tokenise the text to the same ids.
    QString key = m_selection.modelPath() + QLatin1Char('\n') + QString::number(m_selection.layer()) +
                  QLatin1Char('/') + QString::number(m_selection.head()) + QLatin1Char('/') +
                  m_selection.variantSpec() + QLatin1Char('/');
    for (const std::int32_t id : tokens->ids) {
        key += QString::number(id) + QLatin1Char(',');
    }
    if (tab == Graph) {
        key += QStringLiteral("/layout%1").arg(static_cast<int>(m_graph->layoutKind()));
    }
    return key;
}

bool AnalysisTabs::currentTabIsUpToDate() const
{
    const QString key = requestKey(currentIndex());
    return !key.isEmpty() && m_shown[static_cast<std::size_t>(currentIndex())] == key;
}

void AnalysisTabs::deliver(int tab, const QString& key)
{
    m_shown[static_cast<std::size_t>(tab)] = key;
    emit resultArrived(QString::fromLatin1(kTags[tab]));
}

void AnalysisTabs::requestVisible()
{
    const int tab = currentIndex();
    if (tab < 0 || tab >= TabCount) {
        return;
    }
    const QString key = requestKey(tab);
    const auto index = static_cast<std::size_t>(tab);
    // Asked already and still on its way (the worker is busy), or on screen: nothing to do. A request
    // that was cancelled (Esc) or failed is sent again at the next tab switch or selection change.
    if (key.isEmpty() || key == m_shown[index] || (key == m_requested[index] && m_compute.busy())) {
        return;
    }
    m_requested[index] = key;
    const std::vector<std::int32_t> ids = m_selection.tokens()->ids;
    const int layer = m_selection.layer();
    const int head = m_selection.head();
    const std::string spec = m_selection.variantSpec().toStdString();
    using Delivery = ComputeService::ViewDelivery;
    // What the worker hands back: `show` runs on the UI thread while the tabs still exist, and the
    // tab is then marked as showing `key`.
    auto onUiThread = [self = QPointer<AnalysisTabs>(this), tab, key](auto show) -> Delivery {
        return std::function<void()>([self, tab, key, show] {
            if (self) {
                show(*self);
                self->deliver(tab, key);
            }
        });
    };
    // Each job runs on the worker and calls core only.
    ComputeService::ViewJob job;
    switch (tab) {
    case TokenLines:
        job = [=](Workspace& workspace, const RunOptions& options) -> Delivery {
            auto dense = workspace.headAttention(ids, layer, head, "dense", options);
            if (!dense) {
                return dense.error();
            }
            auto effective = workspace.headAttention(ids, layer, head, spec, options);
            if (!effective) {
                return effective.error();
            }
            auto data = std::make_shared<TokenLinesData>();
            data->layer = layer;
            data->head = head;
            data->n = dense->nTokens;
            data->variant = QString::fromStdString(effective->variant);
            data->dense = std::move(dense->attention);
            data->effective = std::move(effective->attention);
            return onUiThread([data, ids](AnalysisTabs& tabs) {
                TokenLinesData shown = *data;
                shown.tokens = tokenLabels(tabs.m_selection, ids);
                tabs.m_lines->setData(std::move(shown));
            });
        };
        break;
    case Graph:
        job = [=, layout = m_graph->layoutKind()](Workspace& workspace, const RunOptions& options) -> Delivery {
            auto graph = attentionGraph(workspace, ids, layer, head, spec, layout, kGraphLayoutSeed, options);
            if (!graph) {
                return graph.error();
            }
            auto shared = std::make_shared<const AttentionGraph>(std::move(graph.value()));
            return onUiThread([shared, ids](AnalysisTabs& tabs) {
                tabs.m_graph->setGraph(shared, tokenLabels(tabs.m_selection, ids));
            });
        };
        break;
    case Structure:
        job = [=](Workspace& workspace, const RunOptions& options) -> Delivery {
            auto structure = headStructure(workspace, ids, layer, head, spec, options);
            if (!structure) {
                return structure.error();
            }
            auto shared = std::make_shared<const HeadStructure>(std::move(structure.value()));
            return onUiThread([shared](AnalysisTabs& tabs) { tabs.m_structure->setStructure(shared); });
        };
        break;
    case Embedding:
        job = [=](Workspace& workspace, const RunOptions& options) -> Delivery {
            auto embedding = qkEmbedding(workspace, ids, layer, head, options);
            if (!embedding) {
                return embedding.error();
            }
            auto effective = workspace.headAttention(ids, layer, head, spec, options);
            if (!effective) {
                return effective.error();
            }
            auto data = std::make_shared<EmbeddingData>();
            data->embedding = std::move(embedding.value());
            data->variant = effective->variant;
            data->kept = std::move(effective->mask);
            data->ids = ids;
            std::shared_ptr<const EmbeddingData> shared = data;
            return onUiThread([shared, ids](AnalysisTabs& tabs) {
                tabs.m_embedding->setData(shared, tokenLabels(tabs.m_selection, ids));
            });
        };
        break;
    case Rollout:
        job = [=](Workspace& workspace, const RunOptions& options) -> Delivery {
            auto dense = attentionRollout(workspace, ids, "dense", layer, options);
            if (!dense) {
                return dense.error();
            }
            auto variant = attentionRollout(workspace, ids, spec, layer, options);
            if (!variant) {
                return variant.error();
            }
            auto pair = std::make_shared<RolloutPair>();
            pair->dense = std::move(dense.value());
            pair->variant = std::move(variant.value());
            std::shared_ptr<const RolloutPair> shared = pair;
            return onUiThread([shared](AnalysisTabs& tabs) { tabs.m_rollout->setRollout(shared); });
        };
        break;
    default:
        return;
    }
    m_compute.runViewJob(QString::fromLatin1(kTags[tab]), std::move(job));
}

} // namespace attnscope::gui
