#pragma once
/// \file The only header of typenet that defines macros.

#define TYPENET_VERSION_MAJOR 0
#define TYPENET_VERSION_MINOR 1
#define TYPENET_VERSION_PATCH 0

// Define TYPENET_NO_CHECKS to drop the run-time argument checks of the hot path (sizes, labels).
#if defined(TYPENET_NO_CHECKS)
#define TYPENET_CHECKS_ENABLED 0
#else
#define TYPENET_CHECKS_ENABLED 1
#endif
