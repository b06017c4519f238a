#pragma once
// Host entry points of the sbm variant's kernels (issue #7): the k-means assignment of every
// query and key and the fastRG sampling of the mask. No CUDA headers here; without CUDA (or
// without a usable device) every run function returns BackendUnavailable and the caller runs the
// same steps on the CPU (attention/variant_sbm.cpp), which shares their per-element math
// (attnscope_kernels/sbm_sampling.h), so either backend gives the same logits, assignments and
// mask for the same inputs. Synchronous; one compute thread at a time per process.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "attnscope/status.h"

namespace attnscope {

/// Everything the sampling kernel reads, prepared on the host (the per-row steps that need exp,
/// log and lgamma stay there, so both backends draw the same counts):
///   prefix      [clusters, nTokens + 1]: prefix sums of each key-membership column (KeyColumnSampler)
///   aliasKeep   [nTokens, clusters], aliasIndex [nTokens, clusters]: each row's key-cluster alias table
///   drawCounts  [nTokens]: each row's Poisson number of draws
/// keys: the counter streams of the cluster choice, the draw target and the floor; floor in [0, 1]
/// with logSkip = log1p(-floor) when 0 < floor < 1.
struct SbmSampleRequest {
    int nTokens = 0;
    int clusters = 0;
    bool causal = true;
    int slidingWindow = 0;
    std::span<const double> prefix;
    std::span<const double> aliasKeep;
    std::span<const std::int32_t> aliasIndex;
    std::span<const std::int32_t> drawCounts;
    std::uint64_t clusterKey = 0;
    std::uint64_t targetKey = 0;
    std::uint64_t floorKey = 0;
    double floor = 0.0;
    double logSkip = 0.0;
};

/// InvalidArgument (reason tag "sbm_request") when the request's sizes disagree with its counts,
/// a count is negative, an alias entry is outside [0, clusters), the floor is outside [0, 1] or
/// logSkip is not negative for a floor strictly between 0 and 1; Unsupported ("sbm_row_length")
/// when a row is longer than the kernel's shared-memory bitset (393216 keys). Every build.
Result<void> checkSbmSampleRequest(const SbmSampleRequest& request, const std::string& context);

/// k-means logits [count, clusters] (sbmLogit) and nearest centroid [count] (sbmNearestCentroid)
/// of points [count, dim] against centroids [clusters, dim] on the GPU.
/// Errors: BackendUnavailable, InvalidArgument (sizes), OutOfMemory, DeviceError.
Result<void> runSbmAssignCuda(std::span<const float> points, int count, int dim, std::span<const float> centroids,
                              int clusters, std::vector<float>& logits, std::vector<std::int32_t>& assignment,
                              const std::string& context);

/// The sampled mask of one head in CSR form: rowPtr [nTokens + 1], cols ascending within a row.
/// Errors: BackendUnavailable, checkSbmSampleRequest's, InvalidArgument ("csr_too_large") beyond
/// 2^31 - 1 kept entries, OutOfMemory, DeviceError.
Result<void> runSbmSampleCuda(const SbmSampleRequest& request, std::vector<std::int64_t>& rowPtr,
                              std::vector<std::int32_t>& cols, const std::string& context);

} // namespace attnscope
