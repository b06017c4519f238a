#pragma once
// Shared by the tst_tokenizer_*.cpp programs: runs a tokenizer over the cases HF `tokenizers`
// encoded in tests/data/tokenizers/<name>/expected.json (tools/gen_tokenizer_fixtures.py).

#include "io/mapped_file.h"
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace attnscope::test {

inline std::string fixtureDir(const std::string& name)
{
    return std::string(ATTNSCOPE_TEST_DATA) + "/tokenizers/" + name;
}

inline std::string joinIds(const std::vector<std::int32_t>& ids)
{
    std::ostringstream out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        out << (i ? "," : "") << ids[i];
    }
    return out.str();
}

/// Encodes every case of `name`'s expected.json with `tokenizer` and expects HF's ids exactly.
inline void expectParity(const Tokenizer& tokenizer, const std::string& name)
{
    auto text = readTextFile(fixtureDir(name) + "/expected.json");
    ASSERT_TRUE(text.ok()) << text.error().describe();
    const nlohmann::json expected = nlohmann::json::parse(text.value());
    const auto& cases = expected.at("cases");
    ASSERT_FALSE(cases.empty());
    int failures = 0;
    for (const auto& c : cases) {
        const std::string input = c.at("text").get<std::string>();
        const bool addSpecial = c.at("add_special_tokens").get<bool>();
        const auto want = c.at("ids").get<std::vector<std::int32_t>>();
        auto got = tokenizer.encode(input, addSpecial);
        ASSERT_TRUE(got.ok()) << got.error().describe();
        if (got.value() != want && ++failures <= 10) {
            std::string pieces;
            for (std::int32_t id : got.value()) {
                // Appended piecewise: "[" + std::string trips GCC 12's -Wrestrict false positive.
                pieces.push_back('[');
                pieces.append(tokenizer.idToToken(id).value_or("?"));
                pieces.push_back(']');
            }
            ADD_FAILURE() << name << ": text '" << input.substr(0, 200) << "' add_special=" << addSpecial
                          << "\n  want " << joinIds(want) << "\n       " << c.at("tokens").dump()
                          << "\n  got  " << joinIds(got.value()) << "\n       " << pieces;
        }
    }
    EXPECT_EQ(failures, 0) << name << ": " << failures << " of " << cases.size() << " cases differ";
}

inline std::unique_ptr<Tokenizer> loadFixture(const std::string& name)
{
    auto tokenizer = Tokenizer::fromFile(fixtureDir(name) + "/tokenizer.json");
    EXPECT_TRUE(tokenizer.ok()) << (tokenizer.ok() ? "" : tokenizer.error().describe());
    return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

} // namespace attnscope::test
