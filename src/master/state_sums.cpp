// Figures of the state views (state_sums.hpp).
#include "master/state_sums.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/task_state.hpp"

namespace agora::master {
namespace {

template <typename Map>
const typename Map::mapped_type& FindOrEmpty(const Map& map, const std::string& key) {
  static const typename Map::mapped_type kEmpty{};
  auto it = map.find(key);
  return it == map.end() ? kEmpty : it->second;
}

template <typename Summary>
void SetFiguresOf(const Sums& sums, const std::unordered_map<std::string, Use>& used,
                  const std::unordered_map<std::string, Resources>& offered, const std::string& id,
                  Summary* summary) {
  const Use& use = FindOrEmpty(used, id);
  *summary->mutable_allocated() = use.resources.ToProto();
  *summary->mutable_offered() = FindOrEmpty(offered, id).ToProto();
  summary->set_active_tasks(use.tasks);
}

// A live task's use, added to its agent's, framework's and role's.
void AddTask(const v1::Task& task, Sums* sums) {
  if (IsTerminalState(task.state())) return;
  auto r = Resources::FromProto(task.resources());
  for (Use* use : {&sums->agent[task.agent_id().value()],
                   &sums->framework[task.framework_id().value()], &sums->role[task.role()]}) {
    ++use->tasks;
    if (r.ok()) use->resources += *r;
  }
}

// The sums of one per-agent task list: a few keys each (the list's agent,
// its tasks' frameworks and roles).
class ChunkSums {
 public:
  explicit ChunkSums(const std::vector<TaskBook::Shared>& tasks) {
    Sums sums;
    for (const TaskBook::Shared& task : tasks) AddTask(*task, &sums);
    agent_.assign(sums.agent.begin(), sums.agent.end());
    framework_.assign(sums.framework.begin(), sums.framework.end());
    role_.assign(sums.role.begin(), sums.role.end());
  }

  void AddTo(Sums* sums) const {
    Merge(agent_, &sums->agent);
    Merge(framework_, &sums->framework);
    Merge(role_, &sums->role);
  }

 private:
  using Keyed = std::vector<std::pair<std::string, Use>>;
  static void Merge(const Keyed& from, std::unordered_map<std::string, Use>* into) {
    for (const auto& [key, use] : from) {
      Use& total = (*into)[key];
      total.tasks += use.tasks;
      total.resources += use.resources;
    }
  }

  Keyed agent_, framework_, role_;
};

// What is kept per per-agent list alive now: its sums, and whether its
// tasks' serialized sizes are cached in them. A list is immutable and its
// memory (one make_shared block) stays reserved while an entry holds its
// weak_ptr, so an address names one list until its entry goes.
class ChunkCache {
 public:
  static ChunkCache& Instance() {
    static ChunkCache* const cache = new ChunkCache;  // Never destroyed.
    return *cache;
  }

  std::shared_ptr<const ChunkSums> SumsOf(const TaskBook::Chunk& chunk) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Entry* entry = Find(chunk);
      if (entry != nullptr && entry->sums != nullptr) return entry->sums;
    }
    auto sums = std::make_shared<const ChunkSums>(*chunk);  // Off the lock.
    std::lock_guard<std::mutex> lock(mutex_);
    EntryOf(chunk).sums = sums;
    return sums;
  }

  bool Sized(const TaskBook::Chunk& chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry* entry = Find(chunk);
    return entry != nullptr && entry->sized;
  }

  // The sizes were computed (before this call, so the mutex publishes them
  // to the threads that see the mark).
  void MarkSized(const TaskBook::Chunk& chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    EntryOf(chunk).sized = true;
  }

  // Drops the entries of dead lists once they outnumber the live ones
  // (`live`: the lists of the latest snapshot), so the cache stays
  // O(agents) and a sweep costs O(1) per call amortized.
  void Prune(size_t live) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() <= 2 * live + 64) return;
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.list.expired() ? entries_.erase(it) : std::next(it);
    }
  }

 private:
  struct Entry {
    std::weak_ptr<const std::vector<TaskBook::Shared>> list;
    std::shared_ptr<const ChunkSums> sums;
    bool sized = false;
  };

  // The live entry of `chunk`, or null. Under the mutex.
  Entry* Find(const TaskBook::Chunk& chunk) {
    auto it = entries_.find(chunk.get());
    if (it == entries_.end() || it->second.list.expired()) return nullptr;
    return &it->second;
  }

  // The entry of `chunk`, made fresh if absent or left by a dead list.
  Entry& EntryOf(const TaskBook::Chunk& chunk) {
    if (Entry* entry = Find(chunk)) return *entry;
    Entry& entry = entries_[chunk.get()];
    entry = Entry{chunk, nullptr, false};
    return entry;
  }

  std::mutex mutex_;
  std::unordered_map<const void*, Entry> entries_;
};

}  // namespace

