#pragma once
/// \file The names a code block of the docs may use without declaring them (tests/docs/README.md).
/// Only compiled, never run: nothing here is initialized with data.
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <vector>

#include <typenet/typenet.hpp>

namespace typenet_docs {

/// The network most of the docs use: 784 pixels in, 10 classes out.
using Net = typenet::Seq<typenet::Dense<784, 256, typenet::He>, typenet::BatchNorm, typenet::ReLU,
                         typenet::Dropout<0.5>, typenet::Dense<256, 10>>;
inline Net net{typenet::Seed{42}};
/// A network with 3 regression outputs, for MeanSquaredError.
inline typenet::Seq<typenet::Dense<784, 64>, typenet::ReLU, typenet::Dense<64, 3>> regressor{typenet::Seed{1}};
inline Net snapshot1{typenet::Seed{1}}, snapshot2{typenet::Seed{2}}, snapshot3{typenet::Seed{3}};

inline typenet::Matrix<float> x;       // a batch, (batch, 784)
inline typenet::Matrix<float> batch;   // a batch of images, one per row
inline std::vector<int> labels;        // one class per row of x
inline std::array<float, 784> sample;  // one input
inline std::uint64_t epoch = 0, first = 0;

inline typenet::Dataset train, test, tr, te, val, validation, full;

inline typenet::SGD opt{.lr = 0.01f, .momentum = 0.9f};
inline typenet::SoftmaxCrossEntropy loss;
inline typenet::FitOptions o;
inline typenet::Standardize standardize;
inline typenet::ZCAWhitening zca;

}  // namespace typenet_docs
