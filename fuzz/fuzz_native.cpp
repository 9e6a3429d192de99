// Fuzz target: typenet's native model loader (net.load) and checkpoint loader (load_checkpoint, with
// Adam). Any outcome other than success or a typenet::error (another exception, a crash, a sanitizer
// report) is a bug.
#include <cstdint>
#include <cstdio>

#include "fuzz_common.hpp"
#include "typenet/io/checkpoint.hpp"
#include "typenet/optim/adam.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = typenet_fuzz::scratch_path("native.tnet");
    typenet_fuzz::write_file(path, data, size);
    typenet_fuzz::Net net{typenet::Seed{1}};
    try {
        net.load(path);
    } catch (const typenet::error&) {
    }
    typenet::Adam adam;
    try {
        typenet::load_checkpoint(net, adam, path);
    } catch (const typenet::error&) {
    }
    return 0;
}
