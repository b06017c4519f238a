#pragma once
// The variant's kept edges of one head as a graph (issue #6): nodes are tokens at the positions
// core laid out (Boost.Graph), edges drawn with width and opacity by attention; for sbm the nodes
// are coloured by their cluster. The layout is picked here and computed in core.

#include "attnscope/analysis.h"

#include <QStringList>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;

namespace attnscope::gui {

class GraphCanvas;

class GraphView : public QWidget {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);

    void setGraph(std::shared_ptr<const AttentionGraph> graph, const QStringList& tokens);
    std::shared_ptr<const AttentionGraph> graph() const { return m_graph; }
    GraphLayoutKind layoutKind() const;
    void setLayoutKind(GraphLayoutKind kind);
    void setHoveredToken(int position);
    /// Nodes drawn (one per token once a graph arrived), for tests.
    int nodeCount() const;
    QWidget* canvas() const;

signals:
    void layoutKindChanged();
    void tokenHovered(int position);

private:
    std::shared_ptr<const AttentionGraph> m_graph;
    QComboBox* m_layout = nullptr;
    QLabel* m_header = nullptr;
    GraphCanvas* m_canvas = nullptr;
};

} // namespace attnscope::gui
