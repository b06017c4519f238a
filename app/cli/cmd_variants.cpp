#include "commands.h"

#include "attnscope/variant_spec.h"

namespace attnscope::cli {

namespace {

Result<int> runVariants(const ParsedArgs& args)
{
    if (!args.positionals.empty()) {
        return makeError(ErrorCode::InvalidArgument, "variants takes no MODEL");
    }
    ATTNSCOPE_TRY(emitText(args, describeVariantKinds()));
    return 0;
}

} // namespace

Command variantsCommand()
{
    return {"variants", "variants", "every variant kind with its parameters, defaults and ranges (the SPEC syntax)",
            outputOptions(), runVariants};
}

} // namespace attnscope::cli
