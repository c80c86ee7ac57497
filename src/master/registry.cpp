#include "master/registry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "master/registry_log.hpp"

namespace agora::master {
namespace {

// Bound of Registry.removed_frameworks.
constexpr int kMaxRemovedFrameworks = 1000;

using Index = std::unordered_map<std::string, int>;

const std::string& AgentId(const internal::AgentRecord& r) { return r.info().id().value(); }
const std::string& FrameworkId(const internal::FrameworkRecord& r) { return r.info().id().value(); }
const std::string& QuotaRole(const v1::QuotaConfig& q) { return q.role(); }
const std::string& WeightRole(const v1::WeightInfo& w) { return w.role(); }

// True when `a` and `b` serialize to the same bytes. The registry's records
// have no map fields, so their serialization is deterministic and equal
// bytes mean equal records (a record that differs only in the sign of a
// zero counts as changed: written again, harmlessly). Several times cheaper
// than MessageDifferencer's reflection, which was 13 % of the loop's CPU per
// re-registration (bench/master_reregister_bench).
bool SameBytes(const google::protobuf::MessageLite& a, const google::protobuf::MessageLite& b) {
  thread_local std::string a_bytes;
  thread_local std::string b_bytes;
  return a.SerializePartialToString(&a_bytes) && b.SerializePartialToString(&b_bytes) &&
         a_bytes == b_bytes;
}

// The position of the record named `id`, by `index` if there is one, else
// by a scan; -1 if there is none.
template <typename Record, typename IdOf>
int Find(const google::protobuf::RepeatedPtrField<Record>& records, const Index* index,
         const std::string& id, IdOf id_of) {
  if (index != nullptr) {
    auto it = index->find(id);
    return it == index->end() ? -1 : it->second;
  }
  for (int i = 0; i < records.size(); ++i) {
    if (id_of(records.Get(i)) == id) return i;
  }
  return -1;
}

// Replaces the record with the same id as `record`, or appends it.
template <typename Record, typename IdOf>
void Put(google::protobuf::RepeatedPtrField<Record>* records, Index* index, const Record& record,
         IdOf id_of) {
  const std::string& id = id_of(record);
  int i = Find(*records, index, id, id_of);
  if (i >= 0) {
    *records->Mutable(i) = record;
    return;
  }
  if (index != nullptr) (*index)[id] = records->size();
  *records->Add() = record;
}

// Removes the record named `id` (if any), keeping the others in order.
template <typename Record, typename IdOf>
void Remove(google::protobuf::RepeatedPtrField<Record>* records, Index* index,
            const std::string& id, IdOf id_of) {
  int i = Find(*records, index, id, id_of);
  if (i < 0) return;
  records->DeleteSubrange(i, 1);
  if (index == nullptr) return;
  index->erase(id);
  for (int j = i; j < records->size(); ++j) (*index)[id_of(records->Get(j))] = j;
}

// ApplyOperation with optional indexes of agents and frameworks.
void Apply(const internal::Operation& op, internal::Registry* registry, Index* agents,
           Index* frameworks) {
  using internal::Operation;
  switch (op.type()) {
    case Operation::PUT_AGENT:
      return Put(registry->mutable_agents(), agents, op.agent(), AgentId);
    case Operation::REMOVE_AGENT:
      return Remove(registry->mutable_agents(), agents, op.agent_id().value(), AgentId);
    case Operation::PUT_FRAMEWORK:
      return Put(registry->mutable_frameworks(), frameworks, op.framework(), FrameworkId);
    case Operation::REMOVE_FRAMEWORK: {
      Remove(registry->mutable_frameworks(), frameworks, op.framework_id().value(), FrameworkId);
      *registry->add_removed_frameworks() = op.framework_id();
      auto* removed = registry->mutable_removed_frameworks();
      if (removed->size() > kMaxRemovedFrameworks) {
        removed->DeleteSubrange(0, removed->size() - kMaxRemovedFrameworks);
      }
      return;
    }
    case Operation::PUT_QUOTA:
      return Put(registry->mutable_quotas(), nullptr, op.quota(), QuotaRole);
    case Operation::REMOVE_QUOTA:
      return Remove(registry->mutable_quotas(), nullptr, op.role(), QuotaRole);
    case Operation::PUT_WEIGHT:
      return Put(registry->mutable_weights(), nullptr, op.weight(), WeightRole);
    case Operation::BUMP_EPOCH:
      registry->set_epoch(registry->epoch() + 1);
      return;
    default:
      LOG(WARNING) << "Ignoring registry operation of unknown type " << op.type();
  }
}

}  // namespace

void ApplyOperation(const internal::Operation& op, internal::Registry* registry) {
  Apply(op, registry, nullptr, nullptr);
}

IndexedRegistry::IndexedRegistry(internal::Registry registry) : registry_(std::move(registry)) {
  for (int i = 0; i < registry_.agents_size(); ++i) agents_[AgentId(registry_.agents(i))] = i;
  for (int i = 0; i < registry_.frameworks_size(); ++i) {
    frameworks_[FrameworkId(registry_.frameworks(i))] = i;
  }
}

void IndexedRegistry::Apply(const internal::Operation& operation) {
  master::Apply(operation, &registry_, &agents_, &frameworks_);
}

const internal::AgentRecord* IndexedRegistry::FindAgent(const std::string& id) const {
  const int i = Find(registry_.agents(), &agents_, id, AgentId);
  return i < 0 ? nullptr : &registry_.agents(i);
}

const internal::FrameworkRecord* IndexedRegistry::FindFramework(const std::string& id) const {
  const int i = Find(registry_.frameworks(), &frameworks_, id, FrameworkId);
  return i < 0 ? nullptr : &registry_.frameworks(i);
}

bool IndexedRegistry::ChangesNothing(const internal::Operation& op) const {
  switch (op.type()) {
    case internal::Operation::PUT_AGENT: {
      const internal::AgentRecord* stored = FindAgent(AgentId(op.agent()));
      return stored != nullptr && SameBytes(*stored, op.agent());
    }
    case internal::Operation::PUT_FRAMEWORK: {
      const internal::FrameworkRecord* stored = FindFramework(FrameworkId(op.framework()));
      return stored != nullptr && SameBytes(*stored, op.framework());
    }
    default:
      return false;
  }
}

std::vector<internal::Operation> IndexedRegistry::ApplyChanges(
    std::vector<internal::Operation> operations) {
  std::vector<internal::Operation> changes;
  changes.reserve(operations.size());
  for (auto& op : operations) {
    if (ChangesNothing(op)) continue;
    Apply(op);
    changes.push_back(std::move(op));
  }
  return changes;
}

LocalRegistry::LocalRegistry(EventLoop* loop, std::string work_dir)
    : LocalRegistry(loop, std::move(work_dir), Options()) {}

LocalRegistry::LocalRegistry(EventLoop* loop, std::string work_dir, Options options)
    : loop_(loop),
      dir_(work_dir + "/registry"),
      options_(options),
      writer_([this] { WriterMain(); }) {}

LocalRegistry::~LocalRegistry() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

absl::StatusOr<internal::Registry> LocalRegistry::Recover() {
  auto loaded = LoadRegistryDir(dir_);
  if (!loaded.ok()) return loaded.status();
  state_ = loaded->state;
  const internal::Registry& state = state_.registry();
  LOG(INFO) << "Recovered registry from " << dir_ << ": agents=" << state.agents_size()
            << " frameworks=" << state.frameworks_size() << " epoch=" << state.epoch()
            << " sequence=" << loaded->sequence << " log_records=" << loaded->log_records;
  RegistryLogWriter::Options writer_options;
  writer_options.compact_min_records = options_.compact_min_records;
  writer_options.compact_ratio = options_.compact_ratio;
  auto log = std::make_unique<RegistryLogWriter>(dir_, std::move(*loaded), writer_options);
  std::lock_guard<std::mutex> lock(mutex_);
  log_ = std::move(log);
  return state;
}

void LocalRegistry::Apply(std::vector<internal::Operation> operations, Callback done) {
  // Operations that change nothing are not written; an Apply() left with
  // none still completes in order, after the writes queued before it.
  operations = state_.ApplyChanges(std::move(operations));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++applies_;
    queue_.push_back({std::move(operations), std::move(done)});
  }
  cv_.notify_all();
}

