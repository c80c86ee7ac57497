// Every kind of invalid scheduler or operator request answers
// INVALID_ARGUMENT with a FieldViolation naming the field, as
// docs/protocol.md promises. One table row per kind; each row breaks one
// field of an otherwise valid request sent to a live master core.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "common/validation.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

class FieldViolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scheduler_ = h_.Subscribe(MasterHarness::FrameworkInfo("fw"));
    agent_ = h_.RegisterAgent("host-a");
    h_.loop().RunUntilIdle();
    for (const auto& event : scheduler_.sink->events) {
      for (const auto& offer : event.offers().offers()) offer_id_ = offer.id().value();
    }
    ASSERT_FALSE(offer_id_.empty());
  }

  // A valid Accept of the offer launching one task; rows break one field.
  v1::AcceptRequest Accept() const {
    v1::AcceptRequest request;
    *request.mutable_header() = scheduler_.header();
    request.add_offer_ids()->set_value(offer_id_);
    auto* op = request.add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
    task->set_name("t1");
    task->mutable_task_id()->set_value("t1");
    *task->mutable_resources() = Resources::Parse("cpus:1;mem:64")->ToProto();
    task->mutable_command()->set_shell(true);
    task->mutable_command()->set_value("true");
    return request;
  }
  v1::Resource* FirstResource(v1::AcceptRequest* request) const {
    return request->mutable_operations(0)
        ->mutable_launch()
        ->mutable_task_infos(0)
        ->mutable_resources(0);
  }
  v1::TaskInfo* FirstTask(v1::AcceptRequest* request) const {
    return request->mutable_operations(0)->mutable_launch()->mutable_task_infos(0);
  }
  absl::Status Subscribe(const v1::FrameworkInfo& info) {
    v1::SubscribeRequest request;
    *request.mutable_framework_info() = info;
    uint64_t token = 0;
    return h_.core().Subscribe(request, std::make_shared<testing::RecordingFrameworkSink>(),
                               &token);
  }

  MasterHarness h_;
  MasterHarness::Scheduler scheduler_;
  MasterHarness::AgentConn agent_;
  std::string offer_id_;
};

struct Row {
  const char* kind;
  std::string field;
  std::function<absl::Status()> call;
};

constexpr char kTask[] = "operations[0].launch.task_infos[0]";

std::string TaskField(const std::string& sub) { return std::string(kTask) + "." + sub; }

