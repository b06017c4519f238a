#pragma once
// The fused-attention tile loop, written once over a small SIMD type and instantiated per ISA
// (DESIGN §7.12: one template, not a copy per instruction set). Include it only from a per-ISA
// translation unit, inside its `#pragma GCC target` region and an anonymous namespace, so that
// every instantiation is private to the TU that compiled it for its ISA. It uses no standard
// library templates for the same reason (see fused_attention_isa.h).
//
// The Simd type provides: Vec; kWidth (floats per Vec); kRows (micro-kernel rows); kQueryBlock
// (rows of a sparse work item; a dense one takes a multiple, FusedProblem::scratchRows at most);
// kKeyBlock (keys per tile, a multiple of 2·kWidth); zero(), load(p),
// store(p, v), broadcast(x), fmadd(a, b, c) = a·b + c, add, sub, mul, max, reduceMax(v),
// reduceSum(v) and exp(v) (x ≤ 88; −inf → 0 exactly).
//
// Per work item (KV head, query rows) and per key tile, for each query head of the GQA group:
//   S = (scale·Q) · Kᵀ        score micro-kernel, kRows × 2 vectors of keys, keys pre-transposed
//   m' = max(m, rowmax S); P = exp(S − m'); l = l·e^(m−m') + ΣP; O = O·e^(m−m')   (online softmax)
//   O += P · V               output micro-kernel, kRows × (2 or 1) vectors of head dims
// and at the end O /= l, lse = m + log l. Tiles no row of the block can see are never visited;
// tiles every row sees in full are not masked. Block-sparse work items (runSparseChunk) run the
// same steps on the runs of kept keys only, cut at the packed tiles' edges.

template <class Simd>
struct FusedTiles {
    using Vec = typename Simd::Vec;
    static constexpr int kWidth = Simd::kWidth;
    static constexpr int kRows = Simd::kRows;
    static constexpr int kQueryBlock = Simd::kQueryBlock;
    static constexpr int kKeyBlock = Simd::kKeyBlock;
    static_assert(kKeyBlock % (2 * kWidth) == 0, "a key tile is a whole number of micro-kernel columns");

    static constexpr float kNegInf = -__builtin_inff();

    static int minInt(int a, int b) { return a < b ? a : b; }
    static int maxInt(int a, int b) { return a > b ? a : b; }

    // The model's mask rules (the same as model/dense_attention.cpp): query `query` sees keys
    // [firstVisible, lastVisible]. Both are non-decreasing in `query`, which the tile
    // classification below relies on.
    static int firstVisible(const DenseAttnParams& problem, int query)
    {
        return problem.slidingWindow > 0 ? maxInt(0, query - problem.slidingWindow + 1) : 0;
    }
    static int lastVisible(const DenseAttnParams& problem, int query)
    {
        if (problem.causal) {
            return query;
        }
        return problem.slidingWindow > 0 ? minInt(problem.nTokens - 1, query + problem.slidingWindow - 1)
                                         : problem.nTokens - 1;
    }

    static void packKeyTile(const float* keys, long long rowStride, const std::int32_t* rowIndex, int nTokens,
                            int headDim, int tile, float* dst)
    {
        const int keyBegin = tile * kKeyBlock;
        for (int column = 0; column < kKeyBlock; ++column) {
            const int key = keyBegin + column;
            const float* row = keys + (key < nTokens && rowIndex != nullptr ? rowIndex[key] : key) * rowStride;
            for (int dim = 0; dim < headDim; ++dim) {
                dst[static_cast<std::size_t>(dim) * kKeyBlock + column] = key < nTokens ? row[dim] : 0.0f;
            }
        }
    }

    // Calls fn.template operator()<Rows>() for rows in [1, kRows]: the micro-kernels keep their
    // accumulators in registers only when the row count is a compile-time constant.
    template <int Rows = 1, typename Fn>
    static void withRows(int rows, Fn&& fn)
    {
        if constexpr (Rows <= kRows) {
            if (rows == Rows) {
                fn.template operator()<Rows>();
                return;
            }
            withRows<Rows + 1>(rows, fn);
        }
    }

