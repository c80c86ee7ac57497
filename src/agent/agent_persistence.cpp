// AgentImpl: checkpoint writes, and failing fast when they fail.
//
// Every checkpoint write goes through Persist. While writes succeed they run
// on the WorkPool and report back in order per key. The first failure (disk
// full, EIO, read-only file system) makes the agent "not durable": /health
// answers 503 naming the path and the error, agora_agent_checkpoint_ok is 0,
// RUN_TASKS are refused, and every later write is held in memory in order
// (status updates are still applied and forwarded, so frameworks keep
// hearing about their tasks). Every --checkpoint_retry_interval the held
// writes are replayed oldest first, one at a time; when the last one lands
// (or, with nothing held, a probe file can be written) the agent is durable
// again without a restart.
#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "glog/logging.h"

namespace agora::agent {

void AgentImpl::Persist(CheckpointWrite write, WrittenFn done) {
  DCHECK(loop_.IsInLoopThread());
  if (!checkpoint_error_.ok()) {
    held_writes_.push_back(std::move(write));
    absl::Status unavailable = absl::UnavailableError(absl::StrCat(
        "held in memory: the agent cannot checkpoint (", checkpoint_error_.message(), ")"));
    // Through the key's queue all the same, so that `done` callbacks keep
    // the order of the writes.
    const std::string key = held_writes_.back().key;
    if (!io_->Post(key,
                   [this, done, unavailable] {
                     loop_.Post([done, unavailable] {
                       if (done) done(unavailable);
                     });
                   }) &&
        done)
      done(unavailable);
    return;
  }
  const std::string key = write.key;
  auto work = [this, write = std::move(write), done]() mutable {
    absl::Status status = write.run();
    loop_.Post([this, write = std::move(write), done, status]() mutable {
      if (!status.ok()) OnCheckpointFailed(std::move(write), status);
      if (done) done(status);
    });
  };
  if (!io_->Post(key, std::move(work)) && done) done(absl::UnavailableError("agent stopping"));
}

void AgentImpl::OnCheckpointFailed(CheckpointWrite write, const absl::Status& status) {
  DCHECK(loop_.IsInLoopThread());
  checkpoint_failures_++;
  if (write.hold_on_failure) held_writes_.push_back(std::move(write));
  if (!checkpoint_error_.ok()) return;
  checkpoint_error_ = status;
  LOG(ERROR) << "Cannot checkpoint: " << status << ". Refusing launches and holding checkpoints "
             << "in memory; retrying every "
             << absl::FormatDuration(options_.checkpoint_retry_interval);
  SetDurable(false);
  if (checkpoint_retry_timer_ == 0 && !stopping_) {
    checkpoint_retry_timer_ =
        loop_.RunAfter(options_.checkpoint_retry_interval, [this] { OnCheckpointRetryTimer(); });
  }
}

void AgentImpl::OnCheckpointRetryTimer() {
  DCHECK(loop_.IsInLoopThread());
  checkpoint_retry_timer_ = 0;
  if (stopping_ || retry_in_flight_ || checkpoint_error_.ok()) return;
  if (journal_in_flight_ != 0) {
    // Records still in the journal's hands will come back failed and join
    // the held writes: replay only once they have, so that order holds.
    checkpoint_retry_timer_ =
        loop_.RunAfter(options_.checkpoint_retry_interval, [this] { OnCheckpointRetryTimer(); });
    return;
  }
  retry_in_flight_ = true;
  if (held_writes_.empty()) {
    // Nothing held (the failed write was dropped): probe the disk.
    std::string path = options_.work_dir + "/meta/probe";
    if (!io_->Post("agent", [this, path] {
          absl::Status status = WriteFileAtomically(path, std::string(4096, 'p'));
          loop_.Post([this, status] { OnHeldWriteDone(status, /*probe=*/true); });
        }))
      retry_in_flight_ = false;
    return;
  }
  CheckpointWrite write = held_writes_.front();
  if (!io_->Post(write.key, [this, write] {
        absl::Status status = write.run();
        loop_.Post([this, status] { OnHeldWriteDone(status, /*probe=*/false); });
      }))
    retry_in_flight_ = false;
}

void AgentImpl::OnHeldWriteDone(const absl::Status& status, bool probe) {
  DCHECK(loop_.IsInLoopThread());
  retry_in_flight_ = false;
  if (stopping_) return;
  if (!status.ok()) {
    checkpoint_failures_++;
    if (status.message() != checkpoint_error_.message()) {
      checkpoint_error_ = status;
      SetDurable(false);
    }
    VLOG(1) << "Checkpoint retry failed: " << status;
    checkpoint_retry_timer_ =
        loop_.RunAfter(options_.checkpoint_retry_interval, [this] { OnCheckpointRetryTimer(); });
    return;
  }
  if (!probe) held_writes_.pop_front();
  if (!held_writes_.empty()) {
    OnCheckpointRetryTimer();  // The next one at once: the disk is back.
    return;
  }
  LOG(WARNING) << "Checkpoints are durable again (" << checkpoint_error_.message()
               << " resolved); accepting launches";
  checkpoint_error_ = absl::OkStatus();
  SetDurable(true);
}

void AgentImpl::SetDurable(bool durable) {
  durable_public_ = durable;
  std::lock_guard<std::mutex> lock(health_mu_);
  health_problem_ = durable ? "" : absl::StrCat("cannot checkpoint: ", checkpoint_error_.message());
}

}  // namespace agora::agent
