#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/train/evaluate.hpp"

namespace typenet {

/// How an Ensemble turns its members' outputs into one prediction.
enum class Combine {
    average_probabilities,  ///< mean of the members' softmax (sigmoid for one output) probabilities
    majority_vote,          ///< most frequent predicted class; ties go to the higher mean probability
};

/// N networks of one type whose predictions are combined. Members output logits (no Softmax layer
/// at the end); each is trained on its own, e.g. `for (auto& m : ensemble.members()) fit(m, ...)`.
template <class Net>
class Ensemble {
public:
    using scalar = typename Net::scalar;
    static constexpr std::size_t output_size = Net::output_size;

    Ensemble() = default;
    /// `size` members initialized from seeds seed, seed + 1, ...
    Ensemble(std::size_t size, Seed seed) {
        members_.reserve(size);
        for (std::size_t i = 0; i < size; ++i) members_.emplace_back(Seed{seed.value + i});
    }
    explicit Ensemble(std::vector<Net> members) : members_(std::move(members)) {}

    std::vector<Net>& members() { return members_; }
    const std::vector<Net>& members() const { return members_; }
    std::size_t size() const { return members_.size(); }
    Net& operator[](std::size_t i) { return members_[i]; }
    const Net& operator[](std::size_t i) const { return members_[i]; }

    /// Mean class probabilities of the members, (batch, outputs), eval mode. const, thread-safe as predict is.
    Matrix<scalar> predict(const Matrix<scalar>& x) const {
        require_members("predict");
        Matrix<scalar> mean = Matrix<scalar>::from_shape({x.shape(0), output_size});
        std::fill(mean.begin(), mean.end(), scalar(0));
        const auto weight = static_cast<scalar>(1.0 / static_cast<double>(members_.size()));
        for (const Net& m : members_) {
            Matrix<scalar> p = m.predict(x);
            for (std::size_t r = 0; r < x.shape(0); ++r) {
                probabilities(p.data() + r * output_size);
                for (std::size_t c = 0; c < output_size; ++c) mean(r, c) += weight * p(r, c);
            }
        }
        return mean;
    }

    /// One class per row.
    std::vector<int> predict_classes(const Matrix<scalar>& x, Combine how = Combine::average_probabilities) const {
        const Matrix<scalar> mean = predict(x);
        std::vector<int> classes(x.shape(0));
        if (how == Combine::average_probabilities) {
            for (std::size_t r = 0; r < classes.size(); ++r)
                classes[r] = static_cast<int>(predicted_class(mean.data() + r * output_size, output_size));
            return classes;
        }
        constexpr std::size_t k = output_size == 1 ? 2 : output_size;
        std::vector<std::size_t> votes(x.shape(0) * k, 0);
        for (const Net& m : members_) {
            const Matrix<scalar> out = m.predict(x);
            for (std::size_t r = 0; r < classes.size(); ++r)
                ++votes[r * k + predicted_class(out.data() + r * output_size, output_size)];
        }
        for (std::size_t r = 0; r < classes.size(); ++r) {
            std::size_t best = 0;
            for (std::size_t c = 1; c < k; ++c) {
                const std::size_t a = votes[r * k + c], b = votes[r * k + best];
                if (a > b || (a == b && probability(mean, r, c) > probability(mean, r, best))) best = c;
            }
            classes[r] = static_cast<int>(best);
        }
        return classes;
    }

    /// Fraction of `data` classified correctly by the combined prediction.
    float accuracy(const Dataset& data, Combine how = Combine::average_probabilities, std::size_t chunk = 1024) const {
        train_detail::check_dataset<Net>(data, "Ensemble::accuracy");
        if (data.size() == 0) throw error("Ensemble::accuracy: the dataset is empty");
        train_detail::check_labels<Net::output_size>(data, "Ensemble::accuracy: data");
        std::size_t correct = 0;
        Matrix<scalar> x;
        for (std::size_t first = 0; first < data.size(); first += chunk) {
            const std::size_t rows = std::min(chunk, data.size() - first);
            if (x.size() != rows * Net::input_size) x = Matrix<scalar>::from_shape({rows, Net::input_size});
            std::copy_n(data.x.data() + first * Net::input_size, rows * Net::input_size, x.data());
            const std::vector<int> classes = predict_classes(x, how);
            for (std::size_t r = 0; r < rows; ++r) correct += classes[r] == data.y[first + r];
        }
        return static_cast<float>(static_cast<double>(correct) / static_cast<double>(data.size()));
    }

private:
    void require_members(const char* where) const {
        if (members_.empty()) throw error(std::string("Ensemble::") + where + ": the ensemble has no members");
    }
    /// Logits → probabilities in place: softmax (max subtracted), or the sigmoid for one output.
    static void probabilities(scalar* z) {
        if constexpr (output_size == 1) {
            z[0] = scalar(1) / (scalar(1) + std::exp(-z[0]));
        } else {
            const scalar max = *std::max_element(z, z + output_size);
            scalar sum = 0;
            for (std::size_t c = 0; c < output_size; ++c) sum += (z[c] = std::exp(z[c] - max));
            for (std::size_t c = 0; c < output_size; ++c) z[c] /= sum;
        }
    }
    /// P(class c) from the mean probabilities (with one output, column 0 is P(class 1)).
    static scalar probability(const Matrix<scalar>& mean, std::size_t r, std::size_t c) {
        if constexpr (output_size == 1) return c == 1 ? mean(r, 0) : scalar(1) - mean(r, 0);
        return mean(r, c);
    }

    std::vector<Net> members_;
};

/// Accuracy of an ensemble (average of probabilities), like accuracy(net, data) for one network.
template <class Net>
float accuracy(const Ensemble<Net>& ensemble, const Dataset& data, std::size_t chunk = 1024) {
    return ensemble.accuracy(data, Combine::average_probabilities, chunk);
}

}  // namespace typenet
