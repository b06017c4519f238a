#include "commands.h"
#include "json_writer.h"

namespace attnscope::cli {

namespace {

Result<int> runTokenize(const ParsedArgs& args)
{
    auto workspace = openModelArgument(args);
    if (!workspace) {
        return workspace.error();
    }
    auto tokens = readInputTokens(*workspace.value(), args);
    if (!tokens) {
        return tokens.error();
    }
    std::string text;
    if (args.has("json")) {
        JsonWriter json;
        json.beginObject().key("ids").array(tokens->ids).key("tokens").array(tokens->tokens).endObject();
        text = json.text();
    } else {
        for (std::size_t position = 0; position < tokens->ids.size(); ++position) {
            text += std::to_string(position) + "\t" + std::to_string(tokens->ids[position]) + "\t" +
                    jsonQuoted(tokens->tokens[position]) + "\n";
        }
    }
    ATTNSCOPE_TRY(emitText(args, text));
    return 0;
}

} // namespace

Command tokenizeCommand()
{
    auto options = textOptions();
    options.push_back({"out", true, false, "write to a file"});
    options.push_back({"force", false, false, "overwrite --out"});
    return {"tokenize", "tokenize MODEL --text T [--json]", "token ids and pieces of a text", options, runTokenize};
}

} // namespace attnscope::cli
