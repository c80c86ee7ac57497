// AgentImpl: status update records go to the update journal
// (update_journal.hpp) with group commit.
//
// A record is applied (and forwarded) in its `done`, i.e. only once its
// batch is on disk. When a batch fails, the journal fails every later
// record too until a held write is replayed (its failure is sticky): so
// every record the loop handed to the journal comes back failed, in order,
// and OnCheckpointFailed holds it like any failed write (agent_persistence.cpp).
// While records are in the journal's hands the agent keeps handing new
// ones to it even when not durable, so the held writes keep the order of
// the records.
#include "agent/agent_impl.hpp"
#include "glog/logging.h"

namespace agora::agent {

absl::Status AgentImpl::OpenJournal(const CheckpointedState& state) {
  std::set<UpdateJournal::TaskKey> live;
  for (const RecoveredExecutor& executor : state.executors) {
    for (const RecoveredTask& task : executor.tasks)
      live.insert({executor.framework_id, executor.executor_id, task.task.task_id().value()});
  }
  UpdateJournal::Options journal_options;
  journal_options.dir = JournalDir(options_.work_dir);
  journal_options.segment_bytes = options_.journal_segment_bytes;
  auto journal = UpdateJournal::Open(std::move(journal_options), live);
  if (!journal.ok()) return journal.status();
  journal_ = std::move(*journal);
  return absl::OkStatus();
}

void AgentImpl::PersistRecord(internal::StatusUpdateRecord record, bool sync, WrittenFn done) {
  DCHECK(loop_.IsInLoopThread());
  CheckpointWrite write{
      "journal", JournalDir(options_.work_dir),
      [journal = journal_.get(), record, sync] { return journal->AppendAndWait(record, sync); }};
  if (!checkpoint_error_.ok() && journal_in_flight_ == 0) {
    Persist(std::move(write), std::move(done));
    return;
  }
  journal_in_flight_++;
  journal_->Append(
      std::move(record), sync,
      [this, write = std::move(write), done = std::move(done)](const absl::Status& status) {
        loop_.Post([this, write, done, status]() mutable {
          journal_in_flight_--;
          if (!status.ok() && !stopping_) OnCheckpointFailed(std::move(write), status);
          if (done) done(status);
        });
      });
}

}  // namespace agora::agent
