// AgentImpl: garbage collection of finished sandboxes.
//
// A sandbox is one run of an executor (sandbox_dirs.hpp). It is finished
// once the agent forgets its executor: the executor ended and every one of
// its tasks is terminal and acknowledged (the last task's checkpoint
// removal then writes `<sandbox>/.agora-finished` with the time, see
// MaybeForgetTask). A new run of the same executor id has its own
// directory: the old run is still collected. The loop keeps the finished
// sandboxes it knows, by path, in `gc_finished_`; at start-up a scan of work_dir/sandboxes (off the
// loop) adds those finished before the restart, and marks the unmarked ones the agent does not know
// as finished now. A timer runs the policy (sandbox_gc.hpp) when the oldest becomes due and every
// --disk_watch_interval (measuring the disk off the loop first); removals
// run on the executor's I/O key, in order with a new launch of the same
// executor id, and re-check the marker there. A sandbox whose executor or
// any task the agent tracks -- including ones recovered after a restart and
// not yet reconciled -- is never given to the policy.
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "agent/sandbox_dirs.hpp"
#include "glog/logging.h"

namespace agora::agent {

std::set<std::string> AgentImpl::SandboxesInUse() const {
  // O(executors + tasks), once per collection or scan (not per sandbox).
  // Each executor's and task's run, and the executor directory itself (an
  // old-layout sandbox holding the runs of an executor id in use).
  std::set<std::string> in_use;
  auto add = [&](const std::string& framework_id, const std::string& executor_id) {
    in_use.insert(SandboxPath(options_.work_dir, framework_id, executor_id));
  };
  for (const auto& [key, executor] : executors_) {
    add(key.first, key.second);
    if (!executor.sandbox.empty()) in_use.insert(executor.sandbox);
  }
  for (const auto& [key, task] : tasks_) {
    add(key.first, task.task.executor_id().value());
    add(key.first, key.second);  // A command task: its executor id is its task id.
    if (!task.sandbox.empty()) in_use.insert(task.sandbox);
  }
  return in_use;
}

void AgentImpl::StartSandboxGc() {
  DCHECK(loop_.IsInLoopThread());
  std::string sandboxes = options_.work_dir + "/sandboxes";
  auto scan = [this, sandboxes] {
    std::vector<ScannedSandbox> found = ScanSandboxes(sandboxes);
    loop_.Post(
        [this, found = std::move(found)]() mutable { OnSandboxesScanned(std::move(found)); });
  };
  if (!gc_io_->Post(std::move(scan))) return;
  ArmGcTimer(loop_.Now() + options_.disk_watch_interval);
}

void AgentImpl::OnSandboxesScanned(std::vector<ScannedSandbox> found) {
  DCHECK(loop_.IsInLoopThread());
  if (stopping_) return;
  size_t finished = 0, unmarked = 0, unknown_live = 0;
  absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  std::set<std::string> in_use = SandboxesInUse();
  for (ScannedSandbox& sandbox : found) {
    Key key(sandbox.framework_id, sandbox.executor_id);
    if (in_use.count(sandbox.path) != 0) continue;  // Marked when the agent forgets it.
    if (sandbox.live) {
      unknown_live++;
      LOG(WARNING) << "Sandbox " << sandbox.path
                   << " has running processes the agent does not know; it is not collected";
      continue;
    }
    if (sandbox.finished) {
      finished++;
      // A newer finish already reported (the executor ran again) wins.
      GcEntry& entry = gc_finished_[sandbox.path];
      entry.key = key;
      if (entry.finished == absl::InfinitePast()) {
        entry.finished = *sandbox.finished;
        entry.bytes = sandbox.bytes;
      }
      ArmGcTimer(entry.finished + options_.gc_delay);
      continue;
    }
    // Unmarked and unknown: finished before the agent could mark it (or
    // before this agent had GC). Its delay counts from now.
    unmarked++;
    MarkSandboxFinished(key, sandbox.path, now);
  }
  LOG(INFO) << "Sandbox GC: " << finished << " finished sandbox(es) found, " << unmarked
            << " unmarked one(s) marked finished now, " << unknown_live
            << " with unknown running processes kept; removing after "
            << absl::FormatDuration(options_.gc_delay) << " (--gc_delay), "
            << (options_.gc_disk_headroom > 0
                    ? absl::StrCat("sooner while less than ", options_.gc_disk_headroom * 100,
                                   "% of the disk is free (--gc_disk_headroom)")
                    : std::string("never sooner (--gc_disk_headroom=0)"));
}

void AgentImpl::MarkSandboxFinished(const Key& key, const std::string& sandbox,
                                    absl::Time finished) {
  io_->Post(IoKey(key.first, key.second), [this, key, sandbox, finished] {
    if (!WriteFinishedMarker(sandbox, finished).ok()) return;  // No sandbox: nothing to collect.
    uint64_t bytes = DiskBytes(sandbox);
    loop_.Post([this, key, sandbox, finished, bytes] {
      OnSandboxFinished(key, sandbox, finished, bytes);
    });
  });
}

void AgentImpl::OnSandboxFinished(const Key& key, const std::string& sandbox, absl::Time finished,
                                  uint64_t bytes) {
  DCHECK(loop_.IsInLoopThread());
  // Launched again since in the same directory (an old-layout sandbox): the
  // new run removed the marker. (Its tasks are checked when GC runs.)
  auto executor = executors_.find(key);
  if (stopping_ || (executor != executors_.end() &&
                    (executor->second.sandbox == sandbox ||
                     sandbox == SandboxPath(options_.work_dir, key.first, key.second))))
    return;
  GcEntry& entry = gc_finished_[sandbox];
  entry.key = key;
  if (entry.removing) {  // Taken up once the removal in flight reports.
    entry.refinished = std::make_pair(finished, bytes);
    return;
  }
  entry.finished = finished;
  entry.bytes = bytes;
  ArmGcTimer(finished + options_.gc_delay);
}

void AgentImpl::ArmGcTimer(absl::Time at) {
  if (stopping_) return;
  // At most one collection per second (or per --disk_watch_interval if
  // shorter): each one is O(finished sandboxes + tasks) on the loop.
  at = std::max(at, gc_last_run_ + std::min(options_.disk_watch_interval, absl::Seconds(1)));
  if (gc_timer_ != 0) {
    if (gc_timer_at_ <= at) return;
    loop_.Cancel(gc_timer_);
  }
  gc_timer_at_ = at;
  gc_timer_ =
      loop_.RunAfter(std::max(absl::ZeroDuration(), at - loop_.Now()), [this] { OnGcTimer(); });
}

void AgentImpl::OnGcTimer() {
  DCHECK(loop_.IsInLoopThread());
  gc_timer_ = 0;
  gc_timer_at_ = absl::InfiniteFuture();
  if (stopping_) return;
  gc_last_run_ = loop_.Now();
  if (options_.gc_disk_headroom <= 0 || gc_finished_.empty()) {
    CollectSandboxes(std::nullopt);
    return;
  }
  // statvfs (or the injected measurement) off the loop.
  auto measure = [this, disk_space = options_.disk_space, work_dir = options_.work_dir] {
    absl::StatusOr<DiskSpace> space = disk_space ? disk_space(work_dir) : StatDisk(work_dir);
    loop_.Post([this, space] {
      if (!space.ok()) {
        LOG_EVERY_N(WARNING, 60) << "Sandbox GC cannot measure free space: " << space.status()
                                 << "; removing by --gc_delay only";
        CollectSandboxes(std::nullopt);
        return;
      }
      CollectSandboxes(*space);
    });
  };
  if (!gc_io_->Post(std::move(measure))) return;
}

void AgentImpl::CollectSandboxes(const std::optional<DiskSpace>& disk) {
  DCHECK(loop_.IsInLoopThread());
  if (stopping_) return;
  absl::Time now = loop_.Now();
  std::vector<FinishedSandbox> candidates;
  std::set<std::string> in_use;
  if (!gc_finished_.empty()) in_use = SandboxesInUse();
  for (auto it = gc_finished_.begin(); it != gc_finished_.end();) {
    if (it->second.removing) {
      ++it;
      continue;
    }
    if (in_use.count(it->first) != 0) {  // Its directory is in use again.
      it = gc_finished_.erase(it);
      continue;
    }
    candidates.push_back({it->first, it->second.finished, it->second.bytes});
    ++it;
  }
  SandboxGcPolicy policy{options_.gc_delay, options_.gc_disk_headroom, options_.gc_min_age};
  SandboxGcDecision decision = DecideSandboxGc(std::move(candidates), now, disk, policy);
  if (!decision.remove.empty()) {
    LOG(INFO) << "Removing " << decision.remove.size() << " finished sandbox(es)";
    if (decision.for_space > 0) {
      LOG(WARNING) << decision.for_space << " of them before --gc_delay: " << disk->free_bytes
                   << " of " << disk->total_bytes << " bytes free under " << options_.work_dir
                   << ", below --gc_disk_headroom=" << options_.gc_disk_headroom;
    }
  }
  for (size_t i = 0; i < decision.remove.size(); ++i) {
    const std::string& path = decision.remove[i];
    GcEntry& entry = gc_finished_.at(path);
    Key key = entry.key;
    entry.removing = true;
    absl::Time finished = entry.finished;
    bool for_space = now - finished < options_.gc_delay;
    VLOG(1) << "Removing sandbox " << path << " (finished "
            << absl::FormatTime(absl::RFC3339_sec, finished, absl::UTCTimeZone())
            << (for_space ? ", for disk space)" : ")");
    auto work = [this, path, finished, for_space, sandboxes = options_.work_dir + "/sandboxes"] {
      absl::Status removed = RemoveFinishedSandbox(sandboxes, path, finished);
      loop_.Post([this, path, for_space, removed] { OnSandboxRemoved(path, for_space, removed); });
    };
    if (!io_->Post(IoKey(key.first, key.second), std::move(work))) return;
  }
  ArmGcTimer(std::min(decision.next_due, now + options_.disk_watch_interval));
}

void AgentImpl::OnSandboxRemoved(const std::string& sandbox, bool for_space,
                                 const absl::Status& status) {
  DCHECK(loop_.IsInLoopThread());
  auto it = gc_finished_.find(sandbox);
  if (it != gc_finished_.end()) {
    if (it->second.refinished) {  // Ran and finished again meanwhile.
      GcEntry& entry = it->second;
      std::tie(entry.finished, entry.bytes) = *entry.refinished;
      entry.refinished.reset();
      entry.removing = false;
      ArmGcTimer(entry.finished + options_.gc_delay);
    } else {
      gc_finished_.erase(it);
    }
  }
  if (status.ok()) {
    sandboxes_removed_++;
    if (for_space) sandboxes_removed_for_space_++;
    return;
  }
  if (absl::IsInternal(status)) {
    LOG(WARNING) << "Sandbox GC: " << status.message()
                 << "; left in place (tried again after the next agent start)";
    return;
  }
  // Gone already, or in use again: nothing to do.
  VLOG(1) << "Sandbox GC skipped " << sandbox << ": " << status.message();
}

}  // namespace agora::agent
