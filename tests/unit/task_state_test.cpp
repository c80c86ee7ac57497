#include "common/task_state.hpp"

#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(TaskStateTest, TerminalStatesAreExactlyThoseThatFreeResources) {
  for (int i = v1::TaskState_MIN; i <= v1::TaskState_MAX; ++i) {
    auto state = static_cast<v1::TaskState>(i);
    bool expected = state == v1::TASK_FINISHED || state == v1::TASK_FAILED ||
                    state == v1::TASK_KILLED || state == v1::TASK_ERROR ||
                    state == v1::TASK_DROPPED || state == v1::TASK_GONE ||
                    state == v1::TASK_GONE_BY_OPERATOR;
    EXPECT_EQ(IsTerminalState(state), expected) << v1::TaskState_Name(state);
  }
}

TEST(TaskStateTest, UnreachableAndUnknownAreNotTerminal) {
  // A partitioned task may still be running: never free its resources.
  EXPECT_FALSE(IsTerminalState(v1::TASK_UNREACHABLE));
  EXPECT_FALSE(IsTerminalState(v1::TASK_UNKNOWN));
}

TEST(TaskStateTest, ShortNamesDropThePrefix) {
  EXPECT_EQ(ShortStateName(v1::TASK_RUNNING), "RUNNING");
  EXPECT_EQ(ShortStateName(v1::TASK_GONE_BY_OPERATOR), "GONE_BY_OPERATOR");
}

}  // namespace
}  // namespace agora
