# Builds and runs tests/consumer/project against this build of typenet, in one of two ways:
#   MODE=install       cmake --install BUILD_DIR into WORK_DIR/prefix, then find_package(typenet)
#   MODE=subdirectory  add_subdirectory(SOURCE_DIR)
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

function(run)
  string(JOIN " " command_line ${ARGN})
  message(STATUS "+ ${command_line}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer test (${MODE}) failed at: ${ARGN}")
  endif()
endfunction()

# Start from nothing so a previous run's prefix or cache cannot hide a packaging bug.
file(REMOVE_RECURSE "${WORK_DIR}")
set(configure_args -S "${SOURCE_DIR}/tests/consumer/project" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_BUILD_TYPE=${CONFIG}")
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
run("${WORK_DIR}/build/app")
