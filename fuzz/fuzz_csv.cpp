// Fuzz target: load_csv. The first input byte chooses the options (bit 0: has_header; bits 1-2: label
// column 0, -1, 1 or none; bits 3-4: delimiter ',', ';', '\t' or ' '), the rest is the file. Any outcome
// other than success or a typenet::error is a bug.
#include <cstdint>
#include <optional>

#include "fuzz_common.hpp"
#include "typenet/data/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = typenet_fuzz::scratch_path("data.csv");
    const std::uint8_t choice = size ? data[0] : 0;
    typenet_fuzz::write_file(path, data + (size ? 1 : 0), size ? size - 1 : 0);
    typenet::CsvOptions options;
    options.has_header = choice & 1;
    constexpr std::optional<long> label_columns[] = {0, -1, 1, std::nullopt};
    options.label_column = label_columns[(choice >> 1) & 3];
    constexpr char delimiters[] = {',', ';', '\t', ' '};
    options.delimiter = delimiters[(choice >> 3) & 3];
    try {
        const typenet::Dataset d = typenet::load_csv(path, options);
        if (options.label_column) d.check("fuzz_csv");
    } catch (const typenet::error&) {
    }
    return 0;
}
