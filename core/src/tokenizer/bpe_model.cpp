#include "tokenizer/bpe_model.h"

#include "tokenizer/unicode.h"

#include <cstdio>
#include <queue>

namespace attnscope {

Result<std::unique_ptr<BpeModel>> BpeModel::create(BpeConfig config, const std::string& source)
{
    std::unique_ptr<BpeModel> model(new BpeModel());
    auto vocab = Vocabulary::create(std::move(config.vocab), source);
    if (!vocab) {
        return vocab.error();
    }
    model->m_vocab = std::move(vocab).value();
    if (config.unkToken) {
        model->m_unkId = model->m_vocab.find(*config.unkToken);
        if (!model->m_unkId) {
            return makeError(ErrorCode::FormatInvalid,
                             "BPE unk_token '" + *config.unkToken + "' is not in the vocabulary", source);
        }
    }
    model->m_continuingSubwordPrefix = std::move(config.continuingSubwordPrefix);
    model->m_endOfWordSuffix = std::move(config.endOfWordSuffix);
    model->m_fuseUnk = config.fuseUnk;
    model->m_byteFallback = config.byteFallback;
    model->m_ignoreMerges = config.ignoreMerges;
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", b);
        model->m_byteIds[static_cast<std::size_t>(b)] = model->m_vocab.find(name).value_or(-1);
    }

    const std::size_t prefixLength = model->m_continuingSubwordPrefix.size();
    model->m_merges.reserve(config.merges.size());
    for (std::size_t rank = 0; rank < config.merges.size(); ++rank) {
        const auto& [left, right] = config.merges[rank];
        const auto leftId = model->m_vocab.find(left);
        const auto rightId = model->m_vocab.find(right);
        // The merged token drops the right part's continuing-subword prefix, as HF does.
        const std::string merged =
            left + (right.size() >= prefixLength && right.compare(0, prefixLength, model->m_continuingSubwordPrefix) == 0
                        ? right.substr(prefixLength)
                        : right);
        const auto mergedId = model->m_vocab.find(merged);
        if (!leftId || !rightId || !mergedId) {
            return makeError(ErrorCode::FormatInvalid,
                             "BPE merge #" + std::to_string(rank) + " '" + left + " " + right
                                 + "' uses a token missing from the vocabulary",
                             source);
        }
        // Later duplicates overwrite earlier ones, as HF's HashMap collect does.
        model->m_merges[pairKey(*leftId, *rightId)] = {static_cast<std::int32_t>(rank), *mergedId};
    }
    return model;
}

const BpeModel::MergeTarget* BpeModel::findMerge(std::int32_t a, std::int32_t b) const
{
    const auto it = m_merges.find(pairKey(a, b));
    return it == m_merges.end() ? nullptr : &it->second;
}

std::vector<BpeModel::Symbol> BpeModel::initialSymbols(std::string_view word) const
{
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    auto add = [&symbols](std::int32_t id, std::size_t byteLength) {
        const auto index = static_cast<std::int32_t>(symbols.size());
        if (!symbols.empty()) {
            symbols.back().next = index;
        }
        symbols.push_back({id, index - 1, -1, static_cast<std::uint32_t>(byteLength)});
    };
    // A pending unknown run: fuse_unk glues consecutive unknown characters into one unk token.
    bool hasUnk = false;
    std::size_t unkLength = 0;
    std::string piece;
    for (std::size_t pos = 0; pos < word.size();) {
        const std::size_t start = pos;
        pos += unicode::utf8Length(static_cast<unsigned char>(word[pos]));
        pos = std::min(pos, word.size());
        const std::size_t byteLength = pos - start;
        piece.clear();
        if (start > 0) {
            piece += m_continuingSubwordPrefix;
        }
        piece.append(word.substr(start, byteLength));
        if (pos == word.size()) {
            piece += m_endOfWordSuffix;
        }
        if (const auto id = m_vocab.find(piece)) {
            if (hasUnk) {
                add(*m_unkId, unkLength);
                hasUnk = false;
            }
            add(*id, byteLength);
            continue;
        }
        if (m_byteFallback) {
            bool allBytes = true;
            for (char ch : piece) {
                allBytes = allBytes && m_byteIds[static_cast<unsigned char>(ch)] >= 0;
            }
            if (allBytes) {
                // HF pushes the byte tokens without flushing a pending unk first; keep that order.
                for (char ch : piece) {
                    add(m_byteIds[static_cast<unsigned char>(ch)], 1);
                }
                continue;
            }
        }
        if (m_unkId) {
            if (hasUnk && m_fuseUnk) {
                unkLength += byteLength;
            } else {
                if (hasUnk) {
                    add(*m_unkId, unkLength);
                }
                hasUnk = true;
                unkLength = byteLength;
            }
        }
    }
    if (hasUnk) {
        add(*m_unkId, unkLength);
    }
    return symbols;
}

void BpeModel::mergeAll(std::vector<Symbol>& symbols) const
{
    struct Candidate {
        std::int32_t rank;
        std::int32_t pos;
        std::int32_t newId;
    };
    // Lowest rank first, then leftmost position (HF's Merge ordering).
    auto later = [](const Candidate& a, const Candidate& b) {
        return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> queue(later);
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
        if (const MergeTarget* m = findMerge(symbols[i].id, symbols[i + 1].id)) {
            queue.push({m->rank, static_cast<std::int32_t>(i), m->newId});
        }
    }
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& current = symbols[static_cast<std::size_t>(top.pos)];
        if (current.byteLength == 0 || current.next == -1) {
            continue;
        }
        Symbol& right = symbols[static_cast<std::size_t>(current.next)];
        // Skip entries made stale by an earlier merge of either side.
        const MergeTarget* still = findMerge(current.id, right.id);
        if (still == nullptr || still->newId != top.newId) {
            continue;
        }
        current.id = top.newId;
        current.byteLength += right.byteLength;
        current.next = right.next;
        right.byteLength = 0;
        if (current.next != -1) {
            symbols[static_cast<std::size_t>(current.next)].prev = top.pos;
        }
        if (current.prev != -1) {
            const Symbol& prev = symbols[static_cast<std::size_t>(current.prev)];
            if (const MergeTarget* m = findMerge(prev.id, current.id)) {
                queue.push({m->rank, current.prev, m->newId});
            }
        }
        if (current.next != -1) {
            const Symbol& next = symbols[static_cast<std::size_t>(current.next)];
            if (const MergeTarget* m = findMerge(current.id, next.id)) {
                queue.push({m->rank, top.pos, m->newId});
            }
        }
    }
}

void BpeModel::tokenize(std::string_view word, std::vector<std::int32_t>& out) const
{
    if (word.empty()) {
        return;
    }
    if (m_ignoreMerges) {
        if (const auto id = m_vocab.find(word)) {
            out.push_back(*id);
            return;
        }
    }
    std::vector<Symbol> symbols = initialSymbols(word);
    mergeAll(symbols);
    for (const Symbol& s : symbols) {
        if (s.byteLength != 0) {
            out.push_back(s.id);
        }
    }
}

} // namespace attnscope
