#include "workbench_settings.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

#include <algorithm>

namespace attnscope::gui {

namespace {

const char* const kRecent = "files/recentModels";
const char* const kTheme = "view/theme";
const char* const kScale = "compare/scale";
const char* const kColormap = "compare/colormap";
const char* const kRowNormalised = "compare/rowNormalised";
const char* const kPooling = "compare/pooling";
const char* const kGeometry = "window/geometry";
const char* const kState = "window/state";
const char* const kSplitters = "window/splitters";

QPalette darkPalette()
{
    QPalette palette;
    const QColor window(35, 36, 39);
    const QColor base(27, 28, 30);
    const QColor text(215, 215, 222);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, window);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, QColor(45, 47, 51));
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::Mid, QColor(80, 80, 88));
    palette.setColor(QPalette::ToolTipBase, QColor(45, 47, 51));
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::Highlight, QColor(245, 166, 35));
    palette.setColor(QPalette::HighlightedText, QColor(20, 20, 20));
    palette.setColor(QPalette::PlaceholderText, QColor(120, 120, 128));
    return palette;
}

QPalette lightPalette(QPalette palette)
{
    palette.setColor(QPalette::Window, QColor(246, 246, 248));
    palette.setColor(QPalette::WindowText, QColor(30, 30, 36));
    palette.setColor(QPalette::Mid, QColor(150, 150, 160));
    palette.setColor(QPalette::Highlight, QColor(200, 110, 0));
    return palette;
}

} // namespace

WorkbenchSettings::WorkbenchSettings()
    : m_settings(QSettings::IniFormat, QSettings::UserScope, QStringLiteral("attnscope"), QStringLiteral("workbench"))
{
}

QStringList WorkbenchSettings::recentModels() const
{
    return m_settings.value(kRecent).toStringList().mid(0, kMaxRecent);
}

void WorkbenchSettings::addRecentModel(const QString& path)
{
    if (path.isEmpty()) {
        return;
    }
    QStringList recent = recentModels();
    recent.removeAll(path);
    recent.prepend(path);
    m_settings.setValue(kRecent, recent.mid(0, kMaxRecent));
}

Theme WorkbenchSettings::theme() const
{
    return m_settings.value(kTheme).toString() == QLatin1String("light") ? Theme::Light : Theme::Dark;
}

void WorkbenchSettings::setTheme(Theme theme)
{
    m_settings.setValue(kTheme, theme == Theme::Light ? QStringLiteral("light") : QStringLiteral("dark"));
}

CompareColorOptions WorkbenchSettings::colorOptions() const
{
    CompareColorOptions options;
    options.scale = static_cast<ColorScale>(
        std::clamp(m_settings.value(kScale, static_cast<int>(options.scale)).toInt(), 0, 2));
    options.colormap = m_settings.value(kColormap, options.colormap).toString();
    options.rowNormalised = m_settings.value(kRowNormalised, false).toBool();
    options.pooling = m_settings.value(kPooling).toString() == QLatin1String("sum") ? Pooling::Sum : Pooling::Peak;
    return options;
}

void WorkbenchSettings::setColorOptions(const CompareColorOptions& options)
{
    m_settings.setValue(kScale, static_cast<int>(options.scale));
    m_settings.setValue(kColormap, options.colormap);
    m_settings.setValue(kRowNormalised, options.rowNormalised);
    m_settings.setValue(kPooling, options.pooling == Pooling::Sum ? QStringLiteral("sum") : QStringLiteral("max"));
}

QByteArray WorkbenchSettings::windowGeometry() const
{
    return m_settings.value(kGeometry).toByteArray();
}

QByteArray WorkbenchSettings::windowState() const
{
    return m_settings.value(kState).toByteArray();
}

QList<QByteArray> WorkbenchSettings::splitterStates() const
{
    QList<QByteArray> states;
    for (const QVariant& value : m_settings.value(kSplitters).toList()) {
        states.append(value.toByteArray());
    }
    return states;
}

void WorkbenchSettings::setWindowLayout(const QByteArray& geometry, const QByteArray& state,
                                        const QList<QByteArray>& splitters)
{
    m_settings.setValue(kGeometry, geometry);
    m_settings.setValue(kState, state);
    QVariantList list;
    for (const QByteArray& splitter : splitters) {
        list.append(splitter);
    }
    m_settings.setValue(kSplitters, list);
}

bool WorkbenchSettings::sync()
{
    m_settings.sync();
    return m_settings.status() == QSettings::NoError;
}

void applyTheme(Theme theme)
{
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(theme == Theme::Light ? lightPalette(QApplication::style()->standardPalette()) : darkPalette());
}

} // namespace attnscope::gui
