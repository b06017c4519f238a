#pragma once
// The fused-attention tile loop, written once over a small SIMD type and instantiated per ISA
// (DESIGN §7.12: one template, not a copy per instruction set). Include it only from a per-ISA
// translation unit, inside its `#pragma GCC target` region and an anonymous namespace, so that
// every instantiation is private to the TU that compiled it for its ISA. It uses no standard
// library templates for the same reason (see fused_attention_isa.h).
//
// The Simd type provides: Vec; kWidth (floats per Vec); kRows (micro-kernel rows); kQueryBlock
// (rows per work item); kKeyBlock (keys per tile, a multiple of 2·kWidth); zero(), load(p),
// store(p, v), broadcast(x), fmadd(a, b, c) = a·b + c, add, sub, mul, max, reduceMax(v),
// reduceSum(v) and exp(v) (x ≤ 88; −inf → 0 exactly).
//
// Per work item (KV head, query block) and per key tile, for each query head of the GQA group:
//   S = (scale·Q) · Kᵀ        score micro-kernel, kRows × 2 vectors of keys, keys pre-transposed
//   m' = max(m, rowmax S); P = exp(S − m'); l = l·e^(m−m') + ΣP; O = O·e^(m−m')   (online softmax)
//   O += P · V               output micro-kernel, kRows × (2 or 1) vectors of head dims
// and at the end O /= l, lse = m + log l. Tiles no row of the block can see are never visited;
// tiles every row sees in full are not masked.

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

    static void packKeyTile(const float* keys, long long rowStride, int nTokens, int headDim, int tile, float* dst)
    {
        const int keyBegin = tile * kKeyBlock;
        for (int column = 0; column < kKeyBlock; ++column) {
            const int key = keyBegin + column;
            const float* row = keys + key * rowStride;
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

    // scores[Rows][kKeyBlock] = queries[Rows][headDim] · keyTile[headDim][kKeyBlock].
    template <int Rows>
    static void scoreRows(const float* queries, int headDim, const float* keyTile, float* scores)
    {
        for (int column = 0; column < kKeyBlock; column += 2 * kWidth) {
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

    static void scoreTile(const float* queries, int rows, int headDim, const float* keyTile, float* scores)
    {
        for (int row = 0; row < rows; row += kRows) {
            withRows(minInt(kRows, rows - row), [&]<int Rows>() {
                scoreRows<Rows>(queries + row * headDim, headDim, keyTile, scores + row * kKeyBlock);
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

    // Scores outside each row's visible keys (and past the last token) become −inf.
    static void maskTile(const DenseAttnParams& problem, float* scores, int rowBegin, int rows, int keyBegin)
    {
        const int lastKeyInTile = minInt(kKeyBlock, problem.nTokens - keyBegin) - 1;
        for (int row = 0; row < rows; ++row) {
            const int query = rowBegin + row;
            const int first = firstVisible(problem, query) - keyBegin;
            const int last = minInt(lastVisible(problem, query) - keyBegin, lastKeyInTile);
            float* rowScores = scores + row * kKeyBlock;
            for (int column = 0; column < kKeyBlock; ++column) {
                if (column < first || column > last) {
                    rowScores[column] = kNegInf;
                }
            }
        }
    }

    // Folds one tile into the running max and sum of each row, leaving P = exp(S − m') in scores,
    // and rescales a row's output accumulator when its max grew.
    static void softmaxTile(float* scores, int rows, float* rowMax, float* rowSum, float* out, int headDim)
    {
        for (int row = 0; row < rows; ++row) {
            float* rowScores = scores + row * kKeyBlock;
            Vec maxima = Simd::broadcast(kNegInf);
            for (int column = 0; column < kKeyBlock; column += kWidth) {
                maxima = Simd::max(maxima, Simd::load(rowScores + column));
            }
            const float tileMax = Simd::reduceMax(maxima);
            const float previous = rowMax[row];
            if (tileMax == kNegInf && previous == kNegInf) {
                // Nothing visible to this row yet: its probabilities in this tile are all 0.
                for (int column = 0; column < kKeyBlock; column += kWidth) {
                    Simd::store(rowScores + column, Simd::zero());
                }
                continue;
            }
            const float next = tileMax > previous ? tileMax : previous;
            const Vec shift = Simd::broadcast(next);
            Vec sum = Simd::zero();
            for (int column = 0; column < kKeyBlock; column += kWidth) {
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

    static void runBlock(const FusedProblem& fused, int kvHead, int block, float* scratch)
    {
        const DenseAttnParams& problem = fused.attn;
        const int group = problem.nHeads / problem.nKvHeads;
        const int headDim = problem.headDim;
        const int nTokens = problem.nTokens;
        const int rowBegin = block * kQueryBlock;
        const int rows = minInt(kQueryBlock, nTokens - rowBegin);
        const int rowLast = rowBegin + rows - 1;
        const FusedScratchLayout layout = fusedScratchLayout(kQueryBlock, kKeyBlock, group, headDim);
        // With a softcap the micro-kernel yields s / softcap, so that tanh needs no extra divide.
        const float queryScale = problem.softcap > 0.0f ? problem.scale / problem.softcap : problem.scale;

        for (int member = 0; member < group; ++member) {
            const int head = kvHead * group + member;
            float* scaled = scratch + layout.queries + member * layout.headStride;
            float* out = scratch + layout.outputs + member * layout.headStride;
            for (int row = 0; row < rows; ++row) {
                const float* query = problem.q + head * problem.qHeadStride + (rowBegin + row) * problem.qRowStride;
                for (int dim = 0; dim < headDim; ++dim) {
                    scaled[row * headDim + dim] = query[dim] * queryScale;
                    out[row * headDim + dim] = 0.0f;
                }
                scratch[layout.rowMax + member * layout.statStride + row] = kNegInf;
                scratch[layout.rowSum + member * layout.statStride + row] = 0.0f;
            }
        }

        const int tilesPerHead = (nTokens + kKeyBlock - 1) / kKeyBlock;
        const float* packedKeys =
            fused.packedKeys + static_cast<std::size_t>(kvHead) * tilesPerHead * headDim * kKeyBlock;
        const float* values = problem.v + kvHead * problem.vHeadStride;
        const int tileFirst = firstVisible(problem, rowBegin) / kKeyBlock;
        const int tileLast = lastVisible(problem, rowLast) / kKeyBlock;
        float* scores = scratch + layout.scores;
        for (int tile = tileFirst; tile <= tileLast; ++tile) {
            const int keyBegin = tile * kKeyBlock;
            const int keys = minInt(kKeyBlock, nTokens - keyBegin);
            // Every row sees the whole tile iff the last row's first key and the first row's last
            // key enclose it (both bounds are monotonic in the row).
            const bool wholeTile = keys == kKeyBlock && firstVisible(problem, rowLast) <= keyBegin &&
                                   lastVisible(problem, rowBegin) >= keyBegin + kKeyBlock - 1;
            const float* keyTile = packedKeys + static_cast<std::size_t>(tile) * headDim * kKeyBlock;
            const float* valueRows = values + keyBegin * problem.vRowStride;
            for (int member = 0; member < group; ++member) {
                float* out = scratch + layout.outputs + member * layout.headStride;
                scoreTile(scratch + layout.queries + member * layout.headStride, rows, headDim, keyTile, scores);
                if (problem.softcap > 0.0f) {
                    for (int index = 0; index < rows * kKeyBlock; ++index) {
                        scores[index] = problem.softcap * __builtin_tanhf(scores[index]);
                    }
                }
                if (!wholeTile) {
                    maskTile(problem, scores, rowBegin, rows, keyBegin);
                }
                softmaxTile(scores, rows, scratch + layout.rowMax + member * layout.statStride,
                            scratch + layout.rowSum + member * layout.statStride, out, headDim);
                accumulateTile(scores, rows, valueRows, problem.vRowStride, keys, headDim, out);
            }
        }

        // A row that saw no key (impossible under the model's own masks, where every query sees
        // itself) gets output 0 and lse −inf, as DenseAttnParams documents.
        for (int member = 0; member < group; ++member) {
            const int head = kvHead * group + member;
            const float* out = scratch + layout.outputs + member * layout.headStride;
            const float* rowMax = scratch + layout.rowMax + member * layout.statStride;
            const float* rowSum = scratch + layout.rowSum + member * layout.statStride;
            for (int row = 0; row < rows; ++row) {
                const float inverse = rowSum[row] > 0.0f ? 1.0f / rowSum[row] : 0.0f;
                float* output = problem.out + head * problem.outHeadStride + (rowBegin + row) * problem.outRowStride;
                for (int dim = 0; dim < headDim; ++dim) {
                    output[dim] = out[row * headDim + dim] * inverse;
                }
                if (problem.lse != nullptr) {
                    problem.lse[head * problem.lseHeadStride + rowBegin + row] =
                        rowSum[row] > 0.0f ? rowMax[row] + __builtin_logf(rowSum[row]) : kNegInf;
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
        result.exp = &expArray;
        return result;
    }
};
