#pragma once
// Command-line parsing for attnscope's subcommands: `attnscope CMD POSITIONAL... --option value
// --flag`. Each command declares the options it takes; anything else is a usage error (exit 2).

#include "attnscope/status.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::cli {

struct OptionSpec {
    std::string name;      ///< without the leading dashes
    bool takesValue = true;
    bool repeatable = false;
    std::string help;
};

class ParsedArgs {
public:
    std::vector<std::string> positionals;
    std::map<std::string, std::vector<std::string>> values;

    bool has(const std::string& name) const { return values.count(name) > 0; }
    std::optional<std::string> get(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    /// Integer option; InvalidArgument naming the option when it is not an integer.
    Result<std::optional<long long>> getInt(const std::string& name) const;
};

/// Parses argv[first..] against the command's option list.
Result<ParsedArgs> parseArgs(const std::vector<std::string>& arguments, const std::vector<OptionSpec>& options);

} // namespace attnscope::cli
