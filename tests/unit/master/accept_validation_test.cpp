#include "master/accept_validation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "common/validation.hpp"

namespace agora::master {
namespace {

class AcceptValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    offers_["o1"] = OfferView{"f1", "a1", *Resources::Parse("cpus:4;mem:1024"), "*"};
    offers_["o2"] = OfferView{"f1", "a1", *Resources::Parse("cpus:2;mem:512"), "*"};
    offers_["o3"] = OfferView{"f1", "a2", *Resources::Parse("cpus:2;mem:512"), "*"};
    offers_["foreign"] = OfferView{"f2", "a1", *Resources::Parse("cpus:2;mem:512"), "*"};
  }

  static v1::TaskInfo Task(const std::string& id, const std::string& resources = "cpus:1;mem:64") {
    v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    *task.mutable_resources() = Resources::Parse(resources)->ToProto();
    task.mutable_command()->set_shell(true);
    task.mutable_command()->set_value("true");
    return task;
  }

  static v1::AcceptRequest Request(const std::vector<std::string>& offers,
                                   const std::vector<v1::TaskInfo>& tasks) {
    v1::AcceptRequest request;
    for (const auto& id : offers) request.add_offer_ids()->set_value(id);
    auto* op = request.add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (const auto& task : tasks) *op->mutable_launch()->add_task_infos() = task;
    return request;
  }

  absl::StatusOr<AcceptPlan> Plan(const v1::AcceptRequest& request) {
    return PlanAccept(
        request, "f1",
        [this](const std::string& id) -> const OfferView* {
          auto it = offers_.find(id);
          return it == offers_.end() ? nullptr : &it->second;
        },
        [this](const std::string& id) { return live_.count(id) > 0; });
  }

  // Expects INVALID_ARGUMENT naming exactly `field`.
  void ExpectInvalid(const v1::AcceptRequest& request, const std::string& field) {
    auto plan = Plan(request);
    ASSERT_FALSE(plan.ok()) << field;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    // The message starts with the field path ("field: reason").
    EXPECT_EQ(std::string(plan.status().message()).rfind(field + ":", 0), 0u) << plan.status();
  }

  std::map<std::string, OfferView> offers_;
  std::set<std::string> live_;
};

TEST_F(AcceptValidationTest, ValidLaunchUsesOffersAndReturnsTheRest) {
  auto plan = Plan(Request({"o1", "o2"}, {Task("t1", "cpus:5;mem:100")}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->agent_id, "a1");
  ASSERT_EQ(plan->launches.size(), 1u);
  EXPECT_EQ(plan->launches[0].agent_id().value(), "a1");
  EXPECT_DOUBLE_EQ(plan->used.cpus(), 5);
  EXPECT_DOUBLE_EQ((plan->offered - plan->used).cpus(), 1);
  EXPECT_TRUE(plan->rejected.empty());
}

TEST_F(AcceptValidationTest, UnknownOfferDropsEveryTask) {
  auto plan = Plan(Request({"o1", "gone"}, {Task("t1"), Task("t2")}));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->launches.empty());
  ASSERT_EQ(plan->rejected.size(), 2u);
  EXPECT_EQ(plan->rejected[0].state, v1::TASK_DROPPED);
  EXPECT_EQ(plan->rejected[0].reason, v1::TaskStatus::REASON_INVALID_OFFERS);
  // The known offer is still consumed (its resources go back).
  EXPECT_EQ(plan->offer_ids, std::vector<std::string>{"o1"});
}

TEST_F(AcceptValidationTest, ForeignOfferIsInvalid) {
  ExpectInvalid(Request({"o1", "foreign"}, {Task("t1")}), "offer_ids[1]");
}

TEST_F(AcceptValidationTest, OffersOnTwoAgentsAreInvalid) {
  ExpectInvalid(Request({"o1", "o3"}, {Task("t1")}), "offer_ids[1]");
}

TEST_F(AcceptValidationTest, OffersMadeToTwoRolesAreInvalid) {
  offers_["role-a"] = OfferView{"f1", "a1", *Resources::Parse("cpus(a):1"), "a"};
  offers_["role-b"] = OfferView{"f1", "a1", *Resources::Parse("cpus(b):1"), "b"};
  ExpectInvalid(Request({"role-a", "role-b"}, {Task("t1", "cpus(a):1")}), "offer_ids[1]");
  auto plan = Plan(Request({"role-a", "role-b"}, {Task("t1", "cpus(a):1")}));
  EXPECT_EQ(ViolatedField(plan.status()), "offer_ids[1]");
}

