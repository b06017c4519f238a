#include "cli_args.h"

#include <cerrno>
#include <cstdlib>

namespace attnscope::cli {

std::optional<std::string> ParsedArgs::get(const std::string& name) const
{
    const auto found = values.find(name);
    if (found == values.end() || found->second.empty()) {
        return std::nullopt;
    }
    return found->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const
{
    const auto found = values.find(name);
    return found == values.end() ? std::vector<std::string>{} : found->second;
}

Result<std::optional<long long>> ParsedArgs::getInt(const std::string& name) const
{
    const auto text = get(name);
    if (!text) {
        return std::optional<long long>{};
    }
    errno = 0;
    char* end = nullptr;
    const long long number = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || errno == ERANGE) {
        return makeError(ErrorCode::InvalidArgument, "--" + name + " expects an integer, got \"" + *text + "\"");
    }
    return std::optional<long long>{number};
}

Result<ParsedArgs> parseArgs(const std::vector<std::string>& arguments, const std::vector<OptionSpec>& options)
{
    ParsedArgs parsed;
    for (std::size_t index = 0; index < arguments.size(); ++index) {
        const std::string& argument = arguments[index];
        if (argument.size() < 3 || argument.rfind("--", 0) != 0) {
            parsed.positionals.push_back(argument);
            continue;
        }
        std::string name = argument.substr(2);
        std::optional<std::string> inlineValue;
        if (const auto equals = name.find('='); equals != std::string::npos) {
            inlineValue = name.substr(equals + 1);
            name = name.substr(0, equals);
        }
        const OptionSpec* spec = nullptr;
        for (const OptionSpec& candidate : options) {
            if (candidate.name == name) {
                spec = &candidate;
            }
        }
        if (spec == nullptr) {
            return makeError(ErrorCode::InvalidArgument, "unknown option --" + name + " (see --help)");
        }
        if (!spec->takesValue) {
            if (inlineValue) {
                return makeError(ErrorCode::InvalidArgument, "--" + name + " takes no value");
            }
            parsed.values[name].push_back("1");
            continue;
        }
        std::string value;
        if (inlineValue) {
            value = *inlineValue;
        } else if (index + 1 < arguments.size()) {
            value = arguments[++index];
        } else {
            return makeError(ErrorCode::InvalidArgument, "--" + name + " needs a value");
        }
        if (!spec->repeatable && parsed.has(name)) {
            return makeError(ErrorCode::InvalidArgument, "--" + name + " given twice");
        }
        parsed.values[name].push_back(value);
    }
    return parsed;
}

} // namespace attnscope::cli
