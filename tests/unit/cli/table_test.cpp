#include "cli/table.hpp"

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Resource::SCALAR);
  r.set_scalar(value);
  return r;
}

TEST(TableTest, AlignsColumnsAndTrimsTrailingSpace) {
  Table table{{"ID", "STATE"}, {{"a-long-id", "RUNNING"}, {"b", "FINISHED"}}};
  EXPECT_EQ(FormatTable(table),
            "ID         STATE\n"
            "a-long-id  RUNNING\n"
            "b          FINISHED\n");
}

TEST(TableTest, EmptyTablePrintsHeaderAndShortRowsArePadded) {
  EXPECT_EQ(FormatTable(Table{{"A", "B"}, {}}), "A  B\n");
  EXPECT_EQ(FormatTable(Table{{"A", "B", "C"}, {{"x"}}}), "A  B  C\nx\n");
}

TEST(TableTest, FormatsScalarsCompactly) {
  EXPECT_EQ(FormatScalar(0.1), "0.1");
  EXPECT_EQ(FormatScalar(2), "2");
  EXPECT_EQ(FormatScalar(1.25), "1.25");
  EXPECT_EQ(FormatScalar(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatScalar(0), "0");
  EXPECT_EQ(FormatScalar(-0.0001), "0");
}

TEST(TableTest, FormatsResources) {
  google::protobuf::RepeatedPtrField<v1::Resource> resources;
  *resources.Add() = Scalar("mem", 64);
  *resources.Add() = Scalar("cpus", 0.5);
  *resources.Add() = Scalar("cpus", 0.5);
  v1::Resource ports;
  ports.set_name("ports");
  ports.set_type(v1::Resource::RANGES);
  v1::Range* range = ports.mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(32000);
  *resources.Add() = ports;
  EXPECT_EQ(FormatResources(resources), "cpus:1 mem:64 ports:[31000-32000]");
  EXPECT_EQ(FormatResources({}), "-");
}

TEST(TableTest, TasksTableShowsShortStatesAndResources) {
  v1::GetTasksResponse response;
  v1::Task* task = response.add_tasks();
  task->mutable_task_id()->set_value("job-0");
  task->set_name("job job-0");
  task->set_state(v1::TASK_FINISHED);
  task->mutable_framework_id()->set_value("fw-1");
  task->mutable_agent_id()->set_value("agent-1");
  *task->add_resources() = Scalar("cpus", 0.1);
  *task->add_resources() = Scalar("mem", 32);
  EXPECT_EQ(FormatTable(TasksTable(response)),
            "ID     NAME       STATE     FRAMEWORK  AGENT    CPUS  MEM\n"
            "job-0  job job-0  FINISHED  fw-1       agent-1  0.1   32\n");
}

TEST(TableTest, TasksTableShowsTheHealthOfARunningTask) {
  v1::GetTasksResponse response;
  v1::Task* task = response.add_tasks();
  task->mutable_task_id()->set_value("web");
  task->set_state(v1::TASK_RUNNING);
  task->mutable_status()->set_has_healthy(true);
  task->mutable_status()->set_healthy(false);
  EXPECT_EQ(FormatTable(TasksTable(response)),
            "ID   NAME  STATE                FRAMEWORK  AGENT  CPUS  MEM\n"
            "web  -     RUNNING (unhealthy)  -          -      0     0\n");
}

TEST(TableTest, AgentsTableShowsAllocatedOfTotal) {
  v1::GetAgentsResponse response;
  v1::AgentSummary* agent = response.add_agents();
  agent->mutable_info()->mutable_id()->set_value("a1");
  agent->mutable_info()->set_hostname("host");
  agent->mutable_info()->set_address("127.0.0.1:5051");
  agent->mutable_info()->set_isolation("cgroups-v1");
  agent->set_status(v1::AgentSummary::ACTIVE);
  agent->set_connected(true);
  *agent->add_total() = Scalar("cpus", 4);
  *agent->add_total() = Scalar("mem", 1024);
  *agent->add_allocated() = Scalar("cpus", 1.5);
  agent->set_active_tasks(2);
  Table table = AgentsTable(response);
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"a1", "host", "127.0.0.1:5051", "ACTIVE",
                                                     "cgroups-v1", "1.5/4", "0/1024", "2"}));
}

TEST(TableTest, AgentsTableSaysRecoveringAndDisconnected) {
  v1::GetAgentsResponse response;
  v1::AgentSummary* recovering = response.add_agents();
  recovering->mutable_info()->mutable_id()->set_value("a1");
  recovering->set_status(v1::AgentSummary::RECOVERING);
  v1::AgentSummary* disconnected = response.add_agents();
  disconnected->mutable_info()->mutable_id()->set_value("a2");
  disconnected->set_status(v1::AgentSummary::ACTIVE);
  Table table = AgentsTable(response);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][3], "RECOVERING");
  EXPECT_EQ(table.rows[1][3], "DISCONNECTED");
}

