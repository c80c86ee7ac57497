// CgroupsIsolator: its pool of ready cgroups (see cgroups_pool.hpp). Taking
// an entry costs one rename(2) per v1 hierarchy (~9 us each here) where
// making new cgroups cost a mkdir per hierarchy (17-53 us each) plus the
// fixed settings; recycling an ended container's cgroups costs two resets
// and a rename per hierarchy but memory, which gets a new cgroup, where
// removing them cost an rmdir each (21-48 us) (docs/benchmarks.md, "With
// cgroups isolation", round 2).
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/isolator.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

uint64_t ReadNumber(const std::string& path, absl::Status* status) {
  auto text = ReadCgroupFile(path);
  if (!text.ok()) {
    *status = text.status();
    return 0;
  }
  auto value = ParseCgroupValue(*text);
  if (!value.ok()) {
    *status = absl::FailedPreconditionError(absl::StrCat(path, ": ", value.status().message()));
    return 0;
  }
  return *value;
}

}  // namespace

bool CgroupsIsolator::TakeFromPool(const std::string& container_id) const {
  if (pool_ == nullptr) return false;
  std::optional<std::string> name = pool_->Take();
  if (!name) return false;
  if (absl::Status renamed = Rename(*name, container_id); !renamed.ok()) {
    // Whatever was renamed is taken as an existing cgroup (every limit
    // written); what was not is removed.
    LOG(WARNING) << "container_id=" << container_id << ": " << renamed;
    RemoveNamed(*name);
    return false;
  }
  return true;
}

absl::Status CgroupsIsolator::Rename(const std::string& from, const std::string& to) const {
  for (const std::string& base : V1Hierarchies(layout_)) {
    std::string source = base + "/" + from;
    std::string target = base + "/" + to;
    if (rename(source.c_str(), target.c_str()) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot rename cgroup ", source, " to ", to, ": ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

void CgroupsIsolator::RemoveNamed(const std::string& name) const {
  for (const std::string& base : V1Hierarchies(layout_)) rmdir((base + "/" + name).c_str());
}

bool CgroupsIsolator::FillPool() const {
  if (pool_ == nullptr || !pool_->HasRoom()) return false;
  std::string name = pool_->NewName();
  absl::Status made = absl::OkStatus();
  for (const std::string& base : V1Hierarchies(layout_)) {
    std::string dir = base + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0) {
      made = absl::FailedPreconditionError(
          absl::StrCat("cannot create cgroup ", dir, ": ", strerror(errno)));
      break;
    }
  }
  // The settings every container has; the rest stays at the defaults.
  if (made.ok() && options_.pids_max > 0)
    made = WriteCgroupFile(Dir("pids", name) + "/pids.max", std::to_string(options_.pids_max));
  if (made.ok() && options_.enable_cfs) {
    made = WriteCgroupFile(Dir("cpu", name) + "/cpu.cfs_period_us",
                           std::to_string(options_.cfs_period_us));
  }
  if (!made.ok()) {
    LOG(WARNING) << "Cannot fill the cgroup pool: " << made;
    RemoveNamed(name);
    return false;
  }
  pool_->Put(name);
  return true;
}

absl::Status CgroupsIsolator::Reset(const std::string& container_id) const {
  absl::Status read = absl::OkStatus();
  // pids.current counts a killed process until it is reaped.
  uint64_t pids = ReadNumber(Dir("pids", container_id) + "/pids.current", &read);
  if (!read.ok()) return read;
  if (pids != 0)
    return absl::UnavailableError(absl::StrCat("container ", container_id, " still has processes"));
  auto freezer = ReadCgroupFile(Dir("freezer", container_id) + "/freezer.state");
  if (!freezer.ok()) return freezer.status();
  if (freezer->rfind("THAWED", 0) != 0)
    return absl::FailedPreconditionError(absl::StrCat("its freezer is ", *freezer));
  std::vector<std::pair<std::string, std::string>> writes = {
      {Dir("cpuacct", container_id) + "/cpuacct.usage", "0"},
      {Dir("cpu", container_id) + "/cpu.shares", "1024"},
  };
  if (options_.enable_cfs) writes.push_back({Dir("cpu", container_id) + "/cpu.cfs_quota_us", "-1"});
  for (const auto& [path, value] : writes) {
    if (auto written = WriteCgroupFile(path, value); !written.ok()) return written;
  }
  return absl::OkStatus();
}

absl::Status CgroupsIsolator::Release(const std::string& container_id) const {
  if (pool_ == nullptr || !pool_->HasRoom()) return RemoveOnce(container_id);
  absl::Status recycled = Reset(container_id);
  if (absl::IsUnavailable(recycled)) return recycled;  // Tried again later.
  // The memory cgroup is never recycled: v1 cannot reset its OOM kill
  // count, and reclaiming what the task left charged to it
  // (memory.force_empty) cost 0.37 ms of CPU and 22 ms of wall time here,
  // more than its rmdir and a new mkdir. The other hierarchies are renamed
  // into the pool next to a new memory cgroup.
  std::string name = pool_->NewName();
  if (recycled.ok()) {
    std::string memory = Dir("memory", container_id);
    if (rmdir(memory.c_str()) != 0 && errno != ENOENT) {
      std::string message = absl::StrCat("cannot remove cgroup ", memory, ": ", strerror(errno));
      if (errno == EBUSY) return absl::UnavailableError(message);
      recycled = absl::FailedPreconditionError(message);
    }
  }
  if (recycled.ok()) {
    std::string memory = Dir("memory", name);
    if (mkdir(memory.c_str(), 0755) != 0)
      recycled = absl::FailedPreconditionError(
          absl::StrCat("cannot create cgroup ", memory, ": ", strerror(errno)));
  }
  if (recycled.ok()) {
    for (const std::string& base : V1Hierarchies(layout_)) {
      if (base == layout_.v1_bases.at("memory")) continue;
      std::string source = base + "/" + container_id;
      if (rename(source.c_str(), (base + "/" + name).c_str()) != 0) {
        recycled = absl::FailedPreconditionError(
            absl::StrCat("cannot rename cgroup ", source, " to ", name, ": ", strerror(errno)));
        break;
      }
    }
  }
  if (recycled.ok()) {
    pool_->Put(name);
    pool_->CountRecycled();
    return absl::OkStatus();
  }
  VLOG(1) << "container_id=" << container_id << " not recycled: " << recycled;
  RemoveNamed(name);  // What was already made or renamed.
  return RemoveOnce(container_id);
}

void CgroupsIsolator::EmptyPool() const {
  if (pool_ != nullptr) pool_->TakeAll();
  // Every entry on disk, the ready ones and any a killed agent left.
  for (const std::string& base : V1Hierarchies(layout_)) {
    std::vector<std::string> entries;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(base, error)) {
      if (CgroupsPool::IsEntryName(entry.path().filename())) entries.push_back(entry.path());
    }
    for (const std::string& entry : entries) {
      if (rmdir(entry.c_str()) != 0 && errno != ENOENT)
        LOG(WARNING) << "cannot remove cgroup pool entry " << entry << ": " << strerror(errno);
    }
  }
}

}  // namespace agora::agent
