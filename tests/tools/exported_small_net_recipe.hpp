#pragma once
/// \file The small trained network behind tests/data/exported_small_net.hpp: built and trained
/// deterministically here, so that tests/unit/test_export_header.cpp can rebuild it and compare.
#include <vector>

#include "typenet/io/export_header.hpp"
#include "typenet/layers/activations/relu.hpp"
#include "typenet/layers/batch_norm.hpp"
#include "typenet/layers/dense.hpp"
#include "typenet/loss/softmax_cross_entropy.hpp"
#include "typenet/model/seq.hpp"
#include "typenet/optim/sgd.hpp"

namespace typenet::export_recipe {

using SmallNet = Seq<Dense<4, 6>, BatchNorm, ReLU, Dense<6, 3>>;

inline Matrix<float> inputs() {
    return {{1.0f, 2.0f, 3.0f, 4.0f}, {0.0f, -1.0f, 0.5f, 1.0f}, {2.0f, 0.0f, -2.0f, 1.5f}, {-1.0f, 1.0f, 1.0f, -0.5f}};
}
inline std::vector<int> labels() { return {0, 2, 1, 2}; }

/// Seed 11, eight SGD steps with momentum on inputs()/labels().
inline SmallNet trained() {
    SmallNet net{Seed{11}};
    SGD opt{.lr = 0.05f, .momentum = 0.9f};
    for (int i = 0; i < 8; ++i) net.train_step(inputs(), labels(), SoftmaxCrossEntropy{}, opt);
    return net;
}

}  // namespace typenet::export_recipe
