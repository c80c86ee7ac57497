#include "tests/support/promtool.hpp"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"

namespace agora::testing {

std::string Promtool() {
  for (const char* path : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string HttpBody(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

CommandResult CheckMetrics(const std::string& promtool, const std::string& dir,
                           const std::string& name, const std::string& exposition) {
  std::string path = absl::StrCat(dir, "/", name, ".prom");
  std::ofstream(path) << exposition;
  auto result =
      RunCommand({"/bin/sh", "-c", absl::StrCat(promtool, " check metrics < ", path, " 2>&1")},
                 absl::Seconds(60));
  return result.ok() ? *result : CommandResult{-1, std::string(result.status().message())};
}

}  // namespace agora::testing