    // scores[Rows][columnBegin, columnEnd) = queries[Rows][headDim] · keyTile[headDim][same columns]
    // (columns whole micro-kernel widths, multiples of 2·kWidth).
    template <int Rows>
    static void scoreRows(const float* queries, int headDim, const float* keyTile, int columnBegin, int columnEnd,
                          float* scores)
    {
        for (int column = columnBegin; column < columnEnd; column += 2 * kWidth) {
            Vec low[Rows];
            Vec high[Rows];
#pragma GCC unroll 16
            for (int row = 0; row < Rows; ++row) {
                low[row] = Simd::zero();
                high[row] = Simd::zero();
            }
            const float* keyColumn = keyTile + column;
            for (int dim = 0; dim < headDim; ++dim) {
                const Vec keyLow = Simd::load(keyColumn + static_cast<std::size_t>(dim) * kKeyBlock);
                const Vec keyHigh = Simd::load(keyColumn + static_cast<std::size_t>(dim) * kKeyBlock + kWidth);
#pragma GCC unroll 16
                for (int row = 0; row < Rows; ++row) {
                    const Vec query = Simd::broadcast(queries[row * headDim + dim]);
                    low[row] = Simd::fmadd(query, keyLow, low[row]);
                    high[row] = Simd::fmadd(query, keyHigh, high[row]);
                }
            }
#pragma GCC unroll 16
            for (int row = 0; row < Rows; ++row) {
                Simd::store(scores + row * kKeyBlock + column, low[row]);
                Simd::store(scores + row * kKeyBlock + column + kWidth, high[row]);
            }
        }
    }

    // out[Rows][column, column + Vecs·kWidth) += probs[Rows][0, keys) · values[keys][same columns]
    // (value rows valueStride floats apart).
    template <int Rows, int Vecs>
    static void accumulateRows(const float* probs, const float* values, long long valueStride, int keys, int headDim,
                               int column, float* out)
    {
        Vec acc[Rows][Vecs];
#pragma GCC unroll 16
        for (int row = 0; row < Rows; ++row) {
#pragma GCC unroll 2
            for (int part = 0; part < Vecs; ++part) {
                acc[row][part] = Simd::load(out + row * headDim + column + part * kWidth);
            }
        }
        for (int key = 0; key < keys; ++key) {
            const float* valueRow = values + key * valueStride + column;
            Vec value[Vecs];
#pragma GCC unroll 2
            for (int part = 0; part < Vecs; ++part) {
                value[part] = Simd::load(valueRow + part * kWidth);
            }
#pragma GCC unroll 16
            for (int row = 0; row < Rows; ++row) {
                const Vec prob = Simd::broadcast(probs[row * kKeyBlock + key]);
#pragma GCC unroll 2
                for (int part = 0; part < Vecs; ++part) {
                    acc[row][part] = Simd::fmadd(prob, value[part], acc[row][part]);
                }
            }
        }
#pragma GCC unroll 16
        for (int row = 0; row < Rows; ++row) {
#pragma GCC unroll 2
            for (int part = 0; part < Vecs; ++part) {
                Simd::store(out + row * headDim + column + part * kWidth, acc[row][part]);
            }
        }
    }

    // Where the next tile's keys and values are, so that the score pass can ask for them early:
    // the first row strip of a tile otherwise waits on memory for every line of the tile.
    struct NextTile {
        const float* keys = nullptr;   // packed [headDim][kKeyBlock], or null at the last tile
        const float* values = nullptr; // kKeyBlock rows of headDim floats, valueStride apart
        long long valueStride = 0;
        int valueRows = 0;
    };

