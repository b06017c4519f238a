#pragma once
// The colour maps live in app/figure (figure_colormap.h) so that the views, the GL LUT and exported
// figures read one table; the views keep using them by this name.

#include "figure_colormap.h"

namespace attnscope::gui {

using Colormap = figure::Colormap;

} // namespace attnscope::gui