TEST_F(AcceptValidationTest, OffersOfOneRoleShareIt) {
  offers_["a1"] = OfferView{"f1", "a1", *Resources::Parse("cpus(a):1"), "a"};
  offers_["a2"] = OfferView{"f1", "a1", *Resources::Parse("cpus:1;mem:64"), "a"};
  auto plan = Plan(Request({"a1", "a2"}, {Task("t1", "cpus(a):1;mem:64")}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->role, "a");
  EXPECT_EQ(plan->launches.size(), 1u);
}

TEST_F(AcceptValidationTest, DuplicateOfferIdIsInvalid) {
  ExpectInvalid(Request({"o1", "o1"}, {Task("t1")}), "offer_ids[1]");
}

TEST_F(AcceptValidationTest, NoOffersIsInvalid) {
  ExpectInvalid(Request({}, {Task("t1")}), "offer_ids");
}

TEST_F(AcceptValidationTest, ResourcesExceedingTheOfferGetTaskError) {
  auto plan = Plan(Request({"o2"}, {Task("fits", "cpus:1.5"), Task("big", "cpus:1")}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->launches.size(), 1u);
  ASSERT_EQ(plan->rejected.size(), 1u);
  EXPECT_EQ(plan->rejected[0].task.task_id().value(), "big");
  EXPECT_EQ(plan->rejected[0].state, v1::TASK_ERROR);
  EXPECT_NE(plan->rejected[0].message.find("operations[0].launch.task_infos[1].resources"),
            std::string::npos);
}

TEST_F(AcceptValidationTest, LiveTaskIdGetsTaskError) {
  live_.insert("t1");
  auto plan = Plan(Request({"o1"}, {Task("t1")}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->rejected.size(), 1u);
  EXPECT_EQ(plan->rejected[0].state, v1::TASK_ERROR);
  EXPECT_NE(plan->rejected[0].message.find("already running"), std::string::npos);
}

TEST_F(AcceptValidationTest, DuplicateTaskIdInRequestIsInvalid) {
  ExpectInvalid(Request({"o1"}, {Task("t1"), Task("t1")}),
                "operations[0].launch.task_infos[1].task_id");
}

TEST_F(AcceptValidationTest, EmptyCommandIsInvalid) {
  v1::TaskInfo task = Task("t1");
  task.mutable_command()->set_value("");
  ExpectInvalid(Request({"o1"}, {task}), "operations[0].launch.task_infos[0].command.value");
}

TEST_F(AcceptValidationTest, MissingCommandAndExecutorIsInvalid) {
  v1::TaskInfo task = Task("t1");
  task.clear_command();
  ExpectInvalid(Request({"o1"}, {task}), "operations[0].launch.task_infos[0].command");
}

TEST_F(AcceptValidationTest, NegativeResourceIsInvalid) {
  v1::TaskInfo task = Task("t1");
  task.mutable_resources(0)->set_scalar(-1);
  auto plan = Plan(Request({"o1"}, {task}));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("operations[0].launch.task_infos[0].resources[0]"),
            std::string::npos)
      << plan.status();
}

TEST_F(AcceptValidationTest, NanResourceIsInvalid) {
  v1::TaskInfo task = Task("t1");
  task.mutable_resources(0)->set_scalar(std::nan(""));
  auto plan = Plan(Request({"o1"}, {task}));
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("operations[0].launch.task_infos[0].resources[0]"),
            std::string::npos)
      << plan.status();
}

TEST_F(AcceptValidationTest, MissingFieldsAreNamed) {
  v1::TaskInfo no_name = Task("t1");
  no_name.clear_name();
  ExpectInvalid(Request({"o1"}, {no_name}), "operations[0].launch.task_infos[0].name");
  v1::TaskInfo no_id = Task("t1");
  no_id.clear_task_id();
  ExpectInvalid(Request({"o1"}, {no_id}), "operations[0].launch.task_infos[0].task_id");
  v1::TaskInfo no_resources = Task("t1");
  no_resources.clear_resources();
  ExpectInvalid(Request({"o1"}, {no_resources}), "operations[0].launch.task_infos[0].resources");
  v1::AcceptRequest no_type = Request({"o1"}, {Task("t1")});
  no_type.mutable_operations(0)->set_type(v1::Offer::Operation::TYPE_UNSPECIFIED);
  ExpectInvalid(no_type, "operations[0].type");
  v1::AcceptRequest no_tasks = Request({"o1"}, {});
  ExpectInvalid(no_tasks, "operations[0].launch.task_infos");
  v1::AcceptRequest bad_filter = Request({"o1"}, {Task("t1")});
  bad_filter.mutable_filters()->set_refuse_seconds(-1);
  ExpectInvalid(bad_filter, "filters.refuse_seconds");
}

TEST_F(AcceptValidationTest, BadIdsAreNamed) {
  ExpectInvalid(Request({"bad id!"}, {Task("t1")}), "offer_ids[0]");
  v1::TaskInfo task = Task("t1");
  task.mutable_task_id()->set_value("no spaces allowed");
  ExpectInvalid(Request({"o1"}, {task}), "operations[0].launch.task_infos[0].task_id");
}

TEST_F(AcceptValidationTest, CustomExecutorNeedsIdAndCommand) {
  v1::TaskInfo task = Task("t1");
  task.clear_command();
  task.mutable_executor()->mutable_executor_id()->set_value("e1");
  ExpectInvalid(Request({"o1"}, {task}),
                "operations[0].launch.task_infos[0].executor.command.value");
  task.mutable_executor()->mutable_command()->set_value("./my-executor");
  EXPECT_TRUE(Plan(Request({"o1"}, {task})).ok());
  v1::TaskInfo both = Task("t2");
  both.mutable_executor()->mutable_executor_id()->set_value("e1");
  ExpectInvalid(Request({"o1"}, {both}), "operations[0].launch.task_infos[0].executor");
}

}  // namespace
}  // namespace agora::master
