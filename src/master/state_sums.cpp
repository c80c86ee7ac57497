// Figures of the state views (state_sums.hpp).
#include "master/state_sums.hpp"

#include <algorithm>
#include <map>
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

}  // namespace

Sums SumUp(const StateSnapshot& snapshot) {
  Sums sums;
  for (const TaskBook::Shared& task : snapshot.tasks) AddTask(*task, &sums);
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks) chunk->AddSumsTo(&sums);
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
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks) chunk->CacheTaskSizes();
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
