#pragma once
#include <cstddef>

namespace typenet {

/// The compile-time geometry of a 2-D convolution or pooling window over a channels-last input
/// (H·W pixels of C channels): kernel K×K, stride S, padding P, dilation D, and the output size by
/// PyTorch's arithmetic, floor((H + 2P − D·(K−1) − 1)/S) + 1.
template <std::size_t C, std::size_t H, std::size_t W, std::size_t K, std::size_t S, std::size_t P, std::size_t D = 1>
struct ConvGeometry {
    static constexpr std::size_t channels = C, height = H, width = W, kernel = K, stride = S, padding = P,
                                 dilation = D;
    /// The extent of one (dilated) window.
    static constexpr std::size_t span = D * (K - 1) + 1;
    /// Whether at least one window fits in the padded input.
    static constexpr bool fits = S > 0 && K > 0 && D > 0 && span <= H + 2 * P && span <= W + 2 * P;
    static constexpr std::size_t out_height = fits ? (H + 2 * P - span) / S + 1 : 0;
    static constexpr std::size_t out_width = fits ? (W + 2 * P - span) / S + 1 : 0;
    static constexpr std::size_t out_pixels = out_height * out_width;
    static constexpr std::size_t in_pixels = H * W;
    /// Length of one patch: K·K taps of C channels, in the order (ky, kx, c).
    static constexpr std::size_t patch = K * K * C;

    /// Calls f(tap, input pixel or -1 when the tap falls in the padding) for the K·K taps of the window
    /// of output pixel `out` (row-major over the output), taps in (ky, kx) order.
    template <class F>
    static void for_each_tap(std::size_t out, F&& f) {
        const std::ptrdiff_t oy = static_cast<std::ptrdiff_t>(out / out_width);
        const std::ptrdiff_t ox = static_cast<std::ptrdiff_t>(out % out_width);
        for (std::size_t ky = 0; ky < K; ++ky) {
            const std::ptrdiff_t iy = oy * std::ptrdiff_t(S) - std::ptrdiff_t(P) + std::ptrdiff_t(ky * D);
            const bool row_inside = iy >= 0 && iy < std::ptrdiff_t(H);
            for (std::size_t kx = 0; kx < K; ++kx) {
                const std::ptrdiff_t ix = ox * std::ptrdiff_t(S) - std::ptrdiff_t(P) + std::ptrdiff_t(kx * D);
                const bool inside = row_inside && ix >= 0 && ix < std::ptrdiff_t(W);
                f(ky * K + kx, inside ? iy * std::ptrdiff_t(W) + ix : std::ptrdiff_t(-1));
            }
        }
    }
};

}  // namespace typenet
