// expect: (expected a type, got|requires template arguments)
// expect: ELU
// ELU and LeakyReLU are class templates (API.md: ELU<Alpha = 1.0>): write ELU<> for the default.
#include <typenet/typenet.hpp>

int main() {
    // A pointer, so that the one error is not followed by another about the (invalid) type's constructor.
    typenet::Seq<typenet::Dense<4, 4>, typenet::ELU, typenet::Dense<4, 2>>* net = nullptr;
    (void)net;
}
