#include "shim/shim_options.hpp"

#include <cstdlib>
#include <string_view>

namespace agora::shim {

const char kShimUsage[] =
    "usage: agora-shim --sandbox=DIR --command=CMD [--env=NAME=VALUE]...\n"
    "                  [--stdout=PATH] [--stderr=PATH] [--status=PATH] [--shell=PATH]\n"
    "                  [--ready_fd=N] [--cgroup=DIR]...\n"
    "Runs `SHELL -c CMD` in DIR (in its own process group, in the shim's session),\n"
    "waits for it and records its\n"
    "start and exit in the status file (default DIR/.agora-status).\n";

bool ParseShimArgs(int argc, const char* const* argv, ShimOptions* options, std::string* error) {
  ShimOptions parsed;
  bool have_command = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    size_t equals = arg.find('=');
    if (arg.substr(0, 2) != "--" || equals == std::string_view::npos) {
      *error = "argument " + std::to_string(i) + " '" + std::string(arg) + "': want --flag=value";
      return false;
    }
    std::string_view name = arg.substr(2, equals - 2);
    std::string value(arg.substr(equals + 1));
    if (name == "sandbox") {
      parsed.sandbox = value;
    } else if (name == "command") {
      parsed.command = value;
      have_command = true;
    } else if (name == "env") {
      size_t name_end = value.find('=');
      if (name_end == 0 || name_end == std::string::npos) {
        *error = "--env '" + value + "': want NAME=VALUE";
        return false;
      }
      parsed.env.push_back(value);
    } else if (name == "stdout") {
      parsed.stdout_path = value;
    } else if (name == "stderr") {
      parsed.stderr_path = value;
    } else if (name == "status") {
      parsed.status_path = value;
    } else if (name == "shell") {
      parsed.shell = value;
    } else if (name == "cgroup") {
      if (value.empty()) {
        *error = "--cgroup must not be empty";
        return false;
      }
      parsed.cgroups.push_back(value);
    } else if (name == "ready_fd") {
      char* end = nullptr;
      long fd = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || fd < 3 || fd > 1000000) {
        *error = "--ready_fd: '" + value + "' is not a descriptor number >= 3";
        return false;
      }
      parsed.ready_fd = static_cast<int>(fd);
    } else {
      *error = "unknown flag --" + std::string(name);
      return false;
    }
  }
  if (parsed.sandbox.empty()) {
    *error = "--sandbox is required";
    return false;
  }
  if (!have_command) {
    *error = "--command is required";
    return false;
  }
  if (parsed.shell.empty()) {
    *error = "--shell must not be empty";
    return false;
  }
  if (parsed.stdout_path.empty()) parsed.stdout_path = parsed.sandbox + "/stdout";
  if (parsed.stderr_path.empty()) parsed.stderr_path = parsed.sandbox + "/stderr";
  if (parsed.status_path.empty()) parsed.status_path = parsed.sandbox + "/.agora-status";
  *options = std::move(parsed);
  return true;
}

}  // namespace agora::shim