    // Prefetches part `part` of `parts` of the next tile's lines into the cache.
    static void prefetchNextTile(const NextTile& next, int headDim, int part, int parts)
    {
        if (next.keys == nullptr) {
            return;
        }
        constexpr int kLineFloats = 16;
        const int keyLines = headDim * kKeyBlock / kLineFloats;
        for (int line = keyLines * part / parts; line < keyLines * (part + 1) / parts; ++line) {
            __builtin_prefetch(next.keys + line * kLineFloats, 0, 2);
        }
        for (int row = next.valueRows * part / parts; row < next.valueRows * (part + 1) / parts; ++row) {
            const float* valueRow = next.values + row * next.valueStride;
            for (int dim = 0; dim < headDim; dim += kLineFloats) {
                __builtin_prefetch(valueRow + dim, 0, 2);
            }
        }
    }

    static void scoreTile(const float* queries, int rows, int headDim, const float* keyTile, int columnBegin,
                          int columnEnd, float* scores, const NextTile& next = NextTile{})
    {
        const int strips = (rows + kRows - 1) / kRows;
        for (int row = 0; row < rows; row += kRows) {
            prefetchNextTile(next, headDim, row / kRows, strips);
            withRows(minInt(kRows, rows - row), [&]<int Rows>() {
                scoreRows<Rows>(queries + row * headDim, headDim, keyTile, columnBegin, columnEnd,
                                scores + row * kKeyBlock);
            });
        }
    }

    // Needs headDim % kWidth == 0 (fusedAttentionIsa guarantees it).
    static void accumulateTile(const float* probs, int rows, const float* values, long long valueStride, int keys,
                               int headDim, float* out)
    {
        for (int row = 0; row < rows; row += kRows) {
            const float* probRows = probs + row * kKeyBlock;
            float* outRows = out + row * headDim;
            withRows(minInt(kRows, rows - row), [&]<int Rows>() {
                int column = 0;
                for (; column + 2 * kWidth <= headDim; column += 2 * kWidth) {
                    accumulateRows<Rows, 2>(probRows, values, valueStride, keys, headDim, column, outRows);
                }
                if (column < headDim) {
                    accumulateRows<Rows, 1>(probRows, values, valueStride, keys, headDim, column, outRows);
                }
            });
        }
    }

    // Scores in columns [columnBegin, columnEnd) of the tile starting at key `keyBegin` become −inf
    // outside the kept columns [keepBegin, keepEnd) and outside each row's visible keys.
    static void maskTile(const DenseAttnParams& problem, float* scores, int rowBegin, int rows, int keyBegin,
                         int columnBegin, int columnEnd, int keepBegin, int keepEnd)
    {
        for (int row = 0; row < rows; ++row) {
            const int query = rowBegin + row;
            const int first = maxInt(firstVisible(problem, query) - keyBegin, keepBegin);
            const int last = minInt(lastVisible(problem, query) - keyBegin, keepEnd - 1);
            float* rowScores = scores + row * kKeyBlock;
            for (int column = columnBegin; column < columnEnd; ++column) {
                if (column < first || column > last) {
                    rowScores[column] = kNegInf;
                }
            }
        }
    }

    // Scores of pairs the row does not keep become −inf (gathered rows: the tile holds the union of
    // the rows' keys).
    static void maskPairs(const RowKeyMask& pairs, float* scores, int rows, int keyBegin, int keepBegin, int keepEnd)
    {
        for (int row = 0; row < rows; ++row) {
            const unsigned char* kept = pairs.keep + static_cast<std::size_t>(row) * pairs.stride + keyBegin;
            float* rowScores = scores + row * kKeyBlock;
            for (int column = keepBegin; column < keepEnd; ++column) {
                if (kept[column] == 0) {
                    rowScores[column] = kNegInf;
                }
            }
        }
    }

