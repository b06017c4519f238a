#include "commands.h"
#include "json_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnscope::cli {

namespace {

struct Notable {
    const char* label;
    double HeadScores::*score;
};

constexpr Notable kNotable[] = {
    {"previous-token", &HeadScores::previousToken},
    {"first-token sink", &HeadScores::firstToken},
    {"induction", &HeadScores::induction},
    {"broad (entropy/log n)", &HeadScores::normalisedEntropy},
};

Result<int> runSummary(const ParsedArgs& args)
{
    auto workspace = openModelArgument(args, true);
    if (!workspace) {
        return workspace.error();
    }
    ParsedArgs input = args;
    const bool noText = !args.has("text") && !args.has("text-file") && !args.has("ids");
    if (noText) {
        const std::string sample = defaultSampleText();
        if (sample.empty()) {
            return makeError(ErrorCode::InvalidArgument, "give a text with --text, --text-file or --ids");
        }
        input.values["text-file"] = {sample};
    }
    auto tokens = readInputTokens(*workspace.value(), input);
    if (!tokens) {
        return tokens.error();
    }
    // The sample is longer than a small model's context: show its first context-full rather than
    // failing on a text the user did not choose.
    const auto context = static_cast<std::size_t>(workspace.value()->info().maxPositions);
    if (noText && tokens->ids.size() > context) {
        tokens->ids.resize(context);
        tokens->tokens.resize(context);
    }
    RunOptions options;
    options.allowOverflow = args.has("allow-overflow");
    auto scores = workspace.value()->headScores(tokens->ids, options);
    if (!scores) {
        return scores.error();
    }
    const ModelInfo& info = workspace.value()->info();
    std::string text;
    if (args.has("json")) {
        JsonWriter json;
        json.beginObject().key("model").value(info.name).key("tokens").value(static_cast<int>(tokens->ids.size()));
        json.key("heads").beginArray();
        for (std::size_t layer = 0; layer < scores->size(); ++layer) {
            for (std::size_t head = 0; head < (*scores)[layer].size(); ++head) {
                const HeadScores& score = (*scores)[layer][head];
                json.beginObject().key("layer").value(static_cast<int>(layer)).key("head").value(static_cast<int>(head));
                json.key("previous_token").value(score.previousToken).key("first_token").value(score.firstToken);
                json.key("induction").value(score.induction).key("entropy").value(score.entropy);
                json.key("normalised_entropy").value(score.normalisedEntropy).endObject();
            }
        }
        json.endArray().endObject();
        text = json.text();
    } else {
        char line[256];
        std::snprintf(line, sizeof line, "%s: %s, %d layers x %d heads, %zu tokens of text\n\n", info.name.c_str(),
                      info.architecture.c_str(), info.nLayers, info.nHeads, tokens->ids.size());
        text += line;
        text += "layer head  prev-token  first-token  induction  entropy/log(n)\n";
        for (std::size_t layer = 0; layer < scores->size(); ++layer) {
            for (std::size_t head = 0; head < (*scores)[layer].size(); ++head) {
                const HeadScores& score = (*scores)[layer][head];
                std::snprintf(line, sizeof line, "%5zu %4zu  %10.3f  %11.3f  %9.3f  %14.3f\n", layer, head,
                              score.previousToken, score.firstToken, score.induction, score.normalisedEntropy);
                text += line;
            }
        }
        text += "\nmost notable heads:\n";
        for (const Notable& notable : kNotable) {
            double best = -1.0;
            std::size_t bestLayer = 0;
            std::size_t bestHead = 0;
            for (std::size_t layer = 0; layer < scores->size(); ++layer) {
                for (std::size_t head = 0; head < (*scores)[layer].size(); ++head) {
                    const double value = (*scores)[layer][head].*notable.score;
                    if (value > best) {
                        best = value;
                        bestLayer = layer;
                        bestHead = head;
                    }
                }
            }
            std::snprintf(line, sizeof line, "  %-22s layer %zu head %zu (%.3f)\n", notable.label, bestLayer, bestHead,
                          best);
            text += line;
        }
    }
    ATTNSCOPE_TRY(emitText(args, text));
    return 0;
}

} // namespace

Command summaryCommand()
{
    auto options = textOptions();
    const auto output = outputOptions();
    options.insert(options.end(), output.begin(), output.end());
    return {"summary", "summary [MODEL] [--text T]",
            "what every head does on a text: previous-token, first-token sink, induction and entropy scores "
            "(default: the demo model on a sample text)",
            options, runSummary};
}

} // namespace attnscope::cli
