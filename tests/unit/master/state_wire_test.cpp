// GetState's wire encoder (state_wire.hpp): its bytes parse to exactly the
// MasterState that StateView builds, on random snapshots (several seeds,
// printed on failure) and on a master driven through MasterHarness.
#include "master/state_wire.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using google::protobuf::util::MessageDifferencer;

// A random snapshot as SnapshotState() would capture it: summaries without
// their figures, active tasks partly in `tasks` (in task order) and partly
// in per-agent lists, live and terminal, completed tasks, offers, roles with
// and without a policy.
class RandomState {
 public:
  explicit RandomState(uint32_t seed) : random_(seed) {}

  StateSnapshot Make() {
    StateSnapshot snapshot;
    snapshot.master.set_id("master-1");
    snapshot.master.set_address("127.0.0.1:5050");
    for (int i = 0, n = Below(3); i < n; ++i) {
      v1::MasterInfo info;
      info.set_id(absl::StrCat("master-", i));
      info.set_hostname(absl::StrCat("m", i, ".example"));
      snapshot.masters.push_back(info);
    }
    const int agents = Below(30);
    const int frameworks = 1 + Below(6);
    for (int i = 0; i < agents; ++i) {
      auto summary = std::make_shared<v1::AgentSummary>();
      summary->mutable_info()->mutable_id()->set_value(absl::StrCat("agent-", i));
      summary->mutable_info()->set_hostname(absl::StrCat("host-", i));
      *summary->mutable_total() =
          Resources::Parse("cpus:64;mem:262144;ports:[31000-32000]")->ToProto();
      *summary->mutable_info()->mutable_resources() = summary->total();
      summary->set_status(static_cast<v1::AgentSummary::Status>(1 + Below(7)));
      summary->set_connected(Below(2) == 0);
      summary->set_registered_time(1.7e9 + i);
      summary->set_version("1.0");
      snapshot.agents.push_back(summary);
    }
    for (int j = 0; j < frameworks; ++j) {
      v1::FrameworkSummary summary;
      summary.mutable_info()->mutable_id()->set_value(absl::StrCat("fw-", j));
      summary.mutable_info()->set_name(absl::StrCat("framework ", j));
      for (const char* role : {"a", "b", "c"})
        if (Below(2) == 0) summary.mutable_info()->add_roles(role);
      summary.set_connected(Below(2) == 0);
      summary.set_completed_tasks(Below(5));
      snapshot.frameworks.push_back(summary);
      snapshot.dominant_shares[summary.info().id().value()] = Below(1000) / 1000.0;
    }
    snapshot.role_policy["b"].set_name("b");
    snapshot.role_policy["b"].set_weight(2.5);
    snapshot.role_policy["q"].set_name("q");
    snapshot.role_policy["q"].set_weight(1);
    *snapshot.role_policy["q"].mutable_quota()->mutable_guarantees() =
        Resources::Parse("cpus:4")->ToProto();

    // Active tasks: per agent, each in `tasks` or in the agent's list.
    std::vector<TaskBook::Shared> loose;
    for (int i = 0; i < agents; ++i) {
      auto chunk = std::make_shared<std::vector<TaskBook::Shared>>();
      for (int k = 0, n = Below(12); k < n; ++k) {
        TaskBook::Shared task = Task(i, frameworks, /*terminal=*/Below(8) == 0);
        (Below(4) == 0 ? loose : *chunk).push_back(task);
      }
      std::sort(chunk->begin(), chunk->end(), TaskOrder);
      if (!chunk->empty())
        snapshot.task_chunks.push_back(std::make_shared<const TaskChunk>(std::move(*chunk)));
    }
    std::sort(loose.begin(), loose.end(), TaskOrder);
    snapshot.tasks = std::move(loose);
    for (int k = 0, n = Below(20); k < n; ++k)
      snapshot.completed_tasks.push_back(Task(Below(std::max(agents, 1)), frameworks, true));
    for (int k = 0, n = agents == 0 ? 0 : Below(15); k < n; ++k) {
      v1::Offer offer;
      offer.mutable_id()->set_value(absl::StrCat("offer-", k));
      offer.mutable_framework_id()->set_value(absl::StrCat("fw-", Below(frameworks)));
      offer.mutable_agent_id()->set_value(absl::StrCat("agent-", Below(agents)));
      offer.set_allocation_role(Below(2) == 0 ? "a" : "c");
      *offer.mutable_resources() =
          Resources::Parse(absl::StrCat("cpus:", 1 + Below(8), ";mem:", 1024 * (1 + Below(8))))
              ->ToProto();
      snapshot.offers.push_back(offer);
    }
    return snapshot;
  }