    // Folds columns [columnBegin, columnEnd) of a tile into the running max and sum of each row,
    // leaving P = exp(S − m') in scores, and rescales a row's output accumulator when its max grew.
    static void softmaxTile(float* scores, int rows, int columnBegin, int columnEnd, float* rowMax, float* rowSum,
                            float* out, int headDim)
    {
        for (int row = 0; row < rows; ++row) {
            float* rowScores = scores + row * kKeyBlock;
            Vec maxima = Simd::broadcast(kNegInf);
            for (int column = columnBegin; column < columnEnd; column += kWidth) {
                maxima = Simd::max(maxima, Simd::load(rowScores + column));
            }
            const float tileMax = Simd::reduceMax(maxima);
            const float previous = rowMax[row];
            if (tileMax == kNegInf && previous == kNegInf) {
                // Nothing visible to this row yet: its probabilities in this tile are all 0.
                for (int column = columnBegin; column < columnEnd; column += kWidth) {
                    Simd::store(rowScores + column, Simd::zero());
                }
                continue;
            }
            const float next = tileMax > previous ? tileMax : previous;
            const Vec shift = Simd::broadcast(next);
            Vec sum = Simd::zero();
            for (int column = columnBegin; column < columnEnd; column += kWidth) {
                const Vec prob = Simd::exp(Simd::sub(Simd::load(rowScores + column), shift));
                Simd::store(rowScores + column, prob);
                sum = Simd::add(sum, prob);
            }
            if (next != previous) {
                // exp(−inf) = 0: the first visible tile discards the (all-zero) accumulator.
                const float factor = __builtin_expf(previous - next);
                rowSum[row] = rowSum[row] * factor + Simd::reduceSum(sum);
                rowMax[row] = next;
                const Vec scale = Simd::broadcast(factor);
                float* outRow = out + row * headDim;
                for (int dim = 0; dim < headDim; dim += kWidth) {
                    Simd::store(outRow + dim, Simd::mul(Simd::load(outRow + dim), scale));
                }
            } else {
                rowSum[row] += Simd::reduceSum(sum);
            }
        }
    }

    // The running state of one work item's rows for every query head of its GQA group: scaled
    // queries, output accumulators, row max and sum (FusedScratchLayout), each per group member.
    struct GroupRows {
        const DenseAttnParams* problem;
        FusedScratchLayout layout;
        float* scratch;
        int kvHead;
        int group;
        int rowBegin;
        int rows;

        float* queries(int member) const { return scratch + layout.queries + member * layout.headStride; }
        float* outputs(int member) const { return scratch + layout.outputs + member * layout.headStride; }
        float* rowMax(int member) const { return scratch + layout.rowMax + member * layout.statStride; }
        float* rowSum(int member) const { return scratch + layout.rowSum + member * layout.statStride; }
        float* scores() const { return scratch + layout.scores; }
    };

    static GroupRows beginRows(const FusedProblem& fused, int kvHead, int rowBegin, int rows, float* scratch)
    {
        const DenseAttnParams& problem = fused.attn;
        const int group = problem.nHeads / problem.nKvHeads;
        const int headDim = problem.headDim;
        const GroupRows state{&problem, fusedScratchLayout(fused.scratchRows, kKeyBlock, group, headDim), scratch,
                              kvHead, group, rowBegin, rows};
        // With a softcap the micro-kernel yields s / softcap, so that tanh needs no extra divide.
        const float queryScale = problem.softcap > 0.0f ? problem.scale / problem.softcap : problem.scale;
        for (int member = 0; member < group; ++member) {
            const int head = kvHead * group + member;
            float* scaled = state.queries(member);
            float* out = state.outputs(member);
            for (int row = 0; row < rows; ++row) {
                const float* query = problem.q + head * problem.qHeadStride + (rowBegin + row) * problem.qRowStride;
                for (int dim = 0; dim < headDim; ++dim) {
                    scaled[row * headDim + dim] = query[dim] * queryScale;
                    out[row * headDim + dim] = 0.0f;
                }
                state.rowMax(member)[row] = kNegInf;
                state.rowSum(member)[row] = 0.0f;
            }
        }
        return state;
    }

