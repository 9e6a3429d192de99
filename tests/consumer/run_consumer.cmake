# Builds and runs tests/consumer/project against this build of typenet, in one of two ways:
#   MODE=install       cmake --install BUILD_DIR into WORK_DIR/prefix, then find_package(typenet)
#   MODE=subdirectory  add_subdirectory(SOURCE_DIR)
# NATIVE=OFF configures the consumer with -DTYPENET_NATIVE=OFF (the opt-out); either way app must report
# the SIMD instruction set of arch_probe, compiled with -march=native (NATIVE=ON, the default) or without.
# cmake -DMODE=... -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DGENERATOR=... -DCONFIG=...
#       -P run_consumer.cmake
foreach(var MODE BUILD_DIR SOURCE_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()
if(NOT DEFINED NATIVE)
  set(NATIVE ON)
endif()

# run(<command...>): runs it, fails the test unless it exits 0; its standard output is echoed and left in
# run_output.
function(run)
  string(JOIN " " command_line ${ARGN})
  message(STATUS "+ ${command_line}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output)
  message("${output}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer test (${MODE}) failed at: ${ARGN}")
  endif()
  set(run_output "${output}" PARENT_SCOPE)
endfunction()

# Start from nothing so a previous run's prefix or cache cannot hide a packaging bug.
file(REMOVE_RECURSE "${WORK_DIR}")
set(configure_args -S "${SOURCE_DIR}/tests/consumer/project" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_BUILD_TYPE=${CONFIG}" "-DEXPECT_NATIVE=${NATIVE}")
if(NOT NATIVE)
  list(APPEND configure_args -DTYPENET_NATIVE=OFF)  # ON must be the default: it is not passed
endif()
if(MODE STREQUAL "install")
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix" --config "${CONFIG}")
  # Only the fresh prefix is searched for typenet: a typenet installed elsewhere must not satisfy it.
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
elseif(MODE STREQUAL "subdirectory")
  list(APPEND configure_args "-DTYPENET_SOURCE_DIR=${SOURCE_DIR}")
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
run("${CMAKE_COMMAND}" ${configure_args})
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build" --config "${CONFIG}")
run("${WORK_DIR}/build/arch_probe")
string(STRIP "${run_output}" expected)
run("${WORK_DIR}/build/app")
string(FIND "${run_output}" "SIMD: ${expected}\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR "consumer test (${MODE}, NATIVE=${NATIVE}): app should use the SIMD instruction set "
                      "'${expected}' (arch_probe's), it prints:\n${run_output}")
endif()
