// StateSnapshot: an immutable view of the master's state for the operator
// queries (GetState, GetAgents, GetFrameworks, GetTasks, GetOffers,
// GetRoles, HTTP /state), and the pure functions that turn it into their
// responses.
//
// Why: a GetState of 5,000 agents and 50,000 tasks takes about a second to
// build and serialize; on the loop that second stalls every scheduler call
// and agent message. So MasterCore::Snapshot*() (loop thread) captures only
// what the query needs: small per-agent and per-framework records, and
// shared pointers to tasks (TaskBook publishes tasks copy-on-write, so the
// loop never changes a task a snapshot holds): one per task for the
// filtered queries, one per agent for a full snapshot (TaskBook's per-agent
// lists, rebuilt only for agents whose tasks changed). The views below then run on
// any thread (a query worker, an HTTP thread): they copy tasks into the
// response, sum resources, filter, sort and page, and the response is
// serialized there too. GetState and /state skip the copies: their answer
// is written as bytes straight from the shared tasks (state_wire.hpp).
//
// A snapshot is immutable once captured: share it as
// std::shared_ptr<const StateSnapshot>, read it anywhere, release it anywhere.
#ifndef AGORA_MASTER_STATE_SNAPSHOT_HPP_
#define AGORA_MASTER_STATE_SNAPSHOT_HPP_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agora/v1/master.pb.h"
#include "master/task_book.hpp"

namespace agora::master {

struct StateSnapshot {
  v1::MasterInfo master;
  // Every contending master, leader first (GetState and /state only).
  std::vector<v1::MasterInfo> masters;

  // Agents and frameworks (ordered by id; a page of them for GetAgents and
  // GetFrameworks) as summaries without the figures computed from tasks and
  // offers: allocated, offered, active_tasks (filled by the views). An
  // agent's is shared with the master, which caches it until it changes.
  std::vector<std::shared_ptr<const v1::AgentSummary>> agents;
  std::vector<v1::FrameworkSummary> frameworks;
  std::vector<v1::FrameworkSummary> completed_frameworks;
  // The page those lists are (next_after, total).
  v1::PageResponse page;

  // Active tasks (ordered by framework id, task id) and completed ones; for
  // GetTasks the candidates of its narrowest filter, for GetAgents and
  // GetFrameworks those of the listed agents or frameworks.
  std::vector<TaskBook::Shared> tasks;
  // More active tasks, one list per agent (full snapshots): together with
  // `tasks` they are the snapshot's active tasks; ForEachActiveTask()
  // visits both. Views that list tasks order them themselves.
  std::vector<TaskBook::Chunk> task_chunks;
  std::vector<TaskBook::Shared> completed_tasks;
  std::vector<v1::Offer> offers;
  // Per framework id (GetRoles and GetState).
  std::map<std::string, double> dominant_shares;
  // Roles with an operator-set weight or quota, with them (name, weight,
  // quota); roles of frameworks without either weigh 1.
  std::map<std::string, v1::RoleSummary> role_policy;
};

// Calls `fn(const TaskBook::Shared&)` for every active task of `snapshot`:
// `tasks`, then each of `task_chunks`.
template <typename Fn>
void ForEachActiveTask(const StateSnapshot& snapshot, Fn&& fn) {
  for (const TaskBook::Shared& task : snapshot.tasks) fn(task);
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks)
    for (const TaskBook::Shared& task : *chunk) fn(task);
}

// How many active tasks `snapshot` holds.
size_t ActiveTaskCount(const StateSnapshot& snapshot);

// What the views below build; each fills `*response`.
v1::MasterState StateView(const StateSnapshot& snapshot);
v1::GetAgentsResponse AgentsView(const StateSnapshot& snapshot);
v1::GetFrameworksResponse FrameworksView(const StateSnapshot& snapshot);
// INVALID_ARGUMENT naming `states[i]` for a value that is not a task state.
absl::StatusOr<v1::GetTasksResponse> TasksView(const StateSnapshot& snapshot,
                                               const v1::GetTasksRequest& request);
// What TasksView lists: the page of tasks `request` selects, in paging
// order (pointers into `snapshot`, valid while it lives), and the page.
// Errors as TasksView's.
struct TaskPage {
  std::vector<const v1::Task*> tasks;
  v1::PageResponse page;
};
absl::StatusOr<TaskPage> SelectTasks(const StateSnapshot& snapshot,
                                     const v1::GetTasksRequest& request);
v1::GetOffersResponse OffersView(const StateSnapshot& snapshot);
v1::GetRolesResponse RolesView(const StateSnapshot& snapshot);

// The page size a request asks for (default 1000, at most 10000).
uint32_t PageLimit(const v1::PageRequest& page);
constexpr uint32_t kMaxPage = 10000;

}  // namespace agora::master

#endif  // AGORA_MASTER_STATE_SNAPSHOT_HPP_
