// sweepVariant: a variant's budget swept over a range, every point scored against dense. All the
// points go to one Workspace::compare call, so the model runs once and each captured layer is scored
// for every point before it is dropped.

#include "attnscope/sweep.h"

#include "workspace/workspace_impl.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnscope {

namespace {

struct BudgetParam {
    const char* kind;
    const char* param;
};

// The knob that trades density for quality, per kind. Kinds that keep every key (dense, performer,
// fast) have none: their curve would be one point at density 1.
const BudgetParam kBudgets[] = {
    {"topk", "k"},         {"topp", "p"},       {"window", "w"},       {"strided", "stride"},
    {"bigbird", "random"}, {"longformer", "w"}, {"random", "density"}, {"sea", "k"},
    {"sbm", "density"},    {"dsa", "k"},        {"sac", "alpha"},
};

std::string formatValue(double value, bool integer)
{
    char text[64];
    if (integer) {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(std::llround(value)));
    } else {
        std::snprintf(text, sizeof text, "%.6g", value);
    }
    return text;
}

} // namespace

std::string sweepParameter(const VariantSpec& spec)
{
    if (spec.kind == "threshold") {
        return specString(spec, "by") == "prob" ? "prob" : "delta";
    }
    for (const BudgetParam& budget : kBudgets) {
        if (spec.kind == budget.kind) {
            return budget.param;
        }
    }
    return {};
}

Result<std::vector<double>> sweepValues(const VariantSpec& spec, const std::string& param, int nTokens, int points)
{
    const VariantKindInfo* kind = findVariantKind(spec.kind);
    if (!kind) {
        return makeError(ErrorCode::InvalidArgument, "sweep: unknown variant kind '" + spec.kind + "'");
    }
    const ParamInfo* info = kind->param(param);
    if (!info || (info->type != ParamType::Int && info->type != ParamType::Float)) {
        return makeError(ErrorCode::InvalidArgument,
                         "sweep: '" + spec.kind + "' has no numeric parameter '" + param + "'");
    }
    if (points < 2) {
        return makeError(ErrorCode::InvalidArgument, "sweep: at least 2 points are needed");
    }
    std::vector<double> values;
    auto geometric = [&](double lo, double hi) {
        for (int i = 0; i < points; ++i) {
            values.push_back(lo * std::pow(hi / lo, static_cast<double>(i) / (points - 1)));
        }
    };
    if (info->type == ParamType::Int) {
        const double lo = std::max(1.0, info->minValue + (info->minExclusive ? 1.0 : 0.0));
        const double hi = std::max(lo, std::min({info->sliderMax > 0 ? info->sliderMax : info->maxValue, info->maxValue,
                                                 static_cast<double>(std::max(1, nTokens))}));
        geometric(lo, hi);
        for (double& value : values) {
            value = std::round(value);
        }
        values.erase(std::unique(values.begin(), values.end()), values.end());
    } else if (info->minValue == 0.0 && info->maxValue == 1.0) {
        geometric(1.0 / 64.0, 1.0);
    } else {
        const double hi = info->sliderMax > info->minValue ? info->sliderMax : info->maxValue;
        const double step = (hi - info->minValue) / points;
        for (int i = 1; i <= points; ++i) {
            values.push_back(info->minValue + step * i);
        }
    }
    return values;
}

Result<SweepResult> sweepVariant(Workspace& workspace, const std::vector<std::int32_t>& ids,
                                 const SweepRequest& request, const RunOptions& options)
{
    auto parsed = parseVariantSpec(request.variant);
    if (!parsed) {
        return parsed.error();
    }
    const VariantSpec spec = parsed.value();
    SweepResult result;
    result.variant = formatVariantSpec(spec);
    result.param = request.param.empty() ? sweepParameter(spec) : request.param;
    if (result.param.empty()) {
        return makeError(ErrorCode::InvalidArgument, "sweep: '" + spec.kind + "' has no budget to sweep");
    }
    std::vector<double> values = request.values;
    if (values.empty()) {
        auto automatic = sweepValues(spec, result.param, static_cast<int>(ids.size()), request.points);
        if (!automatic) {
            return automatic.error();
        }
        values = std::move(automatic.value());
    }
    const ParamInfo* info = findVariantKind(spec.kind)->param(result.param);
    if (!info) {
        return makeError(ErrorCode::InvalidArgument,
                         "sweep: '" + spec.kind + "' has no parameter '" + result.param + "'");
    }
    CompareRequest compare;
    compare.layers = request.layers;
    compare.heads = request.heads;
    compare.perplexity = false;
    for (double value : values) {
        VariantSpec point = spec;
        point.set(result.param, formatValue(value, info->type == ParamType::Int));
        ATTNSCOPE_TRY(validateVariantSpec(point));
        compare.variants.push_back(formatVariantSpec(point));
        result.points.push_back(SweepPoint{value, compare.variants.back(), {}});
    }
    auto compared = workspace.compare(ids, compare, options);
    if (!compared) {
        return compared.error();
    }
    if (compared->variants.size() != result.points.size()) {
        return makeError(ErrorCode::Internal, "sweep: compare returned " + std::to_string(compared->variants.size()) +
                                                  " variants for " + std::to_string(result.points.size()) + " points");
    }
    for (std::size_t i = 0; i < result.points.size(); ++i) {
        result.points[i].mean = compared->variants[i].mean;
    }
    return result;
}

} // namespace attnscope

namespace attnscope {

Result<VariantCurveSet> computeVariantCurves(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer,
                                             int head, const std::vector<std::string>& specs, const RunOptions& options,
                                             const std::vector<int>& replacedLayers)
{
    VariantCurveSet result;
    result.layer = layer;
    result.head = head;
    ATTNSCOPE_TRY(checkIndices(replacedLayers, workspace.info().nLayers, "replaced layer"));
    result.replacedLayers = sortedUnique(replacedLayers);
    const bool causal = workspace.info().causal;
    if (causal) {
        auto dense = workspace.evaluate(ids, "dense", options);
        if (!dense) {
            return dense.error();
        }
        result.densePerplexity = dense->perplexity;
    }
    for (const std::string& spec : specs) {
        VariantCurve curve;
        curve.variant = spec;
        SweepRequest sweep;
        sweep.variant = spec;
        sweep.layers = {layer};
        sweep.heads = {head};
        auto swept = sweepVariant(workspace, ids, sweep, options);
        if (swept) {
            curve.sweep = std::move(swept.value());
            curve.variant = curve.sweep.variant;
        } else if (swept.error().code == ErrorCode::Cancelled) {
            return swept.error();
        } else {
            curve.sweepError = swept.error().message;  // a kind without a budget still gets its perplexity
        }
        if (causal) {
            auto evaluated = workspace.evaluate(ids, spec, options, result.replacedLayers);
            if (!evaluated) {
                return evaluated.error();
            }
            curve.perplexity = evaluated->perplexity;
        }
        result.curves.push_back(std::move(curve));
    }
    return result;
}

} // namespace attnscope
