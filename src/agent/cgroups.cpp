#include "agent/cgroups.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace agora::agent {

const char* const kV1Controllers[5] = {"cpu", "cpuacct", "memory", "pids", "freezer"};

namespace {

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// `base` + `path` + "/" + `subdir` with no doubled or trailing slashes.
std::string Join(const std::string& base, const std::string& path, const std::string& subdir) {
  std::string result = base;
  for (const std::string& part : {path, subdir}) {
    absl::string_view trimmed = absl::StripSuffix(absl::StripPrefix(part, "/"), "/");
    if (!trimmed.empty()) absl::StrAppend(&result, "/", trimmed);
  }
  return result;
}

}  // namespace

std::map<std::string, std::string> ParseProcCgroup(const std::string& text) {
  std::map<std::string, std::string> result;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3) continue;
    if (fields[0] == "0" && fields[1].empty()) {
      result[""] = fields[2];
      continue;
    }
    for (absl::string_view controller : absl::StrSplit(fields[1], ',', absl::SkipEmpty()))
      result[std::string(controller)] = fields[2];
  }
  return result;
}

absl::StatusOr<CgroupsLayout> DetectCgroups(const std::string& mount_root,
                                            const std::string& proc_self_cgroup,
                                            const std::string& subdir) {
  std::map<std::string, std::string> own = ParseProcCgroup(proc_self_cgroup);
  std::string v2_root =
      Exists(mount_root + "/cgroup.controllers") ? mount_root : mount_root + "/unified";
  std::string v2_problem;
  if (auto controllers = ReadCgroupFile(v2_root + "/cgroup.controllers"); controllers.ok()) {
    std::vector<std::string> names =
        absl::StrSplit(*controllers, absl::ByAnyChar(" \n"), absl::SkipEmpty());
    std::vector<std::string> missing;
    for (const char* want : {"cpu", "memory", "pids"}) {
      if (std::find(names.begin(), names.end(), want) == names.end()) missing.push_back(want);
    }
    if (missing.empty()) {
      CgroupsLayout layout;
      layout.version = CgroupsVersion::kV2;
      layout.v2_base = Join(v2_root, own.count("") ? own[""] : "", subdir);
      return layout;
    }
    v2_problem = absl::StrCat("cgroup2 at ", v2_root, " lacks controllers ",
                              absl::StrJoin(missing, ","), "; ");
  }
  CgroupsLayout layout;
  layout.version = CgroupsVersion::kV1;
  for (const char* controller : kV1Controllers) {
    std::string mount = absl::StrCat(mount_root, "/", controller);
    if (!Exists(mount + "/cgroup.procs")) {
      return absl::FailedPreconditionError(
          absl::StrCat(v2_problem, "no cgroup v1 '", controller, "' hierarchy at ", mount));
    }
    // Co-mounted controllers (cpu and cpuacct as symlinks to
    // "cpu,cpuacct") resolve to one hierarchy: one directory per container.
    char resolved[PATH_MAX];
    if (realpath(mount.c_str(), resolved) != nullptr) mount = resolved;
    auto path = own.find(controller);
    layout.v1_bases[controller] = Join(mount, path != own.end() ? path->second : "", subdir);
  }
  return layout;
}

std::vector<std::string> ContainerCgroupDirs(const CgroupsLayout& layout,
                                             const std::string& container_id) {
  if (layout.version == CgroupsVersion::kV2) return {layout.v2_base + "/" + container_id};
  std::vector<std::string> dirs;
  for (const std::string& base : V1Hierarchies(layout)) dirs.push_back(base + "/" + container_id);
  return dirs;
}

std::vector<std::string> V1Hierarchies(const CgroupsLayout& layout) {
  std::vector<std::string> bases;
  for (const char* controller : kV1Controllers) {
    auto base = layout.v1_bases.find(controller);
    if (base == layout.v1_bases.end()) continue;
    if (std::find(bases.begin(), bases.end(), base->second) == bases.end())
      bases.push_back(base->second);
  }
  return bases;
}

uint64_t CpuShares(double cpus) {
  double shares = std::llround(std::max(0.0, cpus) * 1024.0);
  return std::max<uint64_t>(2, static_cast<uint64_t>(shares));
}

uint64_t CpuWeight(double cpus) {
  // The kernel's own shares -> weight mapping (cgroup v1 compatibility):
  // 2 -> 1, 1024 -> 39, 262144 -> 10000.
  uint64_t shares = std::min<uint64_t>(CpuShares(cpus), 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

int64_t CfsQuotaUs(double cpus, int64_t period_us) {
  return std::max<int64_t>(1000, std::llround(std::max(0.0, cpus) * period_us));
}

uint64_t MemoryLimitBytes(double mem_mib) {
  return static_cast<uint64_t>(std::llround(std::max(0.0, mem_mib) * 1024.0 * 1024.0));
}

std::map<std::string, uint64_t> ParseFlatKeyed(const std::string& text) {
  std::map<std::string, uint64_t> result;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t value = 0;
    if (fields.size() == 2 && absl::SimpleAtoi(fields[1], &value))
      result[std::string(fields[0])] = value;
  }
  return result;
}

absl::StatusOr<uint64_t> ParseCgroupValue(const std::string& text) {
  absl::string_view value = absl::StripAsciiWhitespace(text);
  if (value == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t number = 0;
  if (!absl::SimpleAtoi(value, &number))
    return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not a number"));
  return number;
}

std::vector<int> ParsePids(const std::string& text) {
  std::vector<int> pids;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(line, &pid) && pid > 0) pids.push_back(pid);
  }
  return pids;
}

absl::StatusOr<std::string> ReadCgroupFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status WriteCgroupFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  }
  ssize_t written = write(fd, value.data(), value.size());
  int error = errno;
  close(fd);
  if (written != static_cast<ssize_t>(value.size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write '", value, "' to ", path, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace agora::agent
