#include "figure_export_action.h"

#include <QFileDialog>

#include <map>

namespace attnscope::gui {

namespace {

/// Hashing a large model takes seconds: once per model path in a session.
Result<std::string> cachedFingerprint(const std::string& modelPath)
{
    static std::map<std::string, std::string> cache;
    if (const auto found = cache.find(modelPath); found != cache.end()) {
        return found->second;
    }
    auto hash = modelFingerprint(modelPath);
    if (hash) {
        cache.emplace(modelPath, hash.value());
    }
    return hash;
}

} // namespace

Result<void> exportSceneFigure(const FigureScene& scene, const std::string& path, const figure::FigureOutputOptions& options,
                               bool caption)
{
    if (scene.dense == nullptr) {
        return makeError(ErrorCode::InvalidArgument, "nothing to export yet: wait for the first result", path);
    }
    auto hash = cachedFingerprint(scene.modelPath);
    if (!hash) {
        return hash.error();
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
    head.provenance = headProvenance(scene.modelPath, hash.value(), sha256Hex(scene.text), scene.dense->layer,
                                     scene.dense->head, specs);
    head.caption = caption;
    return figure::exportHeadFigure(head, path, options);
}

QString exportSceneWithDialog(QWidget* parent, const FigureScene& scene)
{
    QString selectedFilter;
    QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Export figure"), QString(),
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
    figure::FigureOutputOptions options;
    options.format = figure::figureFormatForPath(path.toStdString()).value();
    options.dpi = 300;
    options.overwrite = true;  // the save dialog has asked before replacing a file
    auto written = exportSceneFigure(scene, path.toStdString(), options, false);
    return written ? QString() : QString::fromStdString(written.error().describe());
}

} // namespace attnscope::gui
