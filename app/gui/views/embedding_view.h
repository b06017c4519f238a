#pragma once
// A head's queries and keys in one 2-D plane (the AttentionViz idea, issue #6): core projects them
// jointly (PCA) and decides every point's place, mark, size and colour (embeddingScatter, the rule
// the exported figure follows too); here queries are circles and keys are squares, coloured by
// position or by token, with the variant's kept (query → key) edges on demand. Hover reports the
// token to the selection, so the heatmaps mark the same row and column.

#include "attnscope/figure_embedding.h"

#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;

namespace attnscope::gui {

class EmbeddingCanvas;

/// The projection plus the variant's kept mask ([N, N], may be empty) for the edges and the ids.
using EmbeddingData = EmbeddingScene;

class EmbeddingView : public QWidget {
    Q_OBJECT
public:
    explicit EmbeddingView(QWidget* parent = nullptr);

    void setData(std::shared_ptr<const EmbeddingData> data, const QStringList& tokens);
    std::shared_ptr<const EmbeddingData> data() const { return m_data; }
    void setHoveredToken(int position);
    void setShowEdges(bool show);
    void setColourByToken(bool byToken);
    /// The switches the tab shows the embedding with (what File → Export writes).
    EmbeddingStyle style() const;
    /// Points drawn in the last paint (queries + keys) and kept edges drawn, for tests.
    int drawnPointCount() const;
    int drawnEdgeCount() const;
    QWidget* canvas() const;

signals:
    void tokenHovered(int position);

private:
    std::shared_ptr<const EmbeddingData> m_data;
    QLabel* m_header = nullptr;
    QComboBox* m_colour = nullptr;
    QCheckBox* m_edges = nullptr;
    EmbeddingCanvas* m_canvas = nullptr;
};

} // namespace attnscope::gui