 private:
  static bool TaskOrder(const TaskBook::Shared& a, const TaskBook::Shared& b) {
    return std::make_pair(a->framework_id().value(), a->task_id().value()) <
           std::make_pair(b->framework_id().value(), b->task_id().value());
  }

  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  TaskBook::Shared Task(int agent, int frameworks, bool terminal) {
    auto task = std::make_shared<v1::Task>();
    const std::string id = absl::StrCat("task-", next_task_++);
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    task->mutable_framework_id()->set_value(absl::StrCat("fw-", Below(frameworks)));
    task->mutable_agent_id()->set_value(absl::StrCat("agent-", agent));
    task->set_state(terminal ? v1::TASK_FINISHED : v1::TASK_RUNNING);
    task->set_role(Below(3) == 0 ? "b" : "a");
    *task->mutable_resources() =
        Resources::Parse(absl::StrCat("cpus:0.", 1 + Below(9), ";mem:", 128 * (1 + Below(4))))
            ->ToProto();
    *task->mutable_info()->mutable_task_id() = task->task_id();
    *task->mutable_info()->mutable_resources() = task->resources();
    task->mutable_info()->mutable_command()->set_value("sleep 3600");
    v1::TaskStatus* status = task->mutable_status();
    *status->mutable_task_id() = task->task_id();
    status->set_state(task->state());
    status->set_uuid(absl::StrCat("uuid-", id));
    status->set_timestamp(1.7e9 + next_task_);
    *task->add_statuses() = *status;
    return task;
  }

  std::mt19937 random_;
  int next_task_ = 0;
};

v1::MasterState Parsed(const std::string& bytes) {
  v1::MasterState state;
  EXPECT_TRUE(state.ParseFromString(bytes));
  return state;
}

TEST(StateWireTest, BytesParseToTheStateViewOnRandomSnapshots) {
  for (uint32_t seed : {1u, 2u, 3u, 42u, 2026u, 77777u}) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    const StateSnapshot snapshot = RandomState(seed).Make();
    const v1::MasterState expected = StateView(snapshot);
    const v1::MasterState actual = Parsed(EncodeStateView(snapshot));
    std::string difference;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    EXPECT_TRUE(differencer.Compare(expected, actual)) << difference;
    // Not vacuous: the seeds make states with tasks, offers and roles.
    if (seed == 42u) {
      EXPECT_GT(actual.tasks_size(), 0);
      EXPECT_GT(actual.roles_size(), 0);
    }
  }
}

// HTTP /state: the JSON converted from the bytes reads back as the same
// MasterState, with proto field names.
TEST(StateWireTest, JsonParsesToTheStateViewOnRandomSnapshots) {
  for (uint32_t seed : {5u, 42u, 31337u}) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    const StateSnapshot snapshot = RandomState(seed).Make();
    absl::StatusOr<std::string> json = EncodeStateJson(snapshot);
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_NE(json->find("\"agent_id\""), std::string::npos);
    v1::MasterState actual;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &actual).ok()) << *json;
    std::string difference;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    EXPECT_TRUE(differencer.Compare(StateView(snapshot), actual)) << difference;
  }
}

