#include "figure_export_action.h"

#include "attnscope/figure_graph.h"
#include "attnscope/figure_structure.h"
#include "attnscope/figure_token_lines.h"
#include "attnscope/figure_views.h"

#include <QFileDialog>

namespace attnscope::gui {

namespace {

Error atPath(const Error& error, const std::string& path)
{
    return Error{error.code, error.message, path, error.reason};
}

/// Writes a view's figure with the provenance the CLI gives the same view.
Result<void> writeViewFigure(Result<FigureModel> model, const FigureSource& source, int layer, int head,
                             const std::string& variant, const std::string& path, const figure::FigureOutputOptions& options)
{
    if (source.modelHash.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the model's fingerprint is not known yet", path);
    }
    if (!model) {
        return atPath(model.error(), path);
    }
    return figure::exportFigureModel(std::move(model.value()),
                                     headProvenance(source.modelPath, source.modelHash, sha256Hex(source.text), layer, head, variant),
                                     source.colormap, false, path, options);
}

} // namespace

Result<void> exportSceneFigure(const FigureScene& scene, const std::string& path, const figure::FigureOutputOptions& options,
                               bool caption)
{
    if (scene.dense == nullptr) {
        return makeError(ErrorCode::InvalidArgument, "nothing to export yet: wait for the first result", path);
    }
    if (scene.modelHash.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the model's fingerprint is not known yet", path);
    }
    std::string specs = scene.variants.empty() ? scene.dense->variant : std::string();
    for (const HeadAttention* variant : scene.variants) {
        specs += (specs.empty() ? "" : "; ") + variant->variant;
    }
    figure::HeadFigure head;
    head.attention = scene.dense;
    head.variants = scene.variants;
    head.outlined = scene.activeVariant;
    head.pieces = scene.pieces;
    head.scale = scene.scale;
    head.colormap = scene.colormap;
    head.provenance = headProvenance(scene.modelPath, scene.modelHash, sha256Hex(scene.text), scene.dense->layer,
                                     scene.dense->head, specs);
    head.caption = caption;
    return figure::exportHeadFigure(head, path, options);
}

Result<void> exportHeadGridFigure(const HeadGridValues& grid, HeadGridMetric metric, const FigureSource& source,
                                  const std::string& path, const figure::FigureOutputOptions& options)
{
    return writeViewFigure(buildHeadGridFigure(grid, metric), source, -1, -1,
                           headGridMetricInfo(metric).ofVariant ? grid.variant : std::string(), path, options);
}

Result<void> exportRolloutFigure(const AttentionRollout& dense, const AttentionRollout& variant, const FigureSource& source,
                                 const std::string& path, const figure::FigureOutputOptions& options)
{
    return writeViewFigure(buildRolloutFigure(dense, variant, source.pieces, source.scale), source, dense.throughLayer, -1,
                           variant.variant, path, options);
}

Result<void> exportCurvesFigure(const VariantCurveSet& curves, const FigureSource& source, const std::string& path,
                                const figure::FigureOutputOptions& options)
{
    std::string specs;
    for (const VariantCurve& curve : curves.curves) {
        specs += (specs.empty() ? "" : "; ") + curve.variant;
    }
    return writeViewFigure(buildCurvesFigure(curves), source, curves.layer, curves.head, specs, path, options);
}

Result<void> exportStructureFigure(const HeadStructure& structure, const FigureSource& source, const std::string& path,
                                   const figure::FigureOutputOptions& options)
{
    return writeViewFigure(buildStructureFigure(structure, source.pieces), source, structure.layer, structure.head,
                           structure.variant, path, options);
}

Result<void> exportTokenLinesFigure(const HeadAttention& dense, const HeadAttention& effective, const FigureSource& source,
                                    const std::string& path, const figure::FigureOutputOptions& options)
{
    return writeViewFigure(buildTokenLinesFigure(dense, effective, source.pieces), source, dense.layer, dense.head,
                           effective.variant, path, options);
}

Result<void> exportGraphFigure(const AttentionGraph& graph, const FigureSource& source, const std::string& path,
                               const figure::FigureOutputOptions& options)
{
    return writeViewFigure(buildGraphFigure(graph, source.pieces), source, graph.layer, graph.head, graph.variant, path, options);
}

Result<void> exportEmbeddingFigure(const EmbeddingScene& scene, const EmbeddingStyle& style, const FigureSource& source,
                                   const std::string& path, const figure::FigureOutputOptions& options)
{
    return writeViewFigure(buildEmbeddingFigure(scene, style), source, scene.embedding.layer, scene.embedding.head,
                           scene.variant, path, options);
}

Result<figure::FigureOutputOptions> windowFigureOptions(const std::string& path)
{
    auto format = figure::figureFormatForPath(path);
    if (!format) {
        return format.error();
    }
    figure::FigureOutputOptions options;
    options.format = format.value();
    options.dpi = 300;
    options.overwrite = true;  // the save dialog has asked before replacing a file
    return options;
}

QString askFigurePath(QWidget* parent, const QString& title, figure::FigureOutputOptions& options)
{
    QString selectedFilter;
    QString path = QFileDialog::getSaveFileName(parent, title, QString(),
                                                QObject::tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"),
                                                &selectedFilter);
    if (path.isEmpty()) {
        return {};
    }
    if (!figure::figureFormatForPath(path.toStdString()).ok()) {
        path += selectedFilter.contains(QLatin1String("svg")) ? QStringLiteral(".svg")
                : selectedFilter.contains(QLatin1String("pdf")) ? QStringLiteral(".pdf")
                                                                : QStringLiteral(".png");
    }
    options = windowFigureOptions(path.toStdString()).value();
    return path;
}

} // namespace attnscope::gui
