// Prints the SIMD instruction set of a translation unit compiled with the flags this project gives it
// (-march=native, or none): run_consumer.cmake expects `app` to report the same one.
#include <typenet/simd/arch.hpp>

#include <cstdio>

int main() { std::printf("%s\n", typenet::simd::architecture().c_str()); }
