// The scheduler driver against the real in-process master (no agents):
// subscription, teardown on stop(), failover with the framework id after
// stop(true), the ERROR a replaced subscriber gets, and reconciliation of an
// unknown task.
#include <filesystem>
#include <memory>

#include "agora/scheduler.hpp"
#include "gtest/gtest.h"
#include "master/master.hpp"
#include "recording_scheduler.hpp"

namespace agora {
namespace {

using testing::RecordingScheduler;

class DriverMasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_dir_ = std::filesystem::temp_directory_path() /
                ("driver_master_test_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(work_dir_);
    std::filesystem::create_directories(work_dir_);
    master::MasterOptions options;
    options.port = 0;
    options.http_port = -1;
    options.work_dir = work_dir_.string();
    auto started = master::Master::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    master_ = std::move(*started);
  }
  void TearDown() override {
    if (master_) master_->Stop();
    std::filesystem::remove_all(work_dir_);
  }

  static v1::FrameworkInfo Framework() {
    v1::FrameworkInfo info;
    info.set_name("driver-master-test");
    return info;
  }

  static SchedulerDriverOptions Fast() {
    SchedulerDriverOptions options;
    options.initial_backoff_seconds = 0.01;
    options.max_backoff_seconds = 0.2;
    return options;
  }

  std::filesystem::path work_dir_;
  std::unique_ptr<master::Master> master_;
};

TEST_F(DriverMasterTest, RegistersAndReconcilesUnknownTask) {
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master_->address(), Fast());
  ASSERT_EQ(driver.start(), SchedulerDriverStatus::RUNNING);
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  EXPECT_FALSE(driver.framework_id().empty());
  v1::TaskStatus unknown;
  unknown.mutable_task_id()->set_value("never-launched");
  driver.reconcileTasks({unknown});
  ASSERT_TRUE(scheduler.WaitFor("update never-launched"));
  EXPECT_EQ(scheduler.updates().back().state(), v1::TASK_UNKNOWN);
  EXPECT_TRUE(scheduler.updates().back().uuid().empty());
  EXPECT_EQ(driver.stop(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(scheduler.Count("call_failed"), 0);
}

TEST_F(DriverMasterTest, FailoverWithFrameworkIdAfterStopWithFailover) {
  RecordingScheduler first;
  std::string framework_id;
  {
    AgoraSchedulerDriver driver(&first, Framework(), master_->address(), Fast());
    driver.start();
    ASSERT_TRUE(first.WaitFor("registered"));
    framework_id = driver.framework_id();
    driver.stop(/*failover=*/true);
    driver.join();
  }
  RecordingScheduler second;
  v1::FrameworkInfo info = Framework();
  info.mutable_id()->set_value(framework_id);
  AgoraSchedulerDriver driver(&second, info, master_->address(), Fast());
  driver.start();
  ASSERT_TRUE(second.WaitFor("registered"));
  EXPECT_EQ(driver.framework_id(), framework_id);
  driver.stop();
  driver.join();
}

TEST_F(DriverMasterTest, ReplacedSubscriberGetsError) {
  RecordingScheduler first;
  AgoraSchedulerDriver driver1(&first, Framework(), master_->address(), Fast());
  driver1.start();
  ASSERT_TRUE(first.WaitFor("registered"));
  RecordingScheduler second;
  v1::FrameworkInfo info = Framework();
  info.mutable_id()->set_value(driver1.framework_id());
  AgoraSchedulerDriver driver2(&second, info, master_->address(), Fast());
  driver2.start();
  ASSERT_TRUE(second.WaitFor("registered"));
  EXPECT_EQ(driver1.join(), SchedulerDriverStatus::ABORTED);
  EXPECT_EQ(first.Count("error"), 1);
  driver2.stop();
  EXPECT_EQ(driver2.join(), SchedulerDriverStatus::STOPPED);
}

TEST_F(DriverMasterTest, TornDownFrameworkCannotFailOver) {
  RecordingScheduler first;
  std::string framework_id;
  {
    AgoraSchedulerDriver driver(&first, Framework(), master_->address(), Fast());
    driver.start();
    ASSERT_TRUE(first.WaitFor("registered"));
    framework_id = driver.framework_id();
    driver.stop();  // Teardown.
    driver.join();
  }
  RecordingScheduler second;
  v1::FrameworkInfo info = Framework();
  info.mutable_id()->set_value(framework_id);
  AgoraSchedulerDriver driver(&second, info, master_->address(), Fast());
  driver.start();
  // The master refuses the id with FAILED_PRECONDITION: fatal for the driver.
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::ABORTED);
  ASSERT_EQ(second.Count("error"), 1);
  EXPECT_NE(second.events()[0].find("torn down"), std::string::npos) << second.events()[0];
}

TEST_F(DriverMasterTest, MadeUpFrameworkIdAbortsTheDriverWithNotFound) {
  RecordingScheduler scheduler;
  v1::FrameworkInfo info = Framework();
  info.mutable_id()->set_value("framework-1-1");  // What the master would assign first.
  AgoraSchedulerDriver driver(&scheduler, info, master_->address(), Fast());
  driver.start();
  // NOT_FOUND is fatal for the driver: it does not retry forever.
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::ABORTED);
  ASSERT_EQ(scheduler.Count("error"), 1);
  EXPECT_NE(scheduler.events()[0].find("not known"), std::string::npos) << scheduler.events()[0];
}

}  // namespace
}  // namespace agora
