# Runs one compile-fail case:
#   cmake -DCOMPILER=<c++> -DFLAGS_FILE=<flags.rsp> -DSOURCE=<case.cpp> -P run_case.cmake
# Passes only if the compiler rejects SOURCE, prints exactly one `error:` line, and its output matches
# every `// expect: <regex>` line of SOURCE (CMake regex syntax); with `// error-within: <n>` the
# `error:` line must also be among the first n lines of the output (the message, not a backtrace, first).
foreach(var COMPILER FLAGS_FILE SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_case.cmake: -D${var}=... is required")
  endif()
endforeach()

# Text is walked line by line with string(FIND) rather than CMake lists: compiler output is full of
# `;` and unbalanced `[`, which list operations would split or glue wrongly.
macro(_typenet_next_line text_var line_var)
  string(FIND "${${text_var}}" "\n" _eol)
  if(_eol EQUAL -1)
    set(${line_var} "${${text_var}}")
    set(${text_var} "")
  else()
    string(SUBSTRING "${${text_var}}" 0 ${_eol} ${line_var})
    math(EXPR _next "${_eol} + 1")
    string(SUBSTRING "${${text_var}}" ${_next} -1 ${text_var})
  endif()
endmacro()

file(READ "${SOURCE}" rest)
set(expectation_count 0)
set(first_line TRUE)
while(NOT rest STREQUAL "")
  _typenet_next_line(rest line)
  if(line MATCHES "^// expect: (.*)$")
    math(EXPR expectation_count "${expectation_count} + 1")
    set(expectation_${expectation_count} "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^// error-within: ([0-9]+)$")
    set(error_within ${CMAKE_MATCH_1})
  elseif(first_line)
    message(FATAL_ERROR "${SOURCE}: the first line must be `// expect: <regex>`")
  endif()
  set(first_line FALSE)
endwhile()
if(expectation_count EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: no `// expect: <regex>` line")
endif()

execute_process(COMMAND "${COMPILER}" "@${FLAGS_FILE}" "${SOURCE}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)

set(problems "")
if(result EQUAL 0)
  string(APPEND problems "  - it compiled; it must be rejected\n")
endif()

# clang's "1 error generated." has no colon, so counting `error:` counts diagnostics on both compilers.
set(rest "${output}")
set(error_lines 0)
set(line_number 0)
while(NOT rest STREQUAL "")
  _typenet_next_line(rest line)
  math(EXPR line_number "${line_number} + 1")
  if(line MATCHES "error:")
    math(EXPR error_lines "${error_lines} + 1")
    if(error_within AND line_number GREATER error_within)
      string(APPEND problems "  - the `error:` line is line ${line_number}; it must be within the first ${error_within}\n")
    endif()
  endif()
endwhile()
if(NOT error_lines EQUAL 1)
  string(APPEND problems "  - ${error_lines} lines contain `error:`; exactly 1 is required (one mistake, one error)\n")
endif()

foreach(i RANGE 1 ${expectation_count})
  if(NOT output MATCHES "${expectation_${i}}")
    string(APPEND problems "  - the output does not match `${expectation_${i}}`\n")
  endif()
endforeach()

if(NOT problems STREQUAL "")
  message("---- ${COMPILER} @${FLAGS_FILE} ${SOURCE}\n${output}----")
  message(FATAL_ERROR "compile-fail case ${SOURCE} with ${COMPILER}:\n${problems}")
endif()
message(STATUS "${SOURCE}: rejected with one error matching ${expectation_count} expectation(s) (${COMPILER})")
