// Fuzz target: the .npy readers, load_npy (features) and load_npy_labels, on the same file (the one
// validated header parser, two decoders). Any outcome other than success or a typenet::error is a bug.
#include <cstdint>

#include "fuzz_common.hpp"
#include "typenet/data/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = typenet_fuzz::scratch_path("data.npy");
    typenet_fuzz::write_file(path, data, size);
    try {
        (void)typenet::load_npy(path);
    } catch (const typenet::error&) {
    }
    try {
        (void)typenet::load_npy_labels(path);
    } catch (const typenet::error&) {
    }
    return 0;
}