Sums SumUp(const StateSnapshot& snapshot) {
  Sums sums;
  for (const TaskBook::Shared& task : snapshot.tasks) AddTask(*task, &sums);
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks)
    ChunkCache::Instance().SumsOf(chunk)->AddTo(&sums);
  ChunkCache::Instance().Prune(snapshot.task_chunks.size());
  for (const v1::Offer& offer : snapshot.offers) {
    auto r = Resources::FromProto(offer.resources());
    if (!r.ok()) continue;
    sums.agent_offered[offer.agent_id().value()] += *r;
    sums.framework_offered[offer.framework_id().value()] += *r;
    sums.role_offered[offer.allocation_role()] += *r;
  }
  return sums;
}

void SetFigures(const Sums& sums, const std::string& id, v1::AgentSummary* summary) {
  SetFiguresOf(sums, sums.agent, sums.agent_offered, id, summary);
}

void SetFigures(const Sums& sums, const std::string& id, v1::FrameworkSummary* summary) {
  SetFiguresOf(sums, sums.framework, sums.framework_offered, id, summary);
}

void AddRoles(const StateSnapshot& snapshot, const Sums& sums,
              google::protobuf::RepeatedPtrField<v1::RoleSummary>* out) {
  std::map<std::string, v1::RoleSummary> roles = snapshot.role_policy;
  for (const v1::FrameworkSummary& framework : snapshot.frameworks) {
    for (const auto& role : framework.info().roles()) {
      v1::RoleSummary& summary = roles[role];
      if (summary.name().empty()) {
        summary.set_name(role);
        summary.set_weight(1);
      }
      *summary.add_frameworks() = framework.info().id();
    }
  }
  for (auto& [name, summary] : roles) {
    *summary.mutable_allocated() = FindOrEmpty(sums.role, name).resources.ToProto();
    *summary.mutable_offered() = FindOrEmpty(sums.role_offered, name).ToProto();
    double share = 0;
    for (const auto& framework : summary.frameworks()) {
      auto it = snapshot.dominant_shares.find(framework.value());
      if (it != snapshot.dominant_shares.end()) share = std::max(share, it->second);
    }
    summary.set_dominant_share(share);
    *out->Add() = std::move(summary);
  }
}

void CacheTaskSizes(const StateSnapshot& snapshot) {
  for (const TaskBook::Shared& task : snapshot.tasks) task->ByteSizeLong();
  ChunkCache& cache = ChunkCache::Instance();
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks) {
    if (cache.Sized(chunk)) continue;
    for (const TaskBook::Shared& task : *chunk) task->ByteSizeLong();
    cache.MarkSized(chunk);
  }
}

// Per-agent lists are merged by sorting on keys gathered once, so
// comparisons do not chase each task's sub-messages; framework ids (few,
// long, shared by many tasks) are compared as their rank.
std::vector<const v1::Task*> OrderedActiveTasks(const StateSnapshot& snapshot) {
  struct Keyed {
    uint32_t framework_rank;
    absl::string_view task_id;
    const v1::Task* task;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(ActiveTaskCount(snapshot));
  // Tasks of one list come grouped by framework: each run is looked up once.
  std::map<absl::string_view, uint32_t> ranks;
  absl::string_view last;
  ForEachActiveTask(snapshot, [&](const TaskBook::Shared& task) {
    const absl::string_view framework_id = task->framework_id().value();
    if (keyed.empty() || framework_id != last) ranks.emplace(framework_id, 0);
    last = framework_id;
    keyed.push_back({0, task->task_id().value(), task.get()});
  });
  if (!snapshot.task_chunks.empty()) {
    uint32_t next = 0;
    for (auto& [id, rank] : ranks) rank = next++;
    uint32_t last_rank = 0;
    for (size_t i = 0; i < keyed.size(); ++i) {
      const absl::string_view framework_id = keyed[i].task->framework_id().value();
      if (i == 0 || framework_id != last) last_rank = ranks.at(framework_id);
      last = framework_id;
      keyed[i].framework_rank = last_rank;
    }
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
      return a.framework_rank != b.framework_rank ? a.framework_rank < b.framework_rank
                                                  : a.task_id < b.task_id;
    });
  }
  std::vector<const v1::Task*> ordered;
  ordered.reserve(keyed.size());
  for (const Keyed& entry : keyed) ordered.push_back(entry.task);
  return ordered;
}

}  // namespace agora::master
