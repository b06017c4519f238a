#pragma once
// The analysis views of issue #6 as tabs under the compare view: token lines, graph of kept edges,
// the variant's structure, the Q/K embedding and rollout. It observes the SelectionModel, asks the
// ComputeService (tags "lines", "graph", "structure", "embedding", "rollout") for what the visible
// tab needs, once per selection, and hands the results to its views. MainWindow only hosts it.

#include <QString>
#include <QTabWidget>

#include <array>

namespace attnscope::gui {

class ComputeService;
class EmbeddingView;
class GraphView;
class RolloutView;
class SelectionModel;
class StructureView;
class TokenLinesView;

class AnalysisTabs : public QTabWidget {
    Q_OBJECT
public:
    enum Tab { TokenLines, Graph, Structure, Embedding, Rollout, TabCount };

    AnalysisTabs(SelectionModel& selection, ComputeService& compute, QWidget* parent = nullptr);

    TokenLinesView* tokenLinesView() const { return m_lines; }
    GraphView* graphView() const { return m_graph; }
    StructureView* structureView() const { return m_structure; }
    EmbeddingView* embeddingView() const { return m_embedding; }
    RolloutView* rolloutView() const { return m_rollout; }
    /// The visible tab shows the result for the current selection.
    bool currentTabIsUpToDate() const;

signals:
    /// A result for `tag` arrived (the window clears an error it showed for that tag).
    void resultArrived(const QString& tag);

private:
    QString requestKey(int tab) const;
    void requestVisible();
    void deliver(int tab, const QString& key);
    void setHoveredToken(int position);

    SelectionModel& m_selection;
    ComputeService& m_compute;
    TokenLinesView* m_lines = nullptr;
    GraphView* m_graph = nullptr;
    StructureView* m_structure = nullptr;
    EmbeddingView* m_embedding = nullptr;
    RolloutView* m_rollout = nullptr;
    std::array<QString, TabCount> m_requested;  ///< key of the last request per tab
    std::array<QString, TabCount> m_shown;      ///< key of the result on screen per tab
};

} // namespace attnscope::gui
