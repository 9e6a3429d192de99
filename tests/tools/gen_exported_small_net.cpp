// Regenerates tests/data/exported_small_net.hpp (run from the repository root):
//   g++ -std=c++20 -Iinclude tests/tools/gen_exported_small_net.cpp -o /tmp/gen && /tmp/gen tests/data/exported_small_net.hpp
#include <cstdio>

#include "exported_small_net_recipe.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT.hpp\n", argv[0]);
        return 2;
    }
    typenet::export_header(typenet::export_recipe::trained(), argv[1], "small_net");
    return 0;
}
