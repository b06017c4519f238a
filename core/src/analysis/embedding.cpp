// Queries and keys of one head projected together to 2-D (the AttentionViz idea, issue #6): PCA of
// the joint point set, in double precision, with a deterministic sign per axis.

#include "analysis/head_structure.h"
#include "attnscope/analysis.h"

#include <Eigen/Dense>

#include <cmath>

namespace attnscope {

Result<Projection2d> projectPca2d(const std::vector<float>& rows, int nRows, int dim)
{
    if (nRows < 1 || dim < 1) {
        return makeError(ErrorCode::InvalidArgument, "PCA needs at least one row of at least one coordinate");
    }
    if (rows.size() != static_cast<std::size_t>(nRows) * static_cast<std::size_t>(dim)) {
        return makeError(ErrorCode::InvalidArgument,
                         "PCA input has " + std::to_string(rows.size()) + " values, expected " +
                             std::to_string(nRows) + " × " + std::to_string(dim));
    }
    using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const RowMatrix points = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                                 rows.data(), nRows, dim)
                                 .cast<double>();
    const Eigen::RowVectorXd mean = points.colwise().mean();
    const RowMatrix centred = points.rowwise() - mean;
    const Eigen::MatrixXd covariance = (centred.transpose() * centred) / static_cast<double>(nRows);
    // Eigenvalues come in increasing order: the principal axes are the last columns.
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
    if (solver.info() != Eigen::Success) {
        return makeError(ErrorCode::Internal, "the covariance eigen-decomposition did not converge");
    }
    Projection2d projection;
    projection.axes.assign(static_cast<std::size_t>(2 * dim), 0.0);
    const double total = covariance.trace();
    Eigen::MatrixXd axes = Eigen::MatrixXd::Zero(dim, 2);
    for (int axis = 0; axis < 2 && axis < dim; ++axis) {
        Eigen::VectorXd vector = solver.eigenvectors().col(dim - 1 - axis);
        Eigen::Index largest = 0;
        vector.cwiseAbs().maxCoeff(&largest);
        if (vector(largest) < 0.0) {
            vector = -vector;
        }
        axes.col(axis) = vector;
        const double variance = std::max(0.0, solver.eigenvalues()(dim - 1 - axis));
        projection.explained[axis] = total > 0.0 ? variance / total : 0.0;
        for (int c = 0; c < dim; ++c) {
            projection.axes[static_cast<std::size_t>(axis * dim + c)] = vector(c);
        }
    }
    const Eigen::MatrixXd coordinates = centred * axes;
    projection.points.resize(static_cast<std::size_t>(nRows));
    for (int i = 0; i < nRows; ++i) {
        projection.points[static_cast<std::size_t>(i)] = {coordinates(i, 0), coordinates(i, 1)};
    }
    return projection;
}

Result<QkEmbedding> qkEmbedding(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer, int head,
                                const RunOptions& options)
{
    ATTNSCOPE_TRY(analysis::checkHeadRequest(workspace, ids, layer, head));
    auto qkv = analysis::captureLayerQkv(workspace, ids, layer, options);
    if (!qkv) {
        return qkv.error();
    }
    const int n = qkv->nTokens;
    const int d = qkv->headDim;
    const auto block = static_cast<std::size_t>(n) * static_cast<std::size_t>(d);
    // Queries first, then keys: one point set, so both land in the same coordinates.
    std::vector<float> joint(2 * block);
    std::copy(qkv->queryHead(head), qkv->queryHead(head) + block, joint.begin());
    std::copy(qkv->keyHead(head), qkv->keyHead(head) + block, joint.begin() + static_cast<std::ptrdiff_t>(block));
    auto projection = projectPca2d(joint, 2 * n, d);
    if (!projection) {
        return projection.error();
    }
    QkEmbedding embedding;
    embedding.layer = layer;
    embedding.head = head;
    embedding.nTokens = n;
    embedding.queries.assign(projection->points.begin(), projection->points.begin() + n);
    embedding.keys.assign(projection->points.begin() + n, projection->points.end());
    embedding.explained[0] = projection->explained[0];
    embedding.explained[1] = projection->explained[1];
    return embedding;
}

} // namespace attnscope
