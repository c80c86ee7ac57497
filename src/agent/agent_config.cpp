#include "agent/agent_config.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/checkpoint.hpp"
#include "common/master_detector.hpp"
#include "common/validation.hpp"

namespace agora::agent {
namespace {

absl::Status FlagError(absl::string_view flag, absl::string_view reason) {
  return InvalidField(absl::StrCat("--", flag), reason);
}

absl::StatusOr<v1::Ranges> ParseRanges(absl::string_view text, absl::string_view field) {
  v1::Ranges ranges;
  absl::string_view inner = text.substr(1, text.size() - 2);
  for (absl::string_view part : absl::StrSplit(inner, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> bounds = absl::StrSplit(part, '-');
    uint64_t begin = 0, end = 0;
    if (bounds.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(bounds[0]), &begin) ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(bounds[1]), &end) || begin > end) {
      return InvalidField(field, absl::StrCat("'", part, "' is not a range a-b with a <= b"));
    }
    auto* range = ranges.add_range();
    range->set_begin(begin);
    range->set_end(end);
  }
  return ranges;
}

// Resources::Parse drops zero scalars, which would then be silently
// replaced by the detected amount: a zero (or negative) quantity is a
// mistake worth naming.
absl::Status CheckPositiveScalars(absl::string_view text) {
  for (absl::string_view entry : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    size_t colon = entry.rfind(':');
    if (colon == absl::string_view::npos) continue;
    double value = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(entry.substr(colon + 1)), &value)) continue;
    if (!(value > 0)) {
      return FlagError(
          "resources",
          absl::StrCat("'", entry, "': ", absl::StripAsciiWhitespace(entry.substr(0, colon)),
                       " must be positive (omit it to offer the detected amount)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AgentOptions::Validate() const {
  if (master.empty())
    return FlagError("master",
                     "must be set (host:port, host:port,host:port or zk://host:port/path)");
  if (auto status = MasterDetector::Validate("--master", master); !status.ok()) return status;
  if (work_dir.empty()) return FlagError("work_dir", "must be set");
  if (work_dir[0] != '/')
    return FlagError("work_dir", absl::StrCat("'", work_dir, "' must be an absolute path"));
  if (port < 0 || port > 65535) return FlagError("port", "must be in [0, 65535]");
  if (ip.empty()) return FlagError("ip", "must be set");
  if (http_port < -1 || http_port > 65535)
    return FlagError("http_port", "must be in [0, 65535], or -1 to disable HTTP");
  if (!resources.empty()) {
    if (auto parsed = Resources::Parse(resources); !parsed.ok())
      return FlagError("resources", parsed.status().message());
    if (auto status = CheckPositiveScalars(resources); !status.ok()) return status;
  }
  if (auto parsed = ParseAttributes(attributes); !parsed.ok())
    return FlagError("attributes", parsed.status().message());
  if (!executor_path.empty() && ::access(executor_path.c_str(), X_OK) != 0)
    return FlagError("executor_path", absl::StrCat(executor_path, " is not an executable file"));
  if (!shim_path.empty() && ::access(shim_path.c_str(), X_OK) != 0)
    return FlagError("shim_path", absl::StrCat(shim_path, " is not an executable file"));
  if (executor_registration_timeout <= absl::ZeroDuration())
    return FlagError("executor_registration_timeout", "must be positive");
  if (max_concurrent_launches < 1)
    return FlagError("max_concurrent_launches",
                     absl::StrCat(max_concurrent_launches, " is not at least 1"));
  if (max_queued_launches < 0)
    return FlagError("max_queued_launches",
                     absl::StrCat(max_queued_launches, " must not be negative"));
  if (cgroups_pids_max < 0)
    return FlagError("cgroups_pids_max", absl::StrCat(cgroups_pids_max, " must not be negative"));
  if (cgroups_pool_size < 0 || cgroups_pool_size > 4096)
    return FlagError("cgroups_pool_size",
                     absl::StrCat(cgroups_pool_size, " is not between 0 and 4096"));
  if (container_log_max_size < 0)
    return FlagError("container_log_max_size",
                     absl::StrCat(container_log_max_size, " must not be negative"));
  if (container_log_max_files < 1 || container_log_max_files > 1000)
    return FlagError("container_log_max_files",
                     absl::StrCat(container_log_max_files, " is not in [1, 1000]"));
  if (executor_shutdown_grace_period < absl::ZeroDuration())
    return FlagError("executor_shutdown_grace_period", "must not be negative");
  if (registration_backoff_min <= absl::ZeroDuration() ||
      registration_backoff_max < registration_backoff_min)
    return FlagError("registration_backoff", "need 0 < min <= max");
  if (status_update_retry_min <= absl::ZeroDuration())
    return FlagError("status_update_retry_min", "must be positive");
  if (status_update_retry_max < status_update_retry_min)
    return FlagError("status_update_retry_max", "must be at least --status_update_retry_min");
  if (checkpoint_retry_interval <= absl::ZeroDuration())
    return FlagError("checkpoint_retry_interval", "must be positive");
  if (heartbeat_interval <= absl::ZeroDuration())
    return FlagError("heartbeat_interval", "must be positive");
  if (gc_delay < absl::ZeroDuration()) return FlagError("gc_delay", "must not be negative");
  if (!(gc_disk_headroom >= 0 && gc_disk_headroom <= 1))
    return FlagError("gc_disk_headroom",
                     absl::StrCat(gc_disk_headroom, " is not a fraction in [0, 1]"));
  if (disk_watch_interval <= absl::ZeroDuration())
    return FlagError("disk_watch_interval", "must be positive");
  if (gc_min_age < absl::ZeroDuration()) return FlagError("gc_min_age", "must not be negative");
  return absl::OkStatus();
}

absl::StatusOr<Attributes> ParseAttributes(absl::string_view text) {
  Attributes attributes;
  std::set<std::string> names;
  for (absl::string_view entry : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    size_t colon = entry.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return InvalidField(absl::StrCat("'", entry, "'"), "expected name:value");
    }
    std::string name(absl::StripAsciiWhitespace(entry.substr(0, colon)));
    absl::string_view value = absl::StripAsciiWhitespace(entry.substr(colon + 1));
    std::string field = absl::StrCat("attribute ", name);
    if (value.empty()) return InvalidField(field, "empty value");
    if (!names.insert(name).second) return InvalidField(field, "given twice");
    v1::Attribute attribute;
    attribute.set_name(name);
    double scalar = 0;
    if (value.front() == '[' && value.back() == ']') {
      auto ranges = ParseRanges(value, field);
      if (!ranges.ok()) return ranges.status();
      *attribute.mutable_ranges() = *ranges;
    } else if (value.front() == '{' && value.back() == '}') {
      for (absl::string_view item :
           absl::StrSplit(value.substr(1, value.size() - 2), ',', absl::SkipWhitespace()))
        attribute.mutable_set()->add_item(std::string(absl::StripAsciiWhitespace(item)));
    } else if (absl::SimpleAtod(value, &scalar) && std::isfinite(scalar)) {
      attribute.set_scalar(scalar);
    } else {
      attribute.set_text(std::string(value));
    }
    *attributes.Add() = std::move(attribute);
  }
  return attributes;
}

MachineResources DetectMachine(const std::string& work_dir) {
  MachineResources machine;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  machine.cpus = cpus > 0 ? static_cast<double>(cpus) : 1.0;
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0)
    machine.mem_mib = static_cast<double>(pages) * static_cast<double>(page_size) / (1 << 20);
  struct statvfs fs;
  std::string dir = work_dir;
  // work_dir may not exist yet: measure the nearest existing ancestor.
  while (!dir.empty() && ::statvfs(dir.c_str(), &fs) != 0) {
    size_t slash = dir.rfind('/');
    dir = slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
    if (dir == "/") {
      if (::statvfs("/", &fs) != 0) fs.f_blocks = 0;
      break;
    }
  }
  machine.disk_mib =
      static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize) / (1 << 20);
  return machine;
}

