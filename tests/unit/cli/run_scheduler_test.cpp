#include "cli/run_scheduler.hpp"

#include <sstream>

#include "gtest/gtest.h"

namespace agora::cli {
namespace {

v1::Resource Scalar(const std::string& name, double value, const std::string& role = "") {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Resource::SCALAR);
  r.set_scalar(value);
  if (!role.empty()) r.add_reservations()->set_role(role);
  return r;
}

v1::Offer Offer(const std::string& id, double cpus, double mem) {
  v1::Offer offer;
  offer.mutable_id()->set_value(id);
  offer.mutable_agent_id()->set_value("agent-" + id);
  *offer.add_resources() = Scalar("cpus", cpus);
  *offer.add_resources() = Scalar("mem", mem);
  return offer;
}

// Records the commands RunScheduler issues.
class FakeDriver : public SchedulerDriver {
 public:
  SchedulerDriverStatus start() override { return SchedulerDriverStatus::RUNNING; }
  SchedulerDriverStatus stop(bool) override { return SchedulerDriverStatus::STOPPED; }
  SchedulerDriverStatus abort() override { return SchedulerDriverStatus::ABORTED; }
  SchedulerDriverStatus join() override { return SchedulerDriverStatus::STOPPED; }
  SchedulerDriverStatus run() override { return SchedulerDriverStatus::STOPPED; }
  SchedulerDriverStatus launchTasks(const std::vector<v1::OfferID>& offers,
                                    const std::vector<v1::TaskInfo>& tasks,
                                    const v1::Filters&) override {
    for (const auto& task : tasks) launched.push_back(task);
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus acceptOffers(const std::vector<v1::OfferID>&,
                                     const std::vector<v1::Offer::Operation>&,
                                     const v1::Filters&) override {
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus declineOffer(const v1::OfferID& id, const v1::Filters&) override {
    declined.push_back(id.value());
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus reviveOffers(const std::vector<std::string>&) override {
    ++revives;
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus suppressOffers(const std::vector<std::string>&) override {
    ++suppresses;
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus killTask(const v1::TaskID&, const v1::AgentID&) override {
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus acknowledgeStatusUpdate(const v1::TaskStatus&) override {
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus sendFrameworkMessage(const v1::ExecutorID&, const v1::AgentID&,
                                             const std::string&) override {
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus reconcileTasks(const std::vector<v1::TaskStatus>&) override {
    return SchedulerDriverStatus::RUNNING;
  }
  SchedulerDriverStatus updateFramework(const v1::FrameworkInfo&,
                                        const std::vector<std::string>&) override {
    return SchedulerDriverStatus::RUNNING;
  }

  std::vector<v1::TaskInfo> launched;
  std::vector<std::string> declined;
  int revives = 0;
  int suppresses = 0;
};

v1::TaskStatus Status(const std::string& id, v1::TaskState state) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(id);
  status.set_state(state);
  return status;
}

TEST(TasksThatFitTest, CountsByTheScarcerResource) {
  EXPECT_EQ(TasksThatFit(Offer("o", 1, 1000), "*", 0.1, 32, 100), 10);
  EXPECT_EQ(TasksThatFit(Offer("o", 1, 100), "*", 0.1, 32, 100), 3);
  EXPECT_EQ(TasksThatFit(Offer("o", 1, 1000), "*", 0.1, 32, 4), 4);
  EXPECT_EQ(TasksThatFit(Offer("o", 0.05, 1000), "*", 0.1, 32, 4), 0);
  // Fixed-point: 0.3 cpus holds exactly three 0.1-cpu tasks.
  EXPECT_EQ(TasksThatFit(Offer("o", 0.3, 1000), "*", 0.1, 1, 10), 3);
}

TEST(TasksThatFitTest, IgnoresReservedResources) {
  v1::Offer offer;
  *offer.add_resources() = Scalar("cpus", 4, "eng");
  *offer.add_resources() = Scalar("mem", 4096, "eng");
  EXPECT_EQ(TasksThatFit(offer, "eng", 1, 1, 10), 0);
}

TEST(RunTaskIdTest, SanitizesTheName) {
  EXPECT_EQ(RunTaskId("my job!", 3), "my_job_-3");
  EXPECT_EQ(RunTaskId("ok-name.v1", 0), "ok-name.v1-0");
}

class RunSchedulerTest : public ::testing::Test {
 protected:
  RunSchedulerTest() {
    options_.name = "job";
    options_.command = "true";
    options_.instances = 3;
  }
  RunOptions options_;
  std::ostringstream out_, err_;
  FakeDriver driver_;
};

TEST_F(RunSchedulerTest, LaunchesAcrossOffersThenSuppresses) {
  options_.cpus = 1;
  RunScheduler scheduler(options_, &out_, &err_);
  scheduler.resourceOffers(&driver_, {Offer("o1", 2, 1000), Offer("o2", 0.5, 1000)});
  EXPECT_EQ(driver_.launched.size(), 2u);
  EXPECT_EQ(driver_.declined, std::vector<std::string>{"o2"});
  EXPECT_EQ(driver_.suppresses, 0);
  scheduler.resourceOffers(&driver_, {Offer("o3", 4, 1000)});
  ASSERT_EQ(driver_.launched.size(), 3u);
  EXPECT_EQ(driver_.launched[2].task_id().value(), "job-2");
  EXPECT_EQ(driver_.launched[2].command().value(), "true");
  EXPECT_TRUE(driver_.launched[2].command().shell());
  EXPECT_EQ(driver_.suppresses, 1);
}

TEST_F(RunSchedulerTest, ExitsZeroOnlyWhenAllFinish) {
  RunScheduler scheduler(options_, &out_, &err_);
  for (const char* id : {"job-0", "job-1", "job-2"}) {
    scheduler.statusUpdate(&driver_, Status(id, v1::TASK_RUNNING));
  }
  EXPECT_FALSE(scheduler.WaitFinished(absl::ZeroDuration()));
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_FINISHED));
  scheduler.statusUpdate(&driver_, Status("job-1", v1::TASK_FINISHED));
  scheduler.statusUpdate(&driver_, Status("job-2", v1::TASK_FINISHED));
  EXPECT_TRUE(scheduler.WaitFinished(absl::ZeroDuration()));
  EXPECT_EQ(scheduler.ExitCode(), 0);
  EXPECT_EQ(scheduler.Summary(), "3 of 3 task(s) finished");
  EXPECT_NE(out_.str().find("job-1                RUNNING"), std::string::npos);
}

TEST_F(RunSchedulerTest, FailedTaskMakesTheRunFail) {
  options_.instances = 2;
  RunScheduler scheduler(options_, &out_, &err_);
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_FINISHED));
  v1::TaskStatus failed = Status("job-1", v1::TASK_FAILED);
  failed.set_message("Command exited with status 3");
  scheduler.statusUpdate(&driver_, failed);
  EXPECT_TRUE(scheduler.WaitFinished(absl::ZeroDuration()));
  EXPECT_EQ(scheduler.ExitCode(), 1);
  EXPECT_EQ(scheduler.Summary(), "1 of 2 task(s) finished; not finished: job-1 FAILED");
  EXPECT_NE(out_.str().find("Command exited with status 3"), std::string::npos);
}

TEST_F(RunSchedulerTest, DroppedTasksAreRetriedThenCountAsFailed) {
  options_.instances = 1;
  RunScheduler scheduler(options_, &out_, &err_);
  scheduler.resourceOffers(&driver_, {Offer("o1", 1, 1000)});
  EXPECT_EQ(driver_.suppresses, 1);
  for (int i = 0; i < RunScheduler::kMaxDropRetries; ++i) {
    scheduler.statusUpdate(&driver_,
                           Status(driver_.launched.back().task_id().value(), v1::TASK_DROPPED));
    EXPECT_FALSE(scheduler.WaitFinished(absl::ZeroDuration()));
    scheduler.resourceOffers(&driver_, {Offer("o", 1, 1000)});
    // Retried under a fresh id: the agent may still hold the dropped one.
    EXPECT_EQ(driver_.launched.back().task_id().value(), "job-0-retry" + std::to_string(i + 1));
  }
  EXPECT_EQ(driver_.revives, RunScheduler::kMaxDropRetries);
  EXPECT_EQ(driver_.launched.size(), 1u + RunScheduler::kMaxDropRetries);
  // A late update of an earlier launch changes nothing.
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_FAILED));
  EXPECT_FALSE(scheduler.WaitFinished(absl::ZeroDuration()));
  scheduler.statusUpdate(&driver_, Status("job-0-retry3", v1::TASK_DROPPED));
  EXPECT_TRUE(scheduler.WaitFinished(absl::ZeroDuration()));
  EXPECT_EQ(scheduler.ExitCode(), 1);
}

TEST_F(RunSchedulerTest, IgnoresDuplicatesAndForeignTasks) {
  options_.instances = 1;
  RunScheduler scheduler(options_, &out_, &err_);
  scheduler.statusUpdate(&driver_, Status("other-0", v1::TASK_FAILED));
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_RUNNING));
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_RUNNING));
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_FINISHED));
  scheduler.statusUpdate(&driver_, Status("job-0", v1::TASK_FAILED));
  EXPECT_EQ(scheduler.ExitCode(), 0);
  std::string out = out_.str();
  EXPECT_EQ(out.find("other-0"), std::string::npos);
  EXPECT_EQ(out.find("RUNNING"), out.rfind("RUNNING"));
}

TEST_F(RunSchedulerTest, DriverErrorFailsTheRun) {
  RunScheduler scheduler(options_, &out_, &err_);
  scheduler.error(&driver_, "framework failed over");
  EXPECT_TRUE(scheduler.WaitFinished(absl::ZeroDuration()));
  EXPECT_EQ(scheduler.ExitCode(), 1);
  EXPECT_NE(err_.str().find("framework failed over"), std::string::npos);
}

}  // namespace
}  // namespace agora::cli