    // Folds keys [keyBegin + keepBegin, keyBegin + keepEnd) of the packed tile starting at keyBegin
    // into the rows of group members [memberBegin, memberEnd). The score and softmax kernels run on
    // whole micro-kernel columns around the kept ones; anything a row may not see is masked to −inf,
    // and nothing is masked when every row sees every computed column.
    static void foldKeys(const FusedProblem& fused, const GroupRows& state, int keyBegin, int keepBegin, int keepEnd,
                         int memberBegin, int memberEnd, const RowKeyMask* pairs = nullptr)
    {
        const DenseAttnParams& problem = fused.attn;
        const int headDim = problem.headDim;
        const int tilesPerHead = (problem.nTokens + kKeyBlock - 1) / kKeyBlock;
        const int tile = keyBegin / kKeyBlock;
        const float* keyTile =
            fused.packedKeys + (static_cast<std::size_t>(state.kvHead) * tilesPerHead + tile) * headDim * kKeyBlock;
        const float* valueRows =
            problem.v + state.kvHead * problem.vHeadStride + (keyBegin + keepBegin) * problem.vRowStride;
        constexpr int kColumnStep = 2 * kWidth;
        const int columnBegin = keepBegin / kColumnStep * kColumnStep;
        const int columnEnd = (keepEnd + kColumnStep - 1) / kColumnStep * kColumnStep;
        const int rowLast = state.rowBegin + state.rows - 1;
        // Both visibility bounds are monotonic in the row, so the first and last rows decide.
        const bool unmasked = pairs == nullptr && columnBegin == keepBegin && columnEnd == keepEnd &&
                              firstVisible(problem, rowLast) <= keyBegin + keepBegin &&
                              lastVisible(problem, state.rowBegin) >= keyBegin + keepEnd - 1;
        float* scores = state.scores();
        NextTile next;
        if (tile + 1 < tilesPerHead && pairs == nullptr) {
            next.keys = keyTile + headDim * kKeyBlock;
            next.values = problem.v + state.kvHead * problem.vHeadStride + (keyBegin + kKeyBlock) * problem.vRowStride;
            next.valueStride = problem.vRowStride;
            next.valueRows = minInt(kKeyBlock, problem.nTokens - keyBegin - kKeyBlock);
        }
        for (int member = memberBegin; member < memberEnd; ++member) {
            float* out = state.outputs(member);
            scoreTile(state.queries(member), state.rows, headDim, keyTile, columnBegin, columnEnd, scores,
                      member == memberBegin ? next : NextTile{});
            if (problem.softcap > 0.0f) {
                for (int row = 0; row < state.rows; ++row) {
                    float* rowScores = scores + row * kKeyBlock;
                    for (int column = columnBegin; column < columnEnd; ++column) {
                        rowScores[column] = problem.softcap * __builtin_tanhf(rowScores[column]);
                    }
                }
            }
            if (!unmasked) {
                maskTile(problem, scores, state.rowBegin, state.rows, keyBegin, columnBegin, columnEnd, keepBegin,
                         keepEnd);
            }
            if (pairs != nullptr) {
                maskPairs(*pairs, scores, state.rows, keyBegin, keepBegin, keepEnd);
            }
            softmaxTile(scores, state.rows, columnBegin, columnEnd, state.rowMax(member), state.rowSum(member), out,
                        headDim);
            accumulateTile(scores + keepBegin, state.rows, valueRows, problem.vRowStride, keepEnd - keepBegin, headDim,
                           out);
        }
    }

    // Folds the key run [runBegin, runEnd) tile by tile into members [memberBegin, memberEnd).
    static void foldKeyRun(const FusedProblem& fused, const GroupRows& state, int runBegin, int runEnd,
                           int memberBegin, int memberEnd)
    {
        for (int tileBegin = runBegin / kKeyBlock * kKeyBlock; tileBegin < runEnd; tileBegin += kKeyBlock) {
            foldKeys(fused, state, tileBegin, maxInt(runBegin, tileBegin) - tileBegin,
                     minInt(runEnd, tileBegin + kKeyBlock) - tileBegin, memberBegin, memberEnd);
        }
    }

