#pragma once
// Dequantisation of ggml's block formats (the tensor types GGUF files store) to f32. Each format
// packs a fixed number of consecutive values of a row into a block of bytes with its own scale(s);
// the layouts follow ggml-common.h (block_q8_0, block_q4_K, ...) byte for byte. One function per
// format, each decoding `nBlocks` consecutive blocks into nBlocks × elementsPerBlock floats.
// The caller guarantees that `blocks` holds nBlocks × bytesPerBlock readable bytes (GgufFile checks
// this against the file before any tensor is decoded); no alignment is required.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace attnscope {

/// The ggml tensor types attnscope reads (values are ggml's type ids as stored in GGUF).
enum class GgmlType : std::uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q5_0 = 6,
    Q8_0 = 8,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    BF16 = 30,
};

/// Block geometry of a type: values per block and bytes per block.
struct GgmlBlockLayout {
    int elementsPerBlock = 1;
    int bytesPerBlock = 4;
};

/// The type with ggml id `id`, or nullopt when attnscope cannot decode it.
std::optional<GgmlType> ggmlTypeFromId(std::uint32_t id);
/// ggml's name of a type id ("Q4_K", "IQ2_XXS", ...) for messages; "type N" for ids ggml lacks.
const char* ggmlTypeName(std::uint32_t id);
GgmlBlockLayout ggmlBlockLayout(GgmlType type);

/// Size of a ggml k-quant super-block.
constexpr int kQkK = 256;

void dequantizeF32(const std::byte* blocks, std::size_t nBlocks, float* out);
void dequantizeF16(const std::byte* blocks, std::size_t nBlocks, float* out);
void dequantizeBf16(const std::byte* blocks, std::size_t nBlocks, float* out);
/// 32 values: f16 d, int8 q[32]; x = d · q.
void dequantizeQ8_0(const std::byte* blocks, std::size_t nBlocks, float* out);
/// 32 values: f16 d, 16 bytes of nibbles (low nibbles = values 0..15, high = 16..31); x = d · (q − 8).
void dequantizeQ4_0(const std::byte* blocks, std::size_t nBlocks, float* out);
/// 32 values: f16 d, u32 of fifth bits, 16 bytes of nibbles; x = d · (q − 16).
void dequantizeQ5_0(const std::byte* blocks, std::size_t nBlocks, float* out);
/// 256 values: f16 d, f16 dmin, 12 bytes of eight 6-bit (scale, min) pairs, 128 bytes of nibbles;
/// sub-block s of 32 values: x = d · scale_s · q − dmin · min_s.
void dequantizeQ4_K(const std::byte* blocks, std::size_t nBlocks, float* out);
/// Q4_K plus 32 bytes holding a fifth bit per value.
void dequantizeQ5_K(const std::byte* blocks, std::size_t nBlocks, float* out);
/// 256 values: 128 bytes of low nibbles, 64 bytes of 2-bit highs, int8 scales[16], f16 d;
/// sub-block s of 16 values: x = d · scale_s · (q − 32) with q the 6-bit value.
void dequantizeQ6_K(const std::byte* blocks, std::size_t nBlocks, float* out);

/// Dispatches on `type`: decodes nBlocks blocks of it into `out`.
void dequantize(GgmlType type, const std::byte* blocks, std::size_t nBlocks, float* out);

} // namespace attnscope
