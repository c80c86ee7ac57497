// OperatorClient's paged listings: every page of GetTasks, GetAgents and
// GetFrameworks, merged, so the CLI shows a big cluster whole.
#include "cli/operator_client.hpp"

namespace agora::cli {
namespace {

constexpr uint32_t kPageLimit = 10000;

}  // namespace

absl::StatusOr<v1::GetTasksResponse> OperatorClient::AllTasks(v1::GetTasksRequest request) {
  v1::GetTasksResponse all;
  request.mutable_page()->set_limit(kPageLimit);
  while (true) {
    absl::StatusOr<v1::GetTasksResponse> page = GetTasks(request);
    if (!page.ok()) return page.status();
    for (v1::Task& task : *page->mutable_tasks()) *all.add_tasks() = std::move(task);
    *all.mutable_page() = page->page();
    if (page->page().next_after().empty() || page->tasks().empty()) return all;
    request.mutable_page()->set_after(page->page().next_after());
  }
}

absl::StatusOr<v1::GetAgentsResponse> OperatorClient::AllAgents() {
  v1::GetAgentsResponse all;
  v1::GetAgentsRequest request;
  request.mutable_page()->set_limit(kPageLimit);
  while (true) {
    absl::StatusOr<v1::GetAgentsResponse> page = GetAgents(request);
    if (!page.ok()) return page.status();
    for (v1::AgentSummary& agent : *page->mutable_agents()) *all.add_agents() = std::move(agent);
    *all.mutable_page() = page->page();
    if (page->page().next_after().empty() || page->agents().empty()) return all;
    request.mutable_page()->set_after(page->page().next_after());
  }
}

absl::StatusOr<v1::GetFrameworksResponse> OperatorClient::AllFrameworks(bool include_completed) {
  v1::GetFrameworksResponse all;
  v1::GetFrameworksRequest request;
  request.mutable_page()->set_limit(kPageLimit);
  request.set_include_completed(include_completed);
  while (true) {
    absl::StatusOr<v1::GetFrameworksResponse> page = GetFrameworks(request);
    if (!page.ok()) return page.status();
    for (v1::FrameworkSummary& f : *page->mutable_frameworks())
      *all.add_frameworks() = std::move(f);
    // The completed ones come whole with every page.
    *all.mutable_completed_frameworks() = page->completed_frameworks();
    *all.mutable_page() = page->page();
    if (page->page().next_after().empty() || page->frameworks().empty()) return all;
    request.mutable_page()->set_after(page->page().next_after());
  }
}

}  // namespace agora::cli
