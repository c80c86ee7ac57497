#include "agent/executor_service.hpp"

#include "common/validation.hpp"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

v1::ExecutorUpdateRequest ValidUpdate() {
  v1::ExecutorUpdateRequest request;
  request.mutable_framework_id()->set_value("fw");
  request.mutable_executor_id()->set_value("ex");
  request.mutable_status()->mutable_task_id()->set_value("t1");
  request.mutable_status()->set_uuid(std::string(16, 'u'));
  request.mutable_status()->set_state(v1::TASK_RUNNING);
  return request;
}

// The field a status names: its FieldViolation, else the "field: reason"
// prefix of its message (ValidateId reports in that form).
std::string FieldOf(const absl::Status& status) {
  if (auto field = ViolatedField(status)) return *field;
  std::string message(status.message());
  return message.substr(0, message.find(": "));
}

TEST(ExecutorRequestValidationTest, AcceptsAWellFormedUpdate) {
  EXPECT_TRUE(ValidateUpdate(ValidUpdate()).ok());
}

TEST(ExecutorRequestValidationTest, NamesTheBadField) {
  auto request = ValidUpdate();
  request.mutable_framework_id()->clear_value();
  EXPECT_EQ(FieldOf(ValidateUpdate(request)), "framework_id.value");

  request = ValidUpdate();
  request.mutable_executor_id()->set_value("bad id");
  EXPECT_EQ(FieldOf(ValidateUpdate(request)), "executor_id.value");

  request = ValidUpdate();
  request.mutable_status()->set_uuid("short");
  EXPECT_EQ(FieldOf(ValidateUpdate(request)), "status.uuid");

  request = ValidUpdate();
  request.mutable_status()->set_state(v1::TASK_STATE_UNSPECIFIED);
  EXPECT_EQ(FieldOf(ValidateUpdate(request)), "status.state");

  request = ValidUpdate();
  request.mutable_status()->set_state(v1::TASK_GONE);
  EXPECT_EQ(FieldOf(ValidateUpdate(request)), "status.state");

  request = ValidUpdate();
  request.mutable_status()->mutable_task_id()->clear_value();
  EXPECT_EQ(FieldOf(ValidateUpdate(request)), "status.task_id.value");
}

TEST(ExecutorRequestValidationTest, SubscribeChecksResentUpdates) {
  v1::ExecutorSubscribeRequest request;
  request.mutable_framework_id()->set_value("fw");
  request.mutable_executor_id()->set_value("ex");
  EXPECT_TRUE(ValidateSubscribe(request).ok());
  auto* update = request.add_unacknowledged_updates();
  update->mutable_task_id()->set_value("t1");
  update->set_uuid("x");
  EXPECT_EQ(FieldOf(ValidateSubscribe(request)), "unacknowledged_updates[0].uuid");
}

}  // namespace
}  // namespace agora::agent
