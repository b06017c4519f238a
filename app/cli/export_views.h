#pragma once
// `attnscope export --view grid|rollout|curves|structure|graph|embedding`: the window's head grid,
// rollout tab, metrics curves, structure, graph and Q/K embedding tabs as figures. Each is computed
// from the model with the core call the GUI's compute thread makes (computeHeadGrid,
// attentionRollout, computeVariantCurves, headStructure, attentionGraph, qkEmbedding and
// headAttention for the kept pairs), built into a FigureModel by the
// same core builder and written through app/figure, so the file equals the window's export.

#include "export_plan.h"

#include "attnscope/figure_model.h"
#include "attnscope/head_grid.h"
#include "attnscope/status.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnscope::cli {

class ModelViewExporter {
public:
    /// `provenance` holds the model, its hash and the text hash; each figure adds its layer, head
    /// and variants.
    ModelViewExporter(const ExportRequest& request, Workspace& workspace, const std::vector<std::int32_t>& ids,
                      const std::vector<std::string>& pieces, FigureProvenance provenance, const RunOptions& options);

    /// Writes one planned figure of the request's view. Errors: those of the computation and of
    /// the write, Unsupported without figure support.
    Result<void> write(const PlannedFile& file);

    /// The provenance a planned file of this view carries (also its STEM.json).
    FigureProvenance provenanceFor(const PlannedFile& file) const;

private:
    Result<FigureModel> build(const PlannedFile& file);
    Result<const HeadGridValues*> grid(const std::string& variant);

    const ExportRequest& m_request;
    Workspace& m_workspace;
    const std::vector<std::int32_t>& m_ids;
    const std::vector<std::string>& m_pieces;
    FigureProvenance m_provenance;
    RunOptions m_options;
    std::map<std::string, HeadGridValues> m_grids;  ///< by variant ("" = scores only)
};

} // namespace attnscope::cli
