// Validation of TaskInfo.health_check and kill_policy at Accept time: bad
// input gets INVALID_ARGUMENT naming the field.
#include <gtest/gtest.h>

#include <cmath>

#include "common/resources.hpp"
#include "common/validation.hpp"
#include "master/accept_validation.hpp"

namespace agora::master {
namespace {

const char kField[] = "operations[0].launch.task_infos[0]";

v1::TaskInfo CommandTask() {
  v1::TaskInfo task;
  task.set_name("web");
  task.mutable_task_id()->set_value("web");
  *task.mutable_resources() = Resources::Parse("cpus:1;mem:64")->ToProto();
  task.mutable_command()->set_shell(true);
  task.mutable_command()->set_value("python3 -m http.server 8080");
  return task;
}

v1::TaskInfo WithHttpCheck() {
  v1::TaskInfo task = CommandTask();
  v1::HealthCheck* check = task.mutable_health_check();
  check->set_type(v1::HealthCheck::HTTP);
  check->mutable_http()->set_port(8080);
  check->mutable_http()->set_path("/health");
  check->set_interval_seconds(0.2);
  return task;
}

// The violated field and the message of validating `task`.
std::pair<std::string, std::string> Violation(const v1::TaskInfo& task) {
  absl::Status status = ValidateTaskInfo(task, kField);
  if (status.ok()) return {"", "OK"};
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return {ViolatedField(status).value_or("?"), std::string(status.message())};
}

std::string Field(const std::string& sub) { return std::string(kField) + "." + sub; }

TEST(HealthCheckValidationTest, WellFormedChecksOfEachTypePass) {
  EXPECT_TRUE(ValidateTaskInfo(WithHttpCheck(), kField).ok());
  v1::TaskInfo tcp = CommandTask();
  tcp.mutable_health_check()->set_type(v1::HealthCheck::TCP);
  tcp.mutable_health_check()->mutable_tcp()->set_port(9000);
  EXPECT_TRUE(ValidateTaskInfo(tcp, kField).ok());
  v1::TaskInfo command = CommandTask();
  command.mutable_health_check()->set_type(v1::HealthCheck::COMMAND);
  command.mutable_health_check()->mutable_command()->set_shell(true);
  command.mutable_health_check()->mutable_command()->set_value("test -f ready");
  EXPECT_TRUE(ValidateTaskInfo(command, kField).ok());
  // Zero durations mean the defaults.
  v1::TaskInfo defaults = WithHttpCheck();
  defaults.mutable_health_check()->set_interval_seconds(0);
  EXPECT_TRUE(ValidateTaskInfo(defaults, kField).ok());
}

TEST(HealthCheckValidationTest, TypeMustBeSetAndMatchItsSubMessage) {
  v1::TaskInfo task = CommandTask();
  task.mutable_health_check()->mutable_tcp()->set_port(9000);
  EXPECT_EQ(Violation(task).first, Field("health_check.type"));

  task.mutable_health_check()->set_type(v1::HealthCheck::HTTP);
  EXPECT_EQ(Violation(task).first, Field("health_check.http"));

  v1::TaskInfo both = WithHttpCheck();
  both.mutable_health_check()->mutable_tcp()->set_port(9000);
  auto [field, message] = Violation(both);
  EXPECT_EQ(field, Field("health_check.tcp"));
  EXPECT_NE(message.find("type is HTTP"), std::string::npos) << message;

  v1::TaskInfo command = CommandTask();
  command.mutable_health_check()->set_type(v1::HealthCheck::COMMAND);
  command.mutable_health_check()->mutable_command()->set_shell(true);
  EXPECT_EQ(Violation(command).first, Field("health_check.command.value"));
}

TEST(HealthCheckValidationTest, PortsMustBeInRange) {
  v1::TaskInfo http = WithHttpCheck();
  http.mutable_health_check()->mutable_http()->set_port(0);
  EXPECT_EQ(Violation(http).first, Field("health_check.http.port"));
  http.mutable_health_check()->mutable_http()->set_port(65536);
  auto [field, message] = Violation(http);
  EXPECT_EQ(field, Field("health_check.http.port"));
  EXPECT_NE(message.find("[1, 65535]"), std::string::npos) << message;

  v1::TaskInfo tcp = CommandTask();
  tcp.mutable_health_check()->set_type(v1::HealthCheck::TCP);
  tcp.mutable_health_check()->mutable_tcp();
  EXPECT_EQ(Violation(tcp).first, Field("health_check.tcp.port"));
}

TEST(HealthCheckValidationTest, HttpPathMustStartWithASlashAndSchemeMustBeHttp) {
  v1::TaskInfo task = WithHttpCheck();
  task.mutable_health_check()->mutable_http()->set_path("health");
  EXPECT_EQ(Violation(task),
            std::make_pair(Field("health_check.http.path"),
                           Field("health_check.http.path") + ": must start with '/'"));
  task.mutable_health_check()->mutable_http()->set_path("/a b\r\nX: y");
  EXPECT_EQ(Violation(task).first, Field("health_check.http.path"));

  v1::TaskInfo https = WithHttpCheck();
  https.mutable_health_check()->mutable_http()->set_scheme("https");
  auto [field, message] = Violation(https);
  EXPECT_EQ(field, Field("health_check.http.scheme"));
  EXPECT_NE(message.find("https is not supported"), std::string::npos) << message;
}

TEST(HealthCheckValidationTest, DurationsMustBeNonNegativeAndFinite) {
  for (const char* name :
       {"delay_seconds", "interval_seconds", "timeout_seconds", "grace_period_seconds"}) {
    v1::TaskInfo task = WithHttpCheck();
    const auto* field = task.health_check().GetDescriptor()->FindFieldByName(name);
    task.mutable_health_check()->GetReflection()->SetDouble(task.mutable_health_check(), field, -1);
    EXPECT_EQ(Violation(task).first, Field(std::string("health_check.") + name));
    task.mutable_health_check()->GetReflection()->SetDouble(task.mutable_health_check(), field,
                                                            std::nan(""));
    EXPECT_EQ(Violation(task).first, Field(std::string("health_check.") + name));
  }
}

TEST(HealthCheckValidationTest, CustomExecutorsRunTheirOwnHealthChecks) {
  v1::TaskInfo task = WithHttpCheck();
  task.clear_command();
  task.mutable_executor()->mutable_executor_id()->set_value("exec");
  task.mutable_executor()->mutable_command()->set_value("/bin/executor");
  auto [field, message] = Violation(task);
  EXPECT_EQ(field, Field("health_check"));
  EXPECT_NE(message.find("custom executors run their own health checks"), std::string::npos)
      << message;
}

TEST(KillPolicyValidationTest, GracePeriodMustBeNonNegative) {
  v1::TaskInfo task = CommandTask();
  task.mutable_kill_policy()->set_grace_period_seconds(-2);
  EXPECT_EQ(Violation(task).first, Field("kill_policy.grace_period_seconds"));
  task.mutable_kill_policy()->set_grace_period_seconds(0.5);
  EXPECT_TRUE(ValidateTaskInfo(task, kField).ok());
}

}  // namespace
}  // namespace agora::master