Resources DefaultResources(const MachineResources& machine) {
  double mem_reserve = machine.mem_mib < 2048 ? machine.mem_mib / 2 : 1024;
  double disk_reserve = machine.disk_mib < 10240 ? machine.disk_mib / 2 : 5120;
  Resources resources = Resources::FromScalar(Resources::kCpus, machine.cpus);
  resources += Resources::FromScalar(Resources::kMem,
                                     std::floor(std::max(0.0, machine.mem_mib - mem_reserve)));
  resources += Resources::FromScalar(Resources::kDisk,
                                     std::floor(std::max(0.0, machine.disk_mib - disk_reserve)));
  resources += Resources::FromRanges(Resources::kPorts, {ValueRange{31000, 32000}});
  return resources;
}

absl::StatusOr<Resources> AgentResources(absl::string_view flag, const MachineResources& machine) {
  auto parsed = Resources::Parse(flag);
  if (!parsed.ok()) return FlagError("resources", parsed.status().message());
  std::set<std::string> given;
  for (const ResourceEntry& entry : *parsed) given.insert(entry.name);
  Resources total = *parsed;
  for (const ResourceEntry& entry : DefaultResources(machine)) {
    if (given.count(entry.name) == 0) total.Add(entry);
  }
  return total;
}

int DefaultMaxConcurrentLaunches() {
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<int>(std::max(2L, 2 * cpus));
}

std::string BinaryBesideSelf(const std::string& name) {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return name;
  std::string self(buffer, static_cast<size_t>(n));
  size_t slash = self.rfind('/');
  return self.substr(0, slash + 1) + name;
}

}  // namespace agora::agent
