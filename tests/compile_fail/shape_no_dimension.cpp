// expect: a shape needs at least one dimension
#include <typenet/typenet.hpp>

int main() {
    typenet::Shape<> shape;
    (void)shape;
}
