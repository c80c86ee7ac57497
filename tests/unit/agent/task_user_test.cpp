// --switch_user: choosing the task's user, looking it up, and what the shim
// is told.
#include "agent/task_user.hpp"

#include <pwd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

TEST(TaskUserTest, CommandUserOverridesTheFrameworkUser) {
  v1::CommandInfo command;
  v1::FrameworkInfo framework;
  framework.set_user("alice");
  EXPECT_EQ(TaskUserName(command, framework), "alice");
  command.set_user("bob");
  EXPECT_EQ(TaskUserName(command, framework), "bob");
  EXPECT_EQ(TaskUserName(v1::CommandInfo(), v1::FrameworkInfo()), "");
}

TEST(TaskUserTest, LooksUpAnExistingUser) {
  passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody' on this machine";
  absl::StatusOr<TaskUser> user = LookUpTaskUser("nobody", /*allow_root=*/false);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name, "nobody");
  EXPECT_EQ(user->uid, nobody->pw_uid);
  EXPECT_EQ(user->gid, nobody->pw_gid);
  EXPECT_EQ(user->home, nobody->pw_dir);
  EXPECT_THAT(user->groups, Contains(nobody->pw_gid));
}

TEST(TaskUserTest, RefusesAMissingUserAndRootWithoutTheFlag) {
  absl::StatusOr<TaskUser> missing = LookUpTaskUser("no-such-user-agora", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status()));
  EXPECT_EQ(missing.status().message(), "user 'no-such-user-agora' does not exist on this agent");

  absl::StatusOr<TaskUser> root = LookUpTaskUser("root", false);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("--allow_root_tasks"));
  EXPECT_THAT(root.status().message(), HasSubstr("'root'"));
  absl::StatusOr<TaskUser> allowed = LookUpTaskUser("root", true);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->uid, 0u);

  absl::StatusOr<TaskUser> none = LookUpTaskUser("", false);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("FrameworkInfo.user"));
}

TEST(TaskUserTest, TellsTheShimTheIdsAndSetsTheEnvironmentTheTaskDoesNotSet) {
  TaskUser user;
  user.name = "nobody";
  user.uid = 65534;
  user.gid = 65534;
  user.groups = {65534, 20};
  user.home = "/nonexistent";
  v1::CommandInfo command;
  auto* variable = command.mutable_environment()->add_variables();
  variable->set_name("HOME");
  variable->set_value("/custom");
  LaunchSpec spec;
  spec.argv = {"agora-shim"};
  spec.env = {"HOME=/root", "USER=root", "PATH=/bin", "HOME=/custom"};
  ApplyTaskUser(user, command, &spec);
  EXPECT_THAT(spec.argv, IsSupersetOf({"--uid=65534", "--gid=65534", "--groups=65534,20"}));
  EXPECT_THAT(spec.env, IsSupersetOf({"USER=nobody", "LOGNAME=nobody", "PATH=/bin"}));
  EXPECT_THAT(spec.env, Not(Contains("USER=root")));
  // The task's own HOME wins (it is later in the list the shim inherits).
  EXPECT_THAT(spec.env, Not(Contains("HOME=/nonexistent")));
}

}  // namespace
}  // namespace agora::agent
