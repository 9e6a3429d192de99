// A user-defined layer: Swish (x·sigmoid(x), Ramachandran et al. 2017) in a dozen lines, written once
// for every V (float, double, SIMD registers) with typenet::math, so it runs vectorized. No registry:
// deriving from Elementwise<Swish> makes it a layer. It is then trained with train_step and its
// derivative is verified against central differences with check_gradients. A deliberately wrong
// derivative must be caught too, so the check cannot pass vacuously. Exit status 1 if either fails.
#include <typenet/typenet.hpp>

#include <cstdio>
#include <string>
#include <vector>

struct Swish : typenet::Elementwise<Swish> {
    static std::string name() { return "Swish"; }
    template <class V>
    static V apply(V x) { return x * typenet::math::sigmoid(x); }
    /// d/dx x·s(x) = s + x·s·(1 − s) = s + y·(1 − s), with y = x·s.
    template <class V>
    static V derivative(V x, V y) {
        const V s = typenet::math::sigmoid(x);
        return s + y * (V(1) - s);
    }
};

struct BrokenSwish : typenet::Elementwise<BrokenSwish> {  // forgets the second term of the derivative
    static std::string name() { return "BrokenSwish"; }
    template <class V>
    static V apply(V x) { return Swish::apply(x); }
    template <class V>
    static V derivative(V x, V) { return typenet::math::sigmoid(x); }
};

template <class Act>
using Net = typenet::Seq<typenet::Dense<4, 16, typenet::Xavier>, Act, typenet::Dense<16, 16, typenet::Xavier>, Act,
                         typenet::Dense<16, 3, typenet::Xavier>>;

int main() {
    // 64 points in 4-D, three classes by the sign pattern of two coordinates.
    const typenet::Philox rng(typenet::Seed{3}, typenet::RandomPurpose::user, 0, 0);
    auto x = typenet::Matrix<float>::from_shape({64, 4});
    std::vector<int> labels(64);
    for (std::size_t r = 0; r < 64; ++r) {
        for (std::size_t c = 0; c < 4; ++c) x(r, c) = static_cast<float>(rng.normal(4 * r + c));
        labels[r] = x(r, 0) > 0 ? (x(r, 1) > 0 ? 2 : 1) : 0;
    }

    Net<Swish> net{typenet::Seed{1}};
    std::printf("%s\n", Net<Swish>::summary().c_str());

    // Checked before training: at a loss near 0 every gradient is tiny and the check says little.
    const typenet::GradientCheck good = typenet::check_gradients(net, x, labels, typenet::SoftmaxCrossEntropy{});
    std::printf("check_gradients(Swish):\n%s", good.table().c_str());
    const Net<BrokenSwish> broken{typenet::Seed{1}};
    const double wrong = typenet::check_gradients(broken, x, labels, typenet::SoftmaxCrossEntropy{}).worst();
    std::printf("check_gradients(BrokenSwish) worst relative error: %.3g (must be large)\n", wrong);


    typenet::Adam opt{.lr = 0.01f};
    float first = 0, last = 0;
    for (int step = 0; step < 200; ++step) {
        last = net.train_step(x, labels, typenet::SoftmaxCrossEntropy{}, opt);
        if (step == 0) first = last;
    }
    std::printf("train_step with Adam: loss after 1 step %.4f, after 200 steps %.4f\n", static_cast<double>(first), static_cast<double>(last));

    const bool ok = good.worst() < 1e-5 && wrong > 1e-2 && last < 0.5f * first;
    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
