// expect: check_dropblock_block_fits_feature_map
// expect: layer_index<2>
// expect: DropBlock<
// expect: receives<typenet::Shape<4, 3, 3> ?>
// expect: block<5>
// expect: the block side B must be between 1 and the feature map's height
// After MaxPool2D<2> the map is 3x3: a 5x5 block does not fit.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<4, 6, 6>, typenet::MaxPool2D<2>, typenet::DropBlock<0.1, 5>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
