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
