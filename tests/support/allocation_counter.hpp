#pragma once
/// \file Counts calls of the global operator new, to prove that hot paths do not allocate. The one
/// replacement of the global allocation functions for the whole test program is in
/// allocation_counter.cpp (a program may replace them only once).
#include <cstddef>

namespace typenet::testing {

/// Starts counting allocations (from zero).
void start_counting_allocations();
/// Stops counting; returns the number of operator new calls since start_counting_allocations().
std::size_t stop_counting_allocations();

/// Counts the allocations made while `f` runs.
template <class F>
std::size_t allocations_during(F&& f) {
    start_counting_allocations();
    f();
    return stop_counting_allocations();
}

}  // namespace typenet::testing
