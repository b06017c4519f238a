#include "attnscope/data_export.h"

#include "io/atomic_write.h"

#include <cstring>

namespace attnscope {

Result<void> writeNpyFloat32(const std::string& path, const std::vector<std::int64_t>& shape,
                             const std::vector<float>& values, bool overwrite)
{
    std::int64_t count = 1;
    std::string shapeText = "(";
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
        count *= shape[axis];
        shapeText += std::to_string(shape[axis]);
        shapeText += shape.size() == 1 ? "," : (axis + 1 < shape.size() ? ", " : "");
    }
    shapeText += ")";
    if (count != static_cast<std::int64_t>(values.size())) {
        return makeError(ErrorCode::InvalidArgument,
                         "shape " + shapeText + " does not match " + std::to_string(values.size()) + " values", path);
    }
    // NPY 1.0: magic, version, little-endian header length, then a Python dict literal padded with
    // spaces and a newline so that the data starts on a 64-byte boundary.
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
    const std::size_t preamble = 10;
    while ((preamble + header.size() + 1) % 64 != 0) {
        header.push_back(' ');
    }
    header.push_back('\n');
    std::string contents = "\x93NUMPY";
    contents.push_back('\x01');
    contents.push_back('\x00');
    contents.push_back(static_cast<char>(header.size() & 0xff));
    contents.push_back(static_cast<char>((header.size() >> 8) & 0xff));
    contents += header;
    const std::size_t dataOffset = contents.size();
    contents.resize(dataOffset + values.size() * sizeof(float));
    std::memcpy(contents.data() + dataOffset, values.data(), values.size() * sizeof(float));
    return writeFileAtomic(path, contents, overwrite);
}

Result<void> writeTextFileAtomic(const std::string& path, std::string_view text, bool overwrite)
{
    return writeFileAtomic(path, text, overwrite);
}

} // namespace attnscope