    // O /= l and lse = m + log l. A row that saw no key gets output 0 and lse −inf, as
    // DenseAttnParams documents (impossible under the model's own masks, where every query sees
    // itself; it happens in block-sparse layouts).
    static void finishRows(const GroupRows& state)
    {
        const DenseAttnParams& problem = *state.problem;
        const int headDim = problem.headDim;
        for (int member = 0; member < state.group; ++member) {
            const int head = state.kvHead * state.group + member;
            const float* out = state.outputs(member);
            const float* rowMax = state.rowMax(member);
            const float* rowSum = state.rowSum(member);
            for (int row = 0; row < state.rows; ++row) {
                const float inverse = rowSum[row] > 0.0f ? 1.0f / rowSum[row] : 0.0f;
                const int query = state.rowBegin + row;
                float* output = problem.out + head * problem.outHeadStride + query * problem.outRowStride;
                for (int dim = 0; dim < headDim; ++dim) {
                    output[dim] = out[row * headDim + dim] * inverse;
                }
                if (problem.lse != nullptr) {
                    problem.lse[head * problem.lseHeadStride + query] =
                        rowSum[row] > 0.0f ? rowMax[row] + __builtin_logf(rowSum[row]) : kNegInf;
                }
            }
        }
    }

    // Dense: every key the rows may see, one tile at a time (only the tiles a causal mask or a
    // window cuts are masked); the group's heads share each K and V tile.
    static void runBlock(const FusedProblem& fused, int kvHead, int rowBegin, int rows, float* scratch)
    {
        const DenseAttnParams& problem = fused.attn;
        const GroupRows state = beginRows(fused, kvHead, rowBegin, rows, scratch);
        foldKeyRun(fused, state, firstVisible(problem, rowBegin), lastVisible(problem, rowBegin + rows - 1) + 1, 0,
                   state.group);
        finishRows(state);
    }

    // Block-sparse: rows [rowBegin, rowBegin + rows) of one query block attend to the kept key
    // blocks of its layout row only; adjacent kept blocks merge into one run of keys, and a run is
    // cut at the packed tiles' edges. With one layout for all heads, the group's heads share each
    // run; otherwise every head walks its own list.
    static void runSparseChunk(const FusedProblem& fused, const BlockSparsePlan& plan, int kvHead, int queryBlock,
                               int rowBegin, int rows, float* scratch)
    {
        const DenseAttnParams& problem = fused.attn;
        const GroupRows state = beginRows(fused, kvHead, rowBegin, rows, scratch);
        const int visibleBegin = firstVisible(problem, rowBegin);
        const int visibleEnd = lastVisible(problem, rowBegin + rows - 1) + 1;
        const int lists = plan.perHead ? state.group : 1;
        for (int list = 0; list < lists; ++list) {
            const int memberBegin = plan.perHead ? list : 0;
            const int memberEnd = plan.perHead ? list + 1 : state.group;
            const std::int64_t layoutRow =
                static_cast<std::int64_t>(plan.perHead ? kvHead * state.group + list : 0) * plan.blocks + queryBlock;
            int runBegin = 0;
            int runEnd = 0;
            for (std::int64_t index = plan.rowPtr[layoutRow]; index < plan.rowPtr[layoutRow + 1]; ++index) {
                const int keyBlock = plan.keyBlocks[index];
                const int keyBegin = maxInt(keyBlock * plan.blockSize, visibleBegin);
                const int keyEnd = minInt((keyBlock + 1) * plan.blockSize, visibleEnd);
                if (keyBegin >= keyEnd) {
                    continue;
                }
                if (keyBegin != runEnd) {
                    foldKeyRun(fused, state, runBegin, runEnd, memberBegin, memberEnd);
                    runBegin = keyBegin;
                }
                runEnd = keyEnd;
            }
            foldKeyRun(fused, state, runBegin, runEnd, memberBegin, memberEnd);
        }
        finishRows(state);
    }

