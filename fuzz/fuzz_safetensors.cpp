// Fuzz target: the safetensors loader (net.load_safetensors), JSON header parser included. Any
// outcome other than success or a typenet::error is a bug.
#include <cstdint>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = typenet_fuzz::scratch_path("model.safetensors");
    typenet_fuzz::write_file(path, data, size);
    typenet_fuzz::Net net{typenet::Seed{1}};
    try {
        net.load_safetensors(path);
    } catch (const typenet::error&) {
    }
    return 0;
}
