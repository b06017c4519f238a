#include "export_views.h"

#include "attnscope/figure_embedding.h"
#include "attnscope/figure_graph.h"
#include "attnscope/figure_structure.h"
#include "attnscope/figure_views.h"
#include "attnscope/sweep.h"

#ifdef ATTNSCOPE_HAVE_FIGURE
#include "figure_export.h"
#endif

namespace attnscope::cli {

ModelViewExporter::ModelViewExporter(const ExportRequest& request, Workspace& workspace, const std::vector<std::int32_t>& ids,
                                     const std::vector<std::string>& pieces, FigureProvenance provenance,
                                     const RunOptions& options)
    : m_request(request), m_workspace(workspace), m_ids(ids), m_pieces(pieces), m_provenance(std::move(provenance)),
      m_options(options)
{
}

FigureProvenance ModelViewExporter::provenanceFor(const PlannedFile& file) const
{
    return headProvenance(m_provenance.modelPath, m_provenance.modelHash, m_provenance.textHash, file.layer, file.head,
                          file.variant);
}

Result<const HeadGridValues*> ModelViewExporter::grid(const std::string& variant)
{
    if (const auto found = m_grids.find(variant); found != m_grids.end()) {
        return &found->second;
    }
    // Head scores depend on the text only: reuse those of any grid computed before.
    std::vector<std::vector<HeadScores>> scores;
    if (!m_grids.empty()) {
        scores = m_grids.begin()->second.scores;
    }
    HeadGridValues values;
    if (variant.empty()) {
        if (scores.empty()) {
            auto computed = m_workspace.headScores(m_ids, m_options);
            if (!computed) {
                return computed.error();
            }
            scores = std::move(computed.value());
        }
        values.scores = std::move(scores);
    } else {
        auto computed = computeHeadGrid(m_workspace, m_ids, variant, m_options, std::move(scores));
        if (!computed) {
            return computed.error();
        }
        values = std::move(computed.value());
    }
    return &m_grids.emplace(variant, std::move(values)).first->second;
}

Result<FigureModel> ModelViewExporter::build(const PlannedFile& file)
{
    if (m_request.view == ExportView::Grid) {
        auto metric = parseHeadGridMetric(file.metric);
        if (!metric) {
            return metric.error();
        }
        auto values = grid(file.variant);
        if (!values) {
            return values.error();
        }
        return buildHeadGridFigure(*values.value(), metric.value());
    }
    if (m_request.view == ExportView::Rollout) {
        auto dense = attentionRollout(m_workspace, m_ids, "dense", file.layer, m_options);
        if (!dense) {
            return dense.error();
        }
        auto variant = attentionRollout(m_workspace, m_ids, file.variant, file.layer, m_options);
        if (!variant) {
            return variant.error();
        }
        return buildRolloutFigure(dense.value(), variant.value(), m_pieces, m_request.scale);
    }
    if (m_request.view == ExportView::Graph) {
        auto graph = attentionGraph(m_workspace, m_ids, file.layer, file.head, file.variant, m_request.graphLayout,
                                    kGraphLayoutSeed, m_options);
        if (!graph) {
            return graph.error();
        }
        return buildGraphFigure(graph.value(), m_pieces);
    }
    if (m_request.view == ExportView::Embedding) {
        EmbeddingScene scene;
        auto embedding = qkEmbedding(m_workspace, m_ids, file.layer, file.head, m_options);
        if (!embedding) {
            return embedding.error();
        }
        scene.embedding = std::move(embedding.value());
        scene.variant = file.variant;
        scene.ids = m_ids;
        if (m_request.embeddingStyle.keptEdges) {
            auto effective = m_workspace.headAttention(m_ids, file.layer, file.head, file.variant, m_options);
            if (!effective) {
                return effective.error();
            }
            scene.variant = effective->variant;
            scene.kept = std::move(effective->mask);
        }
        return buildEmbeddingFigure(scene, m_request.embeddingStyle);
    }
    if (m_request.view == ExportView::Structure) {
        auto structure = headStructure(m_workspace, m_ids, file.layer, file.head, file.variant, m_options);
        if (!structure) {
            return structure.error();
        }
        return buildStructureFigure(structure.value(), m_pieces);
    }
    auto curves = computeVariantCurves(m_workspace, m_ids, file.layer, file.head, m_request.variants, m_options,
                                       m_request.replacedLayers);
    if (!curves) {
        return curves.error();
    }
    return buildCurvesFigure(curves.value());
}

Result<void> ModelViewExporter::write(const PlannedFile& file)
{
#ifdef ATTNSCOPE_HAVE_FIGURE
    auto figure = build(file);
    if (!figure) {
        return Error{figure.error().code, figure.error().message, file.path, figure.error().reason};
    }
    figure::FigureOutputOptions options;
    options.format = figure::parseFigureFormat(m_request.format).value();
    options.dpi = m_request.dpi;
    options.overwrite = m_request.force;
    return figure::exportFigureModel(std::move(figure.value()), provenanceFor(file), m_request.colormap, m_request.caption,
                                     file.path, options);
#else
    return makeError(ErrorCode::Unsupported, "this attnscope was built without Qt 6 Gui/Svg: no figures", file.path);
#endif
}

} // namespace attnscope::cli
