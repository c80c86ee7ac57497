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

// The sums of the per-agent lists alive now, by list. A list is immutable
// and its memory (one make_shared block) stays reserved while an entry
// holds its weak_ptr, so an address names one list until its entry goes.
class ChunkSumsCache {
 public:
  static ChunkSumsCache& Instance() {
    static ChunkSumsCache* const cache = new ChunkSumsCache;  // Never destroyed.
    return *cache;
  }

  std::shared_ptr<const ChunkSums> Of(const TaskBook::Chunk& chunk) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(chunk.get());
      if (it != entries_.end() && !it->second.list.expired()) return it->second.sums;
    }
    auto sums = std::make_shared<const ChunkSums>(*chunk);  // Off the lock.
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[chunk.get()] = Entry{chunk, sums};
    return sums;
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
  };
  std::mutex mutex_;
  std::unordered_map<const void*, Entry> entries_;
};

}  // namespace

Sums SumUp(const StateSnapshot& snapshot) {
  Sums sums;
  for (const TaskBook::Shared& task : snapshot.tasks) AddTask(*task, &sums);
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks)
    ChunkSumsCache::Instance().Of(chunk)->AddTo(&sums);
  ChunkSumsCache::Instance().Prune(snapshot.task_chunks.size());
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

// Per-agent lists are merged by sorting on keys gathered once, so
// comparisons do not chase each task's sub-messages.
std::vector<const v1::Task*> OrderedActiveTasks(const StateSnapshot& snapshot) {
  struct Keyed {
    absl::string_view framework_id;
    absl::string_view task_id;
    const v1::Task* task;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(ActiveTaskCount(snapshot));
  ForEachActiveTask(snapshot, [&keyed](const TaskBook::Shared& task) {
    keyed.push_back({task->framework_id().value(), task->task_id().value(), task.get()});
  });
  if (!snapshot.task_chunks.empty()) {
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
      const int framework = a.framework_id.compare(b.framework_id);
      return framework != 0 ? framework < 0 : a.task_id < b.task_id;
    });
  }
  std::vector<const v1::Task*> ordered;
  ordered.reserve(keyed.size());
  for (const Keyed& entry : keyed) ordered.push_back(entry.task);
  return ordered;
}

}  // namespace agora::master
