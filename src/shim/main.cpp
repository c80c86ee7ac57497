// agora-shim: starts one task's command, waits for it and records its exit
// status in the sandbox. See shim.hpp and shim_status.hpp.
#include <cstdio>
#include <string>

#include "shim/shim.hpp"
#include "shim/shim_options.hpp"

int main(int argc, char** argv) {
  agora::shim::ShimOptions options;
  std::string error;
  if (!agora::shim::ParseShimArgs(argc, argv, &options, &error)) {
    std::fprintf(stderr, "agora-shim: %s\n%s", error.c_str(), agora::shim::kShimUsage);
    return agora::shim::kShimUsageError;
  }
  return agora::shim::RunShim(options);
}
