# Build options shared by every target: build type, warnings, sanitizers.

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  # Benchmarks and the local cluster are judged on an optimized build.
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

option(AGORA_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(AGORA_TSAN "Build with ThreadSanitizer (the cluster tier runs under it in CI)" OFF)
option(AGORA_BUILD_BENCHMARKS "Build the benchmark programs in bench/" ON)
option(AGORA_WERROR "Treat compiler warnings as errors" OFF)
option(AGORA_FUZZ "Build request_fuzz as a libFuzzer target with ASan (clang only)" OFF)

add_compile_options(-Wall -Wextra -Wno-unused-parameter)
if(AGORA_WERROR)
  add_compile_options(-Werror)
endif()

if(AGORA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(AGORA_TSAN)
  if(AGORA_SANITIZE)
    message(FATAL_ERROR "AGORA_TSAN and AGORA_SANITIZE cannot be combined")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

if(AGORA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "AGORA_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(AGORA_SANITIZE OR AGORA_TSAN)
    message(FATAL_ERROR "AGORA_FUZZ brings its own AddressSanitizer; drop AGORA_SANITIZE/TSAN")
  endif()
  # Coverage feedback for every library; tests/fuzz links libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address)
endif()

# Helper: adds a GoogleTest executable registered with CTest under a label.
#   agora_add_test(NAME name LABEL unit|cluster|system SOURCES ... LIBS ...
#                  [TIMEOUT seconds])
function(agora_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # One CTest entry per executable keeps start-up cost low; gtest prints the
  # individual cases.
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} --gtest_brief=1)
  set_tests_properties(${T_NAME} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "AGORA_BUILD_DIR=${CMAKE_BINARY_DIR}")
  # `ninja <label>_tests` builds just one tier (the sanitizer run uses it).
  if(NOT TARGET ${T_LABEL}_tests)
    add_custom_target(${T_LABEL}_tests)
  endif()
  add_dependencies(${T_LABEL}_tests ${T_NAME})
endfunction()

# The daemons' allocator. glibc's malloc doubled the master's CPU per task
# under load (messages allocated on one thread and freed on another;
# docs/benchmarks.md "Fleet scale"), so the daemons and the load generators
# link jemalloc. Sanitizer builds keep their own allocator.
set(AGORA_MALLOC "jemalloc" CACHE STRING "Allocator of the daemons: jemalloc or system")
set_property(CACHE AGORA_MALLOC PROPERTY STRINGS jemalloc system)
if(NOT AGORA_MALLOC MATCHES "^(jemalloc|system)$")
  message(FATAL_ERROR "AGORA_MALLOC must be jemalloc or system, got '${AGORA_MALLOC}'")
endif()
