#pragma once
// A sparse-attention variant as data (DESIGN.md §3): a kind plus ordered key=value parameters,
// written `kind:key=value,key=value` (e.g. "sea:k=16,features=64"). The same text is typed in the
// CLI, edited by the GUI sliders and stored in saved files. The registry documents every kind and
// parameter (type, default, range) so that `--help` and the GUI are generated from one table.

#include "attnscope/status.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope {

/// A variant kind and its parameters, in the order they were written. Parameters not written take
/// the registry default. Plain value type; parse with parseVariantSpec to validate it.
struct VariantSpec {
    std::string kind;
    std::vector<std::pair<std::string, std::string>> params;

    /// The written value of `key`, or nullptr when the key was not written.
    const std::string* find(std::string_view key) const;
    /// Sets (or replaces in place) `key` = `value`.
    void set(std::string_view key, std::string value);

    bool operator==(const VariantSpec&) const = default;
};

/// Type of one variant parameter, which decides the GUI widget (slider, combo, checkbox, text).
enum class ParamType {
    Int,
    Float,
    Enum,
    Bool,
    Path, ///< a file path (no ',', '=' or ':'), e.g. the learned mode's predictor file
};

/// One documented parameter of a variant kind. For Int/Float, [minValue, maxValue] is the valid
/// range (inclusive unless minExclusive); `sliderMax` is a sensible GUI upper end (maxValue may be
/// huge because integer budgets are clamped at run time). For Enum, `choices` lists the values.
struct ParamInfo {
    std::string name;
    ParamType type = ParamType::Int;
    std::string defaultValue;  ///< as written in a spec ("0.1", "tf", "true")
    double minValue = 0.0;
    double maxValue = 0.0;
    bool minExclusive = false; ///< true: the valid range is (minValue, maxValue]
    double sliderMax = 0.0;
    std::vector<std::string> choices;       ///< Enum: valid values
    std::vector<std::string> unavailable;   ///< Enum: values reserved for a later release (Unsupported)
    std::string description;
};

/// One variant kind: its name, a one-line description (with the paper) and its parameters.
struct VariantKindInfo {
    std::string name;
    std::string description;
    std::vector<ParamInfo> params;

    /// The parameter called `name`, or nullptr.
    const ParamInfo* param(std::string_view paramName) const;
};

/// Every kind the CPU implements, in display order. Static data; thread-safe.
const std::vector<VariantKindInfo>& variantRegistry();

/// The registry entry of `kind`, or nullptr when there is none.
const VariantKindInfo* findVariantKind(std::string_view kind);

/// Parses and validates `kind[:key=value[,key=value]...]`. Whitespace around tokens is ignored.
/// Writing `learned=PATH` without `mode` selects the learned mode: the spec gets mode=learned.
/// Errors: InvalidArgument (malformed syntax, unknown kind, unknown or repeated key, a value of the
/// wrong type or outside its range; the message names the parameter and its valid range),
/// Unsupported (a `mode` reserved for a later release, e.g. sea:mode=learned).
Result<VariantSpec> parseVariantSpec(std::string_view text);

/// Validates a spec built in code (as parseVariantSpec does for text). Same errors.
Result<void> validateVariantSpec(const VariantSpec& spec);

/// The canonical text of a spec: kind, then the written parameters in their order
/// ("topk:k=32"); parseVariantSpec(formatVariantSpec(s)) == s.
std::string formatVariantSpec(const VariantSpec& spec);

/// The spec with every registry parameter written (defaults filled in), in registry order.
VariantSpec withDefaults(const VariantSpec& spec);

/// Human-readable listing of every kind and parameter (name, type, default, range, description)
/// for `attnscope --help` and docs.
std::string describeVariantKinds();

/// Typed parameter access for a validated spec: the written value, else the registry default.
/// Calling these with a key the kind does not document is a programming error (returns 0/"").
long long specInt(const VariantSpec& spec, std::string_view key);
double specFloat(const VariantSpec& spec, std::string_view key);
bool specBool(const VariantSpec& spec, std::string_view key);
std::string specString(const VariantSpec& spec, std::string_view key);

} // namespace attnscope
