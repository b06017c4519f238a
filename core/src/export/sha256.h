#pragma once
// SHA-256 (FIPS 180-4), incremental, for provenance hashes of model files and texts. Written
// out here so that core needs no crypto library; checked against the FIPS test vectors.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace attnscope {

class Sha256 {
public:
    Sha256();
    void update(std::string_view bytes);
    /// Finishes the hash and returns it as 64 lowercase hex digits. Call once.
    std::string finishHex();

private:
    void compress(const std::uint8_t* block);

    std::array<std::uint32_t, 8> m_state{};
    std::array<std::uint8_t, 64> m_buffer{};
    std::size_t m_buffered = 0;
    std::uint64_t m_totalBytes = 0;
};

} // namespace attnscope
