#pragma once
#include <cstddef>

namespace typenet {

/// The class a row of network outputs predicts: the index of the largest output (the first on a
/// tie), or for a single output read as a logit, 1 if it is > 0 else 0.
template <class T>
std::size_t predicted_class(const T* row, std::size_t outputs) {
    if (outputs == 1) return row[0] > T(0) ? 1 : 0;
    std::size_t best = 0;
    for (std::size_t c = 1; c < outputs; ++c)
        if (row[c] > row[best]) best = c;
    return best;
}

}  // namespace typenet