    // Gathered rows (CSR sparse attention): problem.q, out and lse start at the chunk's first row,
    // the packed keys and problem.v hold the union of the rows' keys (nTokens of them, no mask
    // rules), and `pairs` marks which of them each row keeps. With `weights`, a second scoring pass
    // writes each kept pair's probability exp(s − lse) to weights[cursor[row]++], in key order.
    static void runGatheredRows(const FusedProblem& fused, int rows, const RowKeyMask& pairs, float* weights,
                                std::int64_t* cursor, float* scratch)
    {
        const DenseAttnParams& problem = fused.attn;
        const GroupRows state = beginRows(fused, 0, 0, rows, scratch);
        for (int tileBegin = 0; tileBegin < problem.nTokens; tileBegin += kKeyBlock) {
            foldKeys(fused, state, tileBegin, 0, minInt(kKeyBlock, problem.nTokens - tileBegin), 0, 1, &pairs);
        }
        finishRows(state);
        if (weights == nullptr) {
            return;
        }
        constexpr int kColumnStep = 2 * kWidth;
        float* scores = state.scores();
        for (int tileBegin = 0; tileBegin < problem.nTokens; tileBegin += kKeyBlock) {
            const int keys = minInt(kKeyBlock, problem.nTokens - tileBegin);
            const int columnEnd = (keys + kColumnStep - 1) / kColumnStep * kColumnStep;
            scoreTile(state.queries(0), rows, problem.headDim,
                      fused.packedKeys + static_cast<std::size_t>(tileBegin) * problem.headDim, 0, columnEnd, scores);
            for (int row = 0; row < rows; ++row) {
                float* rowScores = scores + row * kKeyBlock;
                const Vec lse = Simd::broadcast(problem.lse[row]);
                for (int column = 0; column < columnEnd; column += kWidth) {
                    Vec score = Simd::load(rowScores + column);
                    if (problem.softcap > 0.0f) {
                        float lanes[kWidth];
                        Simd::store(lanes, score);
                        for (int lane = 0; lane < kWidth; ++lane) {
                            lanes[lane] = problem.softcap * __builtin_tanhf(lanes[lane]);
                        }
                        score = Simd::load(lanes);
                    }
                    Simd::store(rowScores + column, Simd::exp(Simd::sub(score, lse)));
                }
                const unsigned char* kept = pairs.keep + static_cast<std::size_t>(row) * pairs.stride + tileBegin;
                for (int column = 0; column < keys; ++column) {
                    if (kept[column] != 0) {
                        weights[cursor[row]++] = rowScores[column];
                    }
                }
            }
        }
    }

    static void expArray(const float* in, float* out, std::size_t count)
    {
        std::size_t index = 0;
        for (; index + kWidth <= count; index += kWidth) {
            Simd::store(out + index, Simd::exp(Simd::load(in + index)));
        }
        if (index < count) {
            float lanes[kWidth];
            for (int lane = 0; lane < kWidth; ++lane) {
                lanes[lane] = index + lane < count ? in[index + lane] : 0.0f;
            }
            Simd::store(lanes, Simd::exp(Simd::load(lanes)));
            for (int lane = 0; index + lane < count; ++lane) {
                out[index + lane] = lanes[lane];
            }
        }
    }

    static FusedKernel kernel()
    {
        FusedKernel result;
        result.queryBlock = kQueryBlock;
        result.keyBlock = kKeyBlock;
        result.packKeyTile = &packKeyTile;
        result.runBlock = &runBlock;
        result.runSparseChunk = &runSparseChunk;
        result.runGatheredRows = &runGatheredRows;
        result.exp = &expArray;
        return result;
    }
};
