#pragma once
#include <stdexcept>
#include <string>

namespace typenet {

/// Base of every exception typenet throws: the message says what went wrong, where, and how to fix it.
class error : public std::runtime_error {
public:
    explicit error(const std::string& message) : std::runtime_error("typenet: " + message) {}
};

/// A tensor, batch or label set whose size does not match what the network expects.
class shape_error : public error {
public:
    using error::error;
};

}  // namespace typenet