void LocalRegistry::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return (queue_.empty() && !writing_) || stopping_; });
}

LocalRegistry::Stats LocalRegistry::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats stats;
  stats.applies = applies_;
  if (log_ == nullptr) return stats;
  const RegistryLogWriter::Stats& written = log_->stats();
  stats.batches = written.batches.load();
  stats.fsyncs = written.fsyncs.load();
  stats.bytes = written.bytes.load();
  stats.compactions = written.compactions.load();
  return stats;
}

Registry::WriteStats LocalRegistry::write_stats() const {
  Stats all = stats();
  return {all.fsyncs, all.bytes};
}

void LocalRegistry::WriterMain() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // Stopping with nothing left to write.
    // Group commit: everything queued so far is one log record.
    std::vector<Pending> batch;
    batch.swap(queue_);
    writing_ = true;
    RegistryLogWriter* log = log_.get();
    lock.unlock();
    if (options_.before_write) options_.before_write();
    std::vector<internal::Operation> operations;
    for (Pending& pending : batch) {
      for (auto& op : pending.operations) operations.push_back(std::move(op));
    }
    absl::Status status = failed_;
    if (status.ok() && !operations.empty()) {
      status = log != nullptr ? log->Append(operations)
                              : absl::FailedPreconditionError(
                                    absl::StrCat("registry ", dir_, ": Apply() before Recover()"));
      if (!status.ok()) {
        LOG(ERROR) << "Registry write failed (every later write fails too): " << status;
        failed_ = status;
      }
    }
    std::vector<Callback> callbacks;
    for (Pending& pending : batch) {
      if (pending.done) callbacks.push_back(std::move(pending.done));
    }
    if (!callbacks.empty()) {
      loop_->Post([callbacks = std::move(callbacks), status] {
        for (const auto& callback : callbacks) callback(status);
      });
    }
    // After the callbacks: a compaction delays only the next batch. It loses
    // nothing if it fails (the log still holds every record).
    if (status.ok() && log->CompactionDue()) {
      if (auto compacted = log->Compact(); !compacted.ok()) {
        LOG(WARNING) << "Registry compaction failed (the log keeps growing): " << compacted;
      }
    }
    lock.lock();
    writing_ = false;
    cv_.notify_all();
  }
}

}  // namespace agora::master
