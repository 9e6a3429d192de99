#pragma once
// The only include of Catch2 in the project, so a version change touches one file.
#include <catch2/catch.hpp>
