#pragma once
// Saved workspaces: what the user was looking at (model path, text, layer/head, variants, view
// settings) as a small JSON file that reopens exactly. The text is canonical: saving a loaded
// workspace gives the same bytes (keys in a fixed order, two-space indent, a final newline).
//
// {"format": "attnscope-workspace", "version": 1, "model": PATH, "text": TEXT, "layer": L,
//  "head": H, "variants": [SPEC, ...], "active_variant": I, "view": {NAME: VALUE, ...}}

#include "attnscope/status.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

struct WorkspaceState {
    std::string modelPath;              ///< as the user opened it ("demo", a folder, a file)
    std::string text;
    int layer = 0;
    int head = 0;
    std::vector<std::string> variants;  ///< specs, in the order the user added them
    int activeVariant = 0;              ///< index into variants (0 when there are none)
    /// View settings by name ("colour_scale": "sqrt", "colormap": "viridis", ...), sorted by name.
    std::map<std::string, std::string> view;

    bool operator==(const WorkspaceState&) const = default;
};

/// Largest workspace file accepted (the text dominates; 64 MiB is far past any context).
constexpr std::size_t kMaxWorkspaceBytes = 64u << 20;

/// The canonical JSON text of a state.
std::string serializeWorkspaceJson(const WorkspaceState& state);

/// Parses workspace JSON (the fuzzing entry point: any bytes in, a state or an error out, never a
/// crash). Errors: FormatInvalid (not JSON, wrong format/version, a key of the wrong type, an
/// index out of range, a variant spec that does not parse; the message names the key).
Result<WorkspaceState> parseWorkspaceJson(std::string_view json);

/// Writes serializeWorkspaceJson(state) atomically, replacing an existing file. Errors: FileIo.
Result<void> saveWorkspaceFile(const std::string& path, const WorkspaceState& state);

/// Reads and parses a workspace file. Errors: FileNotFound, FileIo, FormatInvalid naming the file.
Result<WorkspaceState> loadWorkspaceFile(const std::string& path);

} // namespace attnscope