TEST(TableTest, FrameworksAndOffersTables) {
  v1::GetFrameworksResponse frameworks;
  v1::FrameworkSummary* f = frameworks.add_frameworks();
  f->mutable_info()->mutable_id()->set_value("fw-1");
  f->mutable_info()->set_name("batch");
  f->mutable_info()->add_roles("a");
  f->mutable_info()->add_roles("b");
  f->set_connected(true);
  f->set_active_tasks(3);
  EXPECT_EQ(FrameworksTable(frameworks).rows[0],
            (std::vector<std::string>{"fw-1", "batch", "a,b", "yes", "3", "0", "0"}));

  v1::GetOffersResponse offers;
  v1::Offer* o = offers.add_offers();
  o->mutable_id()->set_value("o1");
  o->mutable_framework_id()->set_value("fw-1");
  o->mutable_agent_id()->set_value("a1");
  o->set_hostname("h");
  o->set_allocation_role("*");
  *o->add_resources() = Scalar("cpus", 2);
  EXPECT_EQ(OffersTable(offers).rows[0],
            (std::vector<std::string>{"o1", "fw-1", "a1", "h", "*", "cpus:2"}));
}

TEST(TableTest, UpdateLineHasTaskStateAgentAndMessage) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value("job-1");
  status.set_state(v1::TASK_FAILED);
  status.mutable_agent_id()->set_value("agent-7");
  status.set_message("Command exited with status 2");
  EXPECT_EQ(FormatUpdateLine(status),
            "job-1                FAILED       agent-7  Command exited with status 2");
  status.clear_agent_id();
  status.clear_message();
  EXPECT_EQ(FormatUpdateLine(status), "job-1                FAILED       -");
}

TEST(TableTest, FitsTheWidthByShrinkingTheWidestColumnWithAnEllipsis) {
  Table table{{"ID", "NAME", "STATE"},
              {{"a-very-long-task-identifier", "short", "RUNNING"}, {"b", "x", "FAILED"}}};
  // Natural: 27 + 2 + 5 + 2 + 7 = 43 columns.
  EXPECT_EQ(FormatTable(table, TableStyle{43, false}), FormatTable(table));
  const std::string fitted = FormatTable(table, TableStyle{30, false});
  EXPECT_EQ(fitted,
            "ID              NAME   STATE\n"
            "a-very-long-t\u2026  short  RUNNING\n"
            "b               x      FAILED\n");
  for (absl::string_view line : absl::StrSplit(fitted, '\n', absl::SkipEmpty())) {
    EXPECT_LE(DisplayWidth(std::string(line)), 30u) << line;
  }
}

TEST(TableTest, ColumnsShrinkToFiveCharactersThenLinesAreCut) {
  Table table{{"IDENTIFIER", "DESCRIPTION"}, {{"abcdefghij", "klmnopqrstuvwxyz"}}};
  EXPECT_EQ(FormatTable(table, TableStyle{12, false}),
            "IDEN\u2026  DESC\u2026\nabcd\u2026  klmn\u2026\n");
  EXPECT_EQ(FormatTable(table, TableStyle{8, false}), "IDEN\u2026  \u2026\nabcd\u2026  \u2026\n");
  EXPECT_EQ(FormatTable(table, TableStyle{3, false}), "ID\u2026\nab\u2026\n");
  // Colour codes do not count and are never cut.
  EXPECT_EQ(FormatTable(Table{{"STATE"}, {{"RUNNING"}}, 0}, TableStyle{3, true}),
            "\033[1mST\u2026\033[0m\nRU\u2026\n");
}

TEST(TableTest, ElideCountsCharactersNotBytes) {
  EXPECT_EQ(Elide("abcdef", 6), "abcdef");
  EXPECT_EQ(Elide("abcdef", 4), "abc\u2026");
  EXPECT_EQ(Elide("\u00e9\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u2026");
  EXPECT_EQ(DisplayWidth("\u00e9t\u00e9"), 3u);
}

TEST(TableTest, ColourOnlyWhenAskedAndOnlyTheStatusColumn) {
  Table table{{"ID", "STATE"}, {{"RUNNING", "RUNNING"}, {"t2", "FAILED"}}, 1};
  const std::string plain = FormatTable(table);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  const std::string coloured = FormatTable(table, TableStyle{0, true});
  EXPECT_EQ(coloured,
            "\033[1mID\033[0m       \033[1mSTATE\033[0m\n"
            "RUNNING  \033[32mRUNNING\033[0m\n"
            "t2       \033[31mFAILED\033[0m\n");
  EXPECT_STREQ(StatusColour("DRAINING"), "\033[33m");
  EXPECT_STREQ(StatusColour("something"), "");
}

TEST(TableTest, RolesQuotaAndWeightsTables) {
  v1::GetRolesResponse roles;
  v1::RoleSummary* role = roles.add_roles();
  role->set_name("eng");
  role->set_weight(2);
  *role->mutable_quota()->add_guarantees() = Scalar("cpus", 1);
  *role->add_allocated() = Scalar("cpus", 0.5);
  role->add_frameworks()->set_value("fw-1");
  role->set_dominant_share(0.125);
  EXPECT_EQ(RolesTable(roles).rows[0],
            (std::vector<std::string>{"eng", "2", "cpus:1", "-", "cpus:0.5", "-", "1", "0.125"}));
  v1::GetQuotaResponse quota;
  v1::QuotaConfig* q = quota.add_quotas();
  q->set_role("eng");
  *q->add_guarantees() = Scalar("mem", 256);
  *q->add_limits() = Scalar("mem", 512);
  EXPECT_EQ(FormatTable(QuotaTable(quota)),
            "ROLE  GUARANTEE  LIMIT\n"
            "eng   mem:256    mem:512\n");
  v1::GetWeightsResponse weights;
  v1::WeightInfo* w = weights.add_weights();
  w->set_role("ops");
  w->set_weight(0.5);
  EXPECT_EQ(FormatTable(WeightsTable(weights)), "ROLE  WEIGHT\nops   0.5\n");
}

}  // namespace
}  // namespace agora::cli
