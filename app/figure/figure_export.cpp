#include "figure_export.h"

#include "figure_layout.h"
#include "figure_painter.h"

#include "attnscope/data_export.h"

#include <QBuffer>
#include <QGuiApplication>
#include <QImage>
#include <QImageWriter>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>

#include <cmath>
#include <cstdlib>

namespace attnscope::figure {

const char* figureFormatName(FigureFormat format)
{
    switch (format) {
    case FigureFormat::Png: return "png";
    case FigureFormat::Svg: return "svg";
    case FigureFormat::Pdf: return "pdf";
    }
    return "png";
}

Result<FigureFormat> parseFigureFormat(std::string_view name)
{
    for (const FigureFormat format : {FigureFormat::Png, FigureFormat::Svg, FigureFormat::Pdf}) {
        if (name == figureFormatName(format)) {
            return format;
        }
    }
    return makeError(ErrorCode::InvalidArgument, "unknown figure format \"" + std::string(name) + "\" (png, svg or pdf)");
}

Result<FigureFormat> figureFormatForPath(const std::string& path)
{
    const std::size_t dot = path.rfind('.');
    const std::size_t slash = path.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
        return makeError(ErrorCode::InvalidArgument, "the figure file needs an extension: .png, .svg or .pdf", path);
    }
    std::string extension = path.substr(dot + 1);
    for (char& character : extension) {
        character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    }
    auto format = parseFigureFormat(extension);
    if (!format) {
        return makeError(ErrorCode::InvalidArgument, format.error().message, path);
    }
    return format;
}

namespace {

QString xmlEscaped(const std::string& text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString provenanceText(const FigureProvenance& provenance)
{
    QStringList lines;
    for (const auto& [key, value] : provenance.entries()) {
        lines << QString::fromStdString(key + ": " + value);
    }
    return lines.join(QLatin1Char('\n'));
}

Result<QByteArray> renderPng(const FigureModel& figure, const FigureLayout& layout, int dpi)
{
    const double scale = dpi / 72.0;
    const QSize pixels(static_cast<int>(std::ceil(layout.size.width() * scale)),
                       static_cast<int>(std::ceil(layout.size.height() * scale)));
    QImage image(pixels, QImage::Format_RGB32);
    if (image.isNull()) {
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a " + std::to_string(pixels.width()) + "x" +
                                                     std::to_string(pixels.height()) + " image (lower --dpi)");
    }
    image.fill(Qt::white);
    const int dotsPerMeter = static_cast<int>(std::lround(dpi / 0.0254));
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    {
        QPainter painter(&image);
        painter.scale(scale, scale);
        paintFigure(painter, figure, layout);
    }
    image.setText(QStringLiteral("Title"), QString::fromStdString(figure.title));
    image.setText(QStringLiteral("Software"), QStringLiteral("attnscope ") + QString::fromStdString(figure.provenance.version));
    for (const auto& [key, value] : figure.provenance.entries()) {
        image.setText(QString::fromStdString(key), QString::fromStdString(value));
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    if (!writer.write(image)) {
        return makeError(ErrorCode::Internal, "PNG encoding failed: " + writer.errorString().toStdString());
    }
    return bytes;
}

Result<QByteArray> renderSvg(const FigureModel& figure, const FigureLayout& layout)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setResolution(72);  // one SVG unit per point
    generator.setSize(layout.size.toSize());
    generator.setViewBox(QRectF(QPointF(0.0, 0.0), layout.size));
    generator.setTitle(QString::fromStdString(figure.title));
    generator.setDescription(provenanceText(figure.provenance));
    {
        QPainter painter(&generator);
        if (!painter.isActive()) {
            return makeError(ErrorCode::Internal, "cannot start the SVG painter");
        }
        paintFigure(painter, figure, layout);
    }
    // QSvgGenerator has no API for these two: machine-readable provenance in <metadata>, and
    // pixelated image rendering so that viewers do not blur the embedded one-pixel-per-cell maps.
    QString attributes;
    for (const auto& [key, value] : figure.provenance.entries()) {
        attributes += QStringLiteral(" %1=\"%2\"").arg(QString::fromStdString(key), xmlEscaped(value));
    }
    const QByteArray metadata = QStringLiteral("<metadata><attnscope:provenance xmlns:attnscope=\"urn:attnscope:provenance:1\"%1/></metadata>\n")
                                    .arg(attributes).toUtf8();
    const int descEnd = bytes.indexOf("</desc>");
    const int svgOpen = bytes.indexOf("<svg");
    const int insertAt = descEnd >= 0 ? descEnd + 8 : (svgOpen >= 0 ? bytes.indexOf('>', svgOpen) + 2 : -1);
    if (insertAt < 0) {
        return makeError(ErrorCode::Internal, "the SVG generator wrote no <svg> element");
    }
    bytes.insert(insertAt, metadata);
    bytes.replace("<image ", "<image style=\"image-rendering:optimizeSpeed;image-rendering:pixelated\" ");
    return bytes;
}

QByteArray xmpPacket(const FigureModel& figure)
{
    QString properties;
    for (const auto& [key, value] : figure.provenance.entries()) {
        properties += QStringLiteral("   <attnscope:%1>%2</attnscope:%1>\n").arg(QString::fromStdString(key), xmlEscaped(value));
    }
    return QStringLiteral(
               "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
               "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
               " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
               "  <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
               "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:attnscope=\"urn:attnscope:provenance:1\">\n"
               "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%1</rdf:li></rdf:Alt></dc:title>\n"
               "   <xmp:CreatorTool>attnscope %2</xmp:CreatorTool>\n"
               "%3"
               "  </rdf:Description>\n"
               " </rdf:RDF>\n"
               "</x:xmpmeta>\n"
               "<?xpacket end=\"w\"?>")
        .arg(xmlEscaped(figure.title), xmlEscaped(figure.provenance.version), properties)
        .toUtf8();
}

Result<QByteArray> renderPdf(const FigureModel& figure, const FigureLayout& layout)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter writer(&buffer);
        writer.setResolution(72);  // one device unit per point
        writer.setPageSize(QPageSize(layout.size, QPageSize::Point, QString(), QPageSize::ExactMatch));
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setTitle(QString::fromStdString(figure.title));
        writer.setCreator(QStringLiteral("attnscope ") + QString::fromStdString(figure.provenance.version));
        writer.setDocumentXmpMetadata(xmpPacket(figure));
        QPainter painter(&writer);
        if (!painter.isActive()) {
            return makeError(ErrorCode::Internal, "cannot start the PDF painter");
        }
        paintFigure(painter, figure, layout);
    }
    return bytes;
}

} // namespace