TEST_F(FieldViolationTest, EveryInvalidRequestNamesItsField) {
  MasterCore& core = h_.core();
  auto accept_with = [this, &core](std::function<void(v1::AcceptRequest*)> breakit) {
    return [this, &core, breakit] {
      v1::AcceptRequest request = Accept();
      breakit(&request);
      return core.Accept(request);
    };
  };
  v1::FrameworkInfo good = MasterHarness::FrameworkInfo("other");
  const std::vector<Row> rows = {
      // Call header (every scheduler call after Subscribe).
      {"header.framework_id empty", "header.framework_id",
       accept_with([](auto* r) { r->mutable_header()->clear_framework_id(); })},
      {"header.framework_id bad characters", "header.framework_id",
       accept_with([](auto* r) { r->mutable_header()->mutable_framework_id()->set_value("a b"); })},
      {"header.stream_id empty", "header.stream_id",
       accept_with([](auto* r) { r->mutable_header()->clear_stream_id(); })},
      // Accept: offers and filters.
      {"no offer ids", "offer_ids", accept_with([](auto* r) { r->clear_offer_ids(); })},
      {"offer id empty", "offer_ids[0]",
       accept_with([](auto* r) { r->mutable_offer_ids(0)->clear_value(); })},
      {"offer id listed twice", "offer_ids[1]",
       accept_with([](auto* r) { *r->add_offer_ids() = r->offer_ids(0); })},
      {"refuse_seconds negative", "filters.refuse_seconds",
       accept_with([](auto* r) { r->mutable_filters()->set_refuse_seconds(-1); })},
      {"operation type unsupported", "operations[0].type", accept_with([](auto* r) {
         r->mutable_operations(0)->set_type(v1::Offer::Operation::RESERVE);
       })},
      // Accept: the task.
      {"task name empty", TaskField("name"),
       accept_with([this](auto* r) { FirstTask(r)->clear_name(); })},
      {"task id missing", TaskField("task_id"),
       accept_with([this](auto* r) { FirstTask(r)->clear_task_id(); })},
      {"task id empty", TaskField("task_id"),
       accept_with([this](auto* r) { FirstTask(r)->mutable_task_id()->clear_value(); })},
      {"task id too long", TaskField("task_id"), accept_with([this](auto* r) {
         FirstTask(r)->mutable_task_id()->set_value(std::string(300, 'x'));
       })},
      {"task id bad characters", TaskField("task_id"),
       accept_with([this](auto* r) { FirstTask(r)->mutable_task_id()->set_value("t/1"); })},
      {"task id '..'", TaskField("task_id"),
       accept_with([this](auto* r) { FirstTask(r)->mutable_task_id()->set_value(".."); })},
      {"task id used twice", "operations[0].launch.task_infos[1].task_id",
       accept_with([this](auto* r) {
         *r->mutable_operations(0)->mutable_launch()->add_task_infos() = *FirstTask(r);
       })},
      {"no resources", TaskField("resources"),
       accept_with([this](auto* r) { FirstTask(r)->clear_resources(); })},
      {"scalar negative", TaskField("resources[0].scalar"),
       accept_with([this](auto* r) { FirstResource(r)->set_scalar(-1); })},
      {"scalar NaN", TaskField("resources[0].scalar"), accept_with([this](auto* r) {
         FirstResource(r)->set_scalar(std::numeric_limits<double>::quiet_NaN());
       })},
      {"scalar too large", TaskField("resources[0].scalar"),
       accept_with([this](auto* r) { FirstResource(r)->set_scalar(1e13); })},
      {"resource name empty", TaskField("resources[0].name"),
       accept_with([this](auto* r) { FirstResource(r)->clear_name(); })},
      {"cpus not scalar", TaskField("resources[0].type"), accept_with([this](auto* r) {
         FirstResource(r)->set_type(v1::Resource::SET);
         FirstResource(r)->set_scalar(0);
         FirstResource(r)->mutable_set()->add_item("x");
       })},
      {"reservation role invalid", TaskField("resources[0].reservations[0].role"),
       accept_with([this](auto* r) {
         auto* reservation = FirstResource(r)->add_reservations();
         reservation->set_type(v1::ReservationInfo::STATIC);
         reservation->set_role("a b");
       })},
      {"command empty", TaskField("command.value"),
       accept_with([this](auto* r) { FirstTask(r)->mutable_command()->clear_value(); })},
      {"neither command nor executor", TaskField("command"),
       accept_with([this](auto* r) { FirstTask(r)->clear_command(); })},
      {"executor id empty", TaskField("executor.executor_id"), accept_with([this](auto* r) {
         FirstTask(r)->clear_command();
         FirstTask(r)->mutable_executor()->mutable_command()->set_value("run");
       })},
      // Other scheduler calls.
      {"decline without offers", "offer_ids",
       [this, &core] {
         v1::DeclineRequest request;
         *request.mutable_header() = scheduler_.header();
         return core.Decline(request);
       }},
      {"kill task id empty", "task_id",
       [this, &core] {
         v1::KillRequest request;
         *request.mutable_header() = scheduler_.header();
         return core.Kill(request);
       }},
      {"kill grace period negative", "kill_policy.grace_period_seconds",
       [this, &core] {
         v1::KillRequest request;
         *request.mutable_header() = scheduler_.header();
         request.mutable_task_id()->set_value("t1");
         request.mutable_kill_policy()->set_grace_period_seconds(-1);
         return core.Kill(request);
       }},
      {"reconcile task id bad", "tasks[0].task_id",
       [this, &core] {
         v1::ReconcileRequest request;
         *request.mutable_header() = scheduler_.header();
         request.add_tasks()->mutable_task_id()->set_value("bad id");
         return core.Reconcile(request);
       }},
      {"revive role not the framework's", "roles[0]",
       [this, &core] {
         v1::ReviveRequest request;
         *request.mutable_header() = scheduler_.header();
         request.add_roles("elsewhere");
         return core.Revive(request);
       }},
      {"acknowledge without uuid", "uuid",
       [this, &core] {
         v1::AcknowledgeRequest request;
         *request.mutable_header() = scheduler_.header();
         request.mutable_agent_id()->set_value(agent_.agent_id);
         request.mutable_task_id()->set_value("t1");
         return core.Acknowledge(request);
       }},
      {"message agent id empty", "agent_id",
       [this, &core] {
         v1::MessageRequest request;
         *request.mutable_header() = scheduler_.header();
         request.mutable_executor_id()->set_value("e1");
         return core.Message(request);
       }},
      {"shutdown executor id empty", "executor_id",
       [this, &core] {
         v1::ShutdownRequest request;
         *request.mutable_header() = scheduler_.header();
         request.mutable_agent_id()->set_value(agent_.agent_id);
         return core.ShutdownExecutor(request);
       }},
      {"update framework id mismatch", "framework_info.id",
       [this, &core] {
         v1::UpdateFrameworkRequest request;
         *request.mutable_header() = scheduler_.header();
         *request.mutable_framework_info() = MasterHarness::FrameworkInfo("fw");
         request.mutable_framework_info()->mutable_id()->set_value("someone-else");
         return core.UpdateFramework(request);
       }},
      // Subscribe.
      {"subscribe id bad characters", "framework_info.id",
       [this, good] {
         v1::FrameworkInfo info = good;
         info.mutable_id()->set_value("a b");
         return Subscribe(info);
       }},
      {"subscribe without roles", "framework_info.roles",
       [this, good] {
         v1::FrameworkInfo info = good;
         info.clear_roles();
         return Subscribe(info);
       }},
      {"subscribe role invalid", "framework_info.roles[0]",
       [this, good] {
         v1::FrameworkInfo info = good;
         info.set_roles(0, "-bad");
         return Subscribe(info);
       }},
      {"subscribe failover timeout negative", "framework_info.failover_timeout",
       [this, good] {
         v1::FrameworkInfo info = good;
         info.set_failover_timeout(-1);
         return Subscribe(info);
       }},
      {"subscribe name empty", "framework_info.name",
       [this, good] {
         v1::FrameworkInfo info = good;
         info.clear_name();
         return Subscribe(info);
       }},
      // Operator calls.
      {"get tasks unknown state", "states[0]",
       [&core] {
         v1::GetTasksRequest request;
         request.add_states(static_cast<v1::TaskState>(999));
         return core.GetTasks(request).status();
       }},
      {"operator teardown id empty", "framework_id",
       [&core] { return core.TeardownFramework(""); }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.kind);
    absl::Status status = row.call();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(ViolatedField(status), std::optional<std::string>(row.field)) << status;
    // The message says the same: "<field>: <reason>".
    EXPECT_EQ(std::string(status.message()).rfind(row.field + ": ", 0), 0u) << status;
  }
  // Nothing above was applied: the offer is still out.
  EXPECT_EQ(core.GetOffers(v1::GetOffersRequest()).offers_size(), 1);
}

}  // namespace
}  // namespace agora::master
