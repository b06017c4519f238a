#include "commands.h"
#include "json_writer.h"

namespace attnscope::cli {

namespace {

Result<int> runTokenize(const ParsedArgs& args)
{
    auto input = openModelAndText(args);
    if (!input) {
        return input.error();
    }
    const TokenizedText& tokens = input->tokens;
    std::string text;
    if (args.has("json")) {
        JsonWriter json;
        json.beginObject().key("ids").array(tokens.ids).key("tokens").array(tokens.tokens).endObject();
        text = json.text();
    } else {
        for (std::size_t position = 0; position < tokens.ids.size(); ++position) {
            text += std::to_string(position) + "\t" + std::to_string(tokens.ids[position]) + "\t" +
                    jsonQuoted(tokens.tokens[position]) + "\n";
        }
    }
    ATTNSCOPE_TRY(emitText(args, text));
    return 0;
}

} // namespace

Command tokenizeCommand()
{
    auto options = textOptions();
    const auto output = outputOptions();
    options.insert(options.end(), output.begin(), output.end());
    return {"tokenize", "tokenize MODEL --text T [--json]", "token ids and pieces of a text", options, runTokenize};
}

} // namespace attnscope::cli
