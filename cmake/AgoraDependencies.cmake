# Every external dependency is found here, once. Facts behind each choice are
# in ../shared/TOOLCHAIN-NOTES.md and docs/development.md.

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

# protobuf 3.21 on Debian ships no CMake config: module mode.
find_package(Protobuf REQUIRED)

# gRPC 1.51 ships gRPCConfig.cmake (needs protobuf-compiler-grpc installed).
find_package(gRPC CONFIG REQUIRED)
find_program(AGORA_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# Boost.Asio and Beast are header-only in 1.74.
find_package(Boost 1.74 REQUIRED)

find_package(glog REQUIRED)
find_package(gflags REQUIRED)
find_package(GTest REQUIRED)

if(AGORA_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# The ZooKeeper C client has neither a CMake config nor a .pc file. THREADED
# selects the multi-threaded API (without it the synchronous calls are not
# declared).
find_path(ZOOKEEPER_INCLUDE_DIR zookeeper/zookeeper.h REQUIRED)
find_library(ZOOKEEPER_MT_LIBRARY zookeeper_mt REQUIRED)
if(NOT TARGET ZooKeeper::zookeeper_mt)
  add_library(ZooKeeper::zookeeper_mt UNKNOWN IMPORTED)
  set_target_properties(ZooKeeper::zookeeper_mt PROPERTIES
    IMPORTED_LOCATION "${ZOOKEEPER_MT_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ZOOKEEPER_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS THREADED
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

# agora::malloc: what the daemons link for their allocator (AGORA_MALLOC).
# Linked without --as-needed: nothing names jemalloc, it replaces malloc.
add_library(agora_malloc INTERFACE)
add_library(agora::malloc ALIAS agora_malloc)
if(AGORA_MALLOC STREQUAL "jemalloc" AND (AGORA_SANITIZE OR AGORA_TSAN OR AGORA_FUZZ))
  message(STATUS "Allocator: the sanitizer's (AGORA_MALLOC=jemalloc ignored under sanitizers)")
elseif(AGORA_MALLOC STREQUAL "jemalloc")
  find_library(JEMALLOC_LIBRARY NAMES jemalloc)
  if(JEMALLOC_LIBRARY)
    message(STATUS "Allocator: jemalloc (${JEMALLOC_LIBRARY})")
    target_link_libraries(agora_malloc INTERFACE
      "-Wl,--push-state,--no-as-needed" "${JEMALLOC_LIBRARY}" "-Wl,--pop-state")
  else()
    message(WARNING "jemalloc not found (scripts/install-deps installs libjemalloc-dev): the "
                    "daemons use glibc's malloc, which costs the master about twice the CPU "
                    "per task under load. -DAGORA_MALLOC=system silences this.")
  endif()
else()
  message(STATUS "Allocator: glibc malloc (AGORA_MALLOC=system)")
endif()
