// PCA to 2-D (core/src/analysis/embedding.cpp) against closed forms, and a real head's joint
// query/key projection against the variance it must capture.

#include "analysis/head_structure.h"
#include "attnscope/analysis.h"
#include "unit/tst_analysis_fixture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace attnscope {
namespace {

// Two orthonormal directions u, v in R^dim (Gram-Schmidt of fixed random vectors).
std::pair<std::vector<double>, std::vector<double>> orthonormalPair(int dim, unsigned seed)
{
    std::mt19937 generator(seed);
    std::normal_distribution<double> normal;
    std::vector<double> u(static_cast<std::size_t>(dim));
    std::vector<double> v(static_cast<std::size_t>(dim));
    for (int c = 0; c < dim; ++c) {
        u[c] = normal(generator);
        v[c] = normal(generator);
    }
    auto dot = [&](const std::vector<double>& a, const std::vector<double>& b) {
        double sum = 0.0;
        for (int c = 0; c < dim; ++c) {
            sum += a[c] * b[c];
        }
        return sum;
    };
    const double uNorm = std::sqrt(dot(u, u));
    for (double& x : u) {
        x /= uNorm;
    }
    const double along = dot(u, v);
    for (int c = 0; c < dim; ++c) {
        v[c] -= along * u[c];
    }
    const double vNorm = std::sqrt(dot(v, v));
    for (double& x : v) {
        x /= vNorm;
    }
    return {u, v};
}

TEST(Pca2d, PointsOnAKnownPlaneComeBackAsTheirPlaneCoordinates)
{
    // a ∈ {-3,-1,1,3} × b ∈ {-1,1}: zero means, uncorrelated, var(a) = 5, var(b) = 1.
    const int dim = 8;
    const auto [u, v] = orthonormalPair(dim, 11);
    const std::vector<double> offset = {0.5, -2.0, 1.0, 3.0, 0.0, -1.0, 2.0, 0.25};
    std::vector<float> rows;
    std::vector<std::pair<double, double>> plane;
    for (double a : {-3.0, -1.0, 1.0, 3.0}) {
        for (double b : {-1.0, 1.0}) {
            plane.push_back({a, b});
            for (int c = 0; c < dim; ++c) {
                rows.push_back(static_cast<float>(offset[c] + a * u[c] + b * v[c]));
            }
        }
    }
    auto projection = projectPca2d(rows, 8, dim);
    ASSERT_TRUE(projection) << projection.error().describe();
    EXPECT_NEAR(projection->explained[0], 5.0 / 6.0, 1e-5);
    EXPECT_NEAR(projection->explained[1], 1.0 / 6.0, 1e-5);
    // The axes are ±u and ±v; the coordinates are (a, b) up to the sign of each axis.
    double alongU = 0.0;
    double alongV = 0.0;
    for (int c = 0; c < dim; ++c) {
        alongU += projection->axes[c] * u[c];
        alongV += projection->axes[dim + c] * v[c];
    }
    EXPECT_NEAR(std::abs(alongU), 1.0, 1e-5);
    EXPECT_NEAR(std::abs(alongV), 1.0, 1e-5);
    const double signX = alongU > 0 ? 1.0 : -1.0;
    const double signY = alongV > 0 ? 1.0 : -1.0;
    for (std::size_t i = 0; i < plane.size(); ++i) {
        EXPECT_NEAR(projection->points[i].x, signX * plane[i].first, 1e-5) << "point " << i;
        EXPECT_NEAR(projection->points[i].y, signY * plane[i].second, 1e-5) << "point " << i;
    }
    // The sign rule: each axis's largest-magnitude coefficient is positive.
    for (int axis = 0; axis < 2; ++axis) {
        double largest = 0.0;
        for (int c = 0; c < dim; ++c) {
            if (std::abs(projection->axes[axis * dim + c]) > std::abs(largest)) {
                largest = projection->axes[axis * dim + c];
            }
        }
        EXPECT_GT(largest, 0.0) << "axis " << axis;
    }
}

TEST(Pca2d, ConstantPointsProjectToTheOriginWithNothingExplained)
{
    const std::vector<float> rows = {1.0f, 2.0f, 3.0f, 1.0f, 2.0f, 3.0f};
    auto projection = projectPca2d(rows, 2, 3);
    ASSERT_TRUE(projection);
    for (const Point2& point : projection->points) {
        EXPECT_EQ(point.x, 0.0);
        EXPECT_EQ(point.y, 0.0);
    }
    EXPECT_EQ(projection->explained[0], 0.0);
}

TEST(Pca2d, ShapeMismatchIsAnError)
{
    auto projection = projectPca2d({1.0f, 2.0f, 3.0f}, 2, 2);
    ASSERT_FALSE(projection);
    EXPECT_EQ(projection.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(projectPca2d({}, 0, 2));
}

using QkEmbeddingOfAHead = StoriesText;

TEST_F(QkEmbeddingOfAHead, ProjectionCapturesTheTopVarianceOfQueriesAndKeys)
{
    Workspace& workspace = *this->workspace;
    const int layer = 2;
    const int head = 3;
    auto embedding = qkEmbedding(workspace, ids, layer, head, RunOptions{});
    ASSERT_TRUE(embedding) << embedding.error().describe();
    ASSERT_EQ(embedding->queries.size(), static_cast<std::size_t>(n));
    ASSERT_EQ(embedding->keys.size(), static_cast<std::size_t>(n));

    // Independent reference in double: the joint point set, its total variance, and the variance
    // of the projection along each returned axis.
    auto qkv = analysis::captureLayerQkv(workspace, ids, layer, RunOptions{});
    ASSERT_TRUE(qkv);
    const int d = qkv->headDim;
    std::vector<std::vector<double>> points;
    for (int i = 0; i < n; ++i) {
        points.emplace_back(qkv->queryHead(head) + static_cast<std::size_t>(i) * d,
                            qkv->queryHead(head) + static_cast<std::size_t>(i + 1) * d);
    }
    for (int i = 0; i < n; ++i) {
        points.emplace_back(qkv->keyHead(head) + static_cast<std::size_t>(i) * d,
                            qkv->keyHead(head) + static_cast<std::size_t>(i + 1) * d);
    }
    std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
    for (const auto& point : points) {
        for (int c = 0; c < d; ++c) {
            mean[c] += point[c] / points.size();
        }
    }
    double total = 0.0;
    for (const auto& point : points) {
        for (int c = 0; c < d; ++c) {
            total += (point[c] - mean[c]) * (point[c] - mean[c]) / points.size();
        }
    }
    ASSERT_GT(total, 0.0);
    double varianceX = 0.0;
    double varianceY = 0.0;
    double covariance = 0.0;
    auto coordinate = [&](std::size_t i) { return i < static_cast<std::size_t>(n) ? embedding->queries[i] : embedding->keys[i - n]; };
    for (std::size_t i = 0; i < points.size(); ++i) {
        const Point2 p = coordinate(i);
        ASSERT_TRUE(std::isfinite(p.x) && std::isfinite(p.y));
        varianceX += p.x * p.x / points.size();
        varianceY += p.y * p.y / points.size();
        covariance += p.x * p.y / points.size();
    }
    EXPECT_NEAR(varianceX / total, embedding->explained[0], 1e-4);
    EXPECT_NEAR(varianceY / total, embedding->explained[1], 1e-4);
    EXPECT_NEAR(covariance / total, 0.0, 1e-4) << "principal coordinates are uncorrelated";
    EXPECT_GE(embedding->explained[0], embedding->explained[1]);
    // PCA optimality: no direction carries more variance than the first axis.
    std::mt19937 generator(3);
    std::normal_distribution<double> normal;
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<double> direction(static_cast<std::size_t>(d));
        double norm = 0.0;
        for (double& x : direction) {
            x = normal(generator);
            norm += x * x;
        }
        double variance = 0.0;
        for (const auto& point : points) {
            double along = 0.0;
            for (int c = 0; c < d; ++c) {
                along += (point[c] - mean[c]) * direction[c];
            }
            variance += along * along / norm / points.size();
        }
        EXPECT_LE(variance / total, embedding->explained[0] + 1e-6) << "trial " << trial;
    }
}

} // namespace
} // namespace attnscope
