// The figures the state views compute from a snapshot's tasks and offers
// (what agents, frameworks and roles use and are offered) and the order of
// its tasks, shared by the message views (state_snapshot.cpp) and GetState's
// wire encoder (state_wire.cpp), so both answer the same. What is kept per
// published per-agent task list to avoid redoing work per query (its sums,
// its tasks' serialized sizes) lives with the list (task_chunk.hpp).
//
// Pure functions of an immutable StateSnapshot; they run on any thread.
#ifndef AGORA_MASTER_STATE_SUMS_HPP_
#define AGORA_MASTER_STATE_SUMS_HPP_

#include <string>
#include <vector>

#include "master/state_snapshot.hpp"

namespace agora::master {

// What the snapshot's live tasks use and its offers hold, per agent,
// framework and role (Use and Sums: task_chunk.hpp). One pass over the
// snapshot's active tasks and offers. The tasks of a per-agent list
// (TaskBook::Chunk, immutable) are summed once per list, not per call: the
// list keeps its sums (TaskChunk), so a GetState re-sums only the agents
// whose tasks changed since the previous one; `tasks` and offers are summed
// each call.
Sums SumUp(const StateSnapshot& snapshot);

// Sets allocated, offered and active_tasks of `summary` from `sums` for the
// agent or framework `id` (fields `summary` must not have yet).
void SetFigures(const Sums& sums, const std::string& id, v1::AgentSummary* summary);
void SetFigures(const Sums& sums, const std::string& id, v1::FrameworkSummary* summary);

// Every role with a policy or a framework, with its figures, by name.
void AddRoles(const StateSnapshot& snapshot, const Sums& sums,
              google::protobuf::RepeatedPtrField<v1::RoleSummary>* out);

// Caches the serialized size of every active task of `snapshot` in the task
// (protobuf's cached size, for SerializeWithCachedSizes and
// GetCachedSize()): a published task never changes, so a size computed once
// stays valid, and the tasks of a per-agent list sized before are skipped
// (TaskChunk::CacheTaskSizes). `tasks` are sized each call.
void CacheTaskSizes(const StateSnapshot& snapshot);

// The snapshot's active tasks in (framework id, task id) order (GetState's
// order): `tasks` is in that order; per-agent lists are merged by a sort.
std::vector<const v1::Task*> OrderedActiveTasks(const StateSnapshot& snapshot);

}  // namespace agora::master

#endif  // AGORA_MASTER_STATE_SUMS_HPP_