Result<QByteArray> renderFigure(const FigureModel& figure, const FigureOutputOptions& options)
{
    if (figure.panels.empty() && figure.charts.empty() && figure.tokenLines.empty() && figure.graphs.empty() &&
        figure.scatters.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the figure has nothing to draw");
    }
    if (options.dpi < kMinFigureDpi || options.dpi > kMaxFigureDpi) {
        return makeError(ErrorCode::InvalidArgument, "--dpi " + std::to_string(options.dpi) + " is outside [" +
                                                         std::to_string(kMinFigureDpi) + ", " + std::to_string(kMaxFigureDpi) + "]");
    }
    if (QGuiApplication::instance() == nullptr) {
        return makeError(ErrorCode::Internal, "figures need a QGuiApplication (ensureGuiApplication)");
    }
    const FigureLayout layout = layoutFigure(figure);
    switch (options.format) {
    case FigureFormat::Png: return renderPng(figure, layout, options.dpi);
    case FigureFormat::Svg: return renderSvg(figure, layout);
    case FigureFormat::Pdf: return renderPdf(figure, layout);
    }
    return makeError(ErrorCode::Internal, "unknown figure format");
}

Result<void> writeFigure(const FigureModel& figure, const std::string& path, const FigureOutputOptions& options)
{
    auto bytes = renderFigure(figure, options);
    if (!bytes) {
        return Error{bytes.error().code, bytes.error().message, path, bytes.error().reason};
    }
    return writeTextFileAtomic(path, std::string_view(bytes->constData(), static_cast<std::size_t>(bytes->size())),
                               options.overwrite);
}

Result<void> exportFigureModel(FigureModel figure, const FigureProvenance& provenance, const std::string& colormap,
                               bool caption, const std::string& path, const FigureOutputOptions& options)
{
    figure.provenance = provenance;
    figure.colormap = colormap;
    figure.caption = caption;
    return writeFigure(figure, path, options);
}

Result<FigureModel> headFigureModel(const HeadFigure& head)
{
    if (head.attention == nullptr) {
        return makeError(ErrorCode::InvalidArgument, "no attention to draw");
    }
    auto model = head.variants.empty() ? buildHeatmapFigure(*head.attention, head.pieces, head.scale)
                                       : buildCompareFigure(*head.attention, head.variants, head.pieces, head.scale, head.outlined);
    if (!model) {
        return model.error();
    }
    model->provenance = head.provenance;
    model->caption = head.caption;
    model->colormap = head.colormap;
    return model;
}

Result<void> exportHeadFigure(const HeadFigure& head, const std::string& path, const FigureOutputOptions& options)
{
    auto model = headFigureModel(head);
    if (!model) {
        return Error{model.error().code, model.error().message, path, model.error().reason};
    }
    return writeFigure(model.value(), path, options);
}

std::unique_ptr<QGuiApplication> ensureGuiApplication()
{
    if (QCoreApplication::instance() != nullptr) {
        return nullptr;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    // Headless sessions (ssh, CI) often lack XDG_RUNTIME_DIR; Qt's warning about it says nothing
    // about the export, so it is dropped to keep stderr to the one line of a real error.
    static const QtMessageHandler previous = qInstallMessageHandler(nullptr);
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext& context, const QString& message) {
        if (message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set"))) {
            return;
        }
        if (previous != nullptr) {
            previous(type, context, message);
        }
    });
    // QGuiApplication keeps references to argc and argv for its whole life.
    static int argc = 1;
    static char name[] = "attnscope";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QGuiApplication>(argc, argv);
}

} // namespace attnscope::figure