// GetTasks: the bytes of the selected page parse to TasksView's answer,
// for filters and pages.
TEST(StateWireTest, TasksBytesParseToTheTasksView) {
  for (uint32_t seed : {7u, 42u}) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    const StateSnapshot snapshot = RandomState(seed).Make();
    std::vector<v1::GetTasksRequest> requests(4);
    requests[1].add_states(v1::TASK_FINISHED);
    requests[2].mutable_page()->set_limit(3);
    requests[3].mutable_page()->set_limit(5);
    requests[3].mutable_page()->set_after("fw-1/");
    requests[3].mutable_framework_id()->set_value("fw-1");
    for (size_t i = 0; i < requests.size(); ++i) {
      SCOPED_TRACE(absl::StrCat("request ", i));
      absl::StatusOr<v1::GetTasksResponse> expected = TasksView(snapshot, requests[i]);
      absl::StatusOr<TaskPage> page = SelectTasks(snapshot, requests[i]);
      ASSERT_TRUE(expected.ok() && page.ok());
      v1::GetTasksResponse actual;
      ASSERT_TRUE(actual.ParseFromString(EncodeTasksView(*page)));
      std::string difference;
      MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&difference);
      EXPECT_TRUE(differencer.Compare(*expected, actual)) << difference;
    }
  }
}

TEST(StateWireTest, AnEmptySnapshotEncodesTheMasterAlone) {
  StateSnapshot snapshot;
  snapshot.master.set_id("master-1");
  const v1::MasterState actual = Parsed(EncodeStateView(snapshot));
  EXPECT_TRUE(MessageDifferencer::Equals(StateView(snapshot), actual));
  EXPECT_EQ(actual.master().id(), "master-1");
}

// The same through a master: what GetState now sends equals what it built.
TEST(StateWireTest, BytesParseToTheMastersBuiltState) {
  testing::MasterHarness h;
  auto scheduler = h.Subscribe(testing::MasterHarness::FrameworkInfo("wire"));
  auto a = h.RegisterAgent("host-a");
  auto b = h.RegisterAgent("host-b");
  auto c = h.RegisterAgent("host-c");
  h.Launch(scheduler, a, "t2");
  h.Launch(scheduler, b, "t1");
  h.Launch(scheduler, c, "t3");
  h.SendUpdate(b, scheduler.framework_id, "t1", v1::TASK_RUNNING, "u1");
  const v1::MasterState actual = Parsed(EncodeStateView(*h.core().SnapshotState()));
  std::string difference;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differencer.Compare(h.core().BuildState(), actual)) << difference;
  ASSERT_EQ(actual.tasks_size(), 3);
  EXPECT_EQ(actual.tasks(0).task_id().value(), "t1");
  EXPECT_EQ(actual.agents_size(), 3);
}

// Sizes and sums remembered for a published per-agent list are reused by
// the next GetState while the list lives, and a task that changes gets a
// new list: encoding again after a change still answers the master's
// state (a stale size would garble or fail the parse).
TEST(StateWireTest, EncodingAgainAfterAChangeFollowsTheMaster) {
  testing::MasterHarness h;
  auto scheduler = h.Subscribe(testing::MasterHarness::FrameworkInfo("wire"));
  auto a = h.RegisterAgent("host-a");
  auto b = h.RegisterAgent("host-b");
  h.Launch(scheduler, a, "t1");
  h.Launch(scheduler, b, "t2");
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    auto snapshot = h.core().SnapshotState();
    const std::string first = EncodeStateView(*snapshot);
    EXPECT_EQ(EncodeStateView(*snapshot), first);  // Remembered sizes.
    std::string difference;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    EXPECT_TRUE(differencer.Compare(h.core().BuildState(), Parsed(first))) << difference;
    // A longer status each round: the task's size changes.
    h.SendUpdate(a, scheduler.framework_id, "t1", v1::TASK_RUNNING,
                 absl::StrCat("uuid-of-round-", std::string(10 * (round + 1), 'x')));
  }
  const v1::MasterState last = Parsed(EncodeStateView(*h.core().SnapshotState()));
  ASSERT_EQ(last.tasks_size(), 2);
  EXPECT_EQ(last.tasks(0).statuses_size(), 3);
}

}  // namespace
}  // namespace agora::master
