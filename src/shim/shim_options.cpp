#include "shim/shim_options.hpp"

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace agora::shim {
namespace {

// A whole decimal number in [0, max]; false otherwise.
bool ParseNumber(const std::string& text, unsigned long long max, unsigned long long* value) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long parsed = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || parsed > max) return false;
  *value = parsed;
  return true;
}

// Parses --uid, --gid, --groups values (ids below 2^32 - 1).
bool ParseId(const std::string& flag, const std::string& text, uint32_t* id, std::string* error) {
  unsigned long long value = 0;
  if (!ParseNumber(text, 0xfffffffeull, &value)) {
    *error = "--" + flag + ": '" + text + "' is not a numeric id";
    return false;
  }
  *id = static_cast<uint32_t>(value);
  return true;
}

}  // namespace

const char kShimUsage[] =
    "usage: agora-shim --sandbox=DIR --command=CMD [--env=NAME=VALUE]...\n"
    "                  [--stdout=PATH] [--stderr=PATH] [--status=PATH] [--shell=PATH]\n"
    "                  [--ready_fd=N] [--cgroup=DIR]...\n"
    "                  [--log_max_size=BYTES] [--log_max_files=N]\n"
    "                  [--uid=N --gid=N [--groups=N,N,...]]\n"
    "Runs `SHELL -c CMD` in DIR (in its own process group, in the shim's session),\n"
    "waits for it and records its\n"
    "start and exit in the status file (default DIR/.agora-status).\n";

bool ParseShimArgs(int argc, const char* const* argv, ShimOptions* options, std::string* error) {
  ShimOptions parsed;
  bool have_command = false;
  bool have_uid = false;
  bool have_gid = false;
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
    } else if (name == "log_max_size") {
      unsigned long long size = 0;
      if (!ParseNumber(value, 1ull << 62, &size)) {
        *error = "--log_max_size: '" + value + "' is not a number of bytes";
        return false;
      }
      parsed.log_max_size = size;
    } else if (name == "log_max_files") {
      unsigned long long files = 0;
      if (!ParseNumber(value, 1000, &files) || files < 1) {
        *error = "--log_max_files: '" + value + "' is not a number in [1, 1000]";
        return false;
      }
      parsed.log_max_files = static_cast<int>(files);
    } else if (name == "uid") {
      uint32_t id = 0;
      if (!ParseId("uid", value, &id, error)) return false;
      parsed.uid = id;
      have_uid = true;
    } else if (name == "gid") {
      uint32_t id = 0;
      if (!ParseId("gid", value, &id, error)) return false;
      parsed.gid = id;
      have_gid = true;
    } else if (name == "groups") {
      parsed.groups.clear();
      size_t start = 0;
      while (!value.empty() && start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        uint32_t id = 0;
        if (!ParseId("groups", value.substr(start, comma - start), &id, error)) return false;
        parsed.groups.push_back(id);
        start = comma + 1;
      }
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
  if (have_uid != have_gid) {
    *error = "--uid and --gid must be given together";
    return false;
  }
  parsed.switch_user = have_uid;
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
