#include "export/sha256.h"

#include <cstring>

namespace attnscope {

namespace {

constexpr std::array<std::uint32_t, 64> kRoundConstants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

constexpr std::uint32_t rotateRight(std::uint32_t x, int bits)
{
    return (x >> bits) | (x << (32 - bits));
}

} // namespace

Sha256::Sha256()
    : m_state{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
{
}

void Sha256::compress(const std::uint8_t* block)
{
    std::array<std::uint32_t, 64> schedule{};
    for (int i = 0; i < 16; ++i) {
        schedule[i] = (std::uint32_t{block[4 * i]} << 24) | (std::uint32_t{block[4 * i + 1]} << 16) |
                      (std::uint32_t{block[4 * i + 2]} << 8) | std::uint32_t{block[4 * i + 3]};
    }
    for (int i = 16; i < 64; ++i) {
        const std::uint32_t s0 = rotateRight(schedule[i - 15], 7) ^ rotateRight(schedule[i - 15], 18) ^ (schedule[i - 15] >> 3);
        const std::uint32_t s1 = rotateRight(schedule[i - 2], 17) ^ rotateRight(schedule[i - 2], 19) ^ (schedule[i - 2] >> 10);
        schedule[i] = schedule[i - 16] + s0 + schedule[i - 7] + s1;
    }
    std::array<std::uint32_t, 8> h = m_state;
    for (int i = 0; i < 64; ++i) {
        const std::uint32_t sum1 = rotateRight(h[4], 6) ^ rotateRight(h[4], 11) ^ rotateRight(h[4], 25);
        const std::uint32_t choose = (h[4] & h[5]) ^ (~h[4] & h[6]);
        const std::uint32_t t1 = h[7] + sum1 + choose + kRoundConstants[i] + schedule[i];
        const std::uint32_t sum0 = rotateRight(h[0], 2) ^ rotateRight(h[0], 13) ^ rotateRight(h[0], 22);
        const std::uint32_t majority = (h[0] & h[1]) ^ (h[0] & h[2]) ^ (h[1] & h[2]);
        const std::uint32_t t2 = sum0 + majority;
        h = {t1 + t2, h[0], h[1], h[2], h[3] + t1, h[4], h[5], h[6]};
    }
    for (int i = 0; i < 8; ++i) {
        m_state[i] += h[i];
    }
}

void Sha256::update(std::string_view bytes)
{
    m_totalBytes += bytes.size();
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    std::size_t remaining = bytes.size();
    if (m_buffered > 0) {
        const std::size_t take = std::min(remaining, m_buffer.size() - m_buffered);
        std::memcpy(m_buffer.data() + m_buffered, data, take);
        m_buffered += take;
        data += take;
        remaining -= take;
        if (m_buffered < m_buffer.size()) {
            return;
        }
        compress(m_buffer.data());
        m_buffered = 0;
    }
    for (; remaining >= 64; remaining -= 64, data += 64) {
        compress(data);
    }
    std::memcpy(m_buffer.data(), data, remaining);
    m_buffered = remaining;
}

std::string Sha256::finishHex()
{
    const std::uint64_t bitLength = m_totalBytes * 8;
    std::string padding(1, '\x80');
    padding.append((m_buffered < 56 ? 55 - m_buffered : 119 - m_buffered), '\0');
    for (int shift = 56; shift >= 0; shift -= 8) {
        padding.push_back(static_cast<char>((bitLength >> shift) & 0xff));
    }
    update(padding);
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (const std::uint32_t word : m_state) {
        for (int shift = 28; shift >= 0; shift -= 4) {
            hex.push_back(digits[(word >> shift) & 0xf]);
        }
    }
    return hex;
}

} // namespace attnscope
