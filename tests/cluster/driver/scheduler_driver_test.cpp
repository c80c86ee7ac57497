// The scheduler driver against a scriptable fake master over real gRPC on
// loopback: subscription, offers and launches, acknowledgements, stream
// breaks, missed heartbeats, leader redirects, teardown and fatal errors.
#include <memory>
#include <set>
#include <string>

#include "agora/scheduler.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "recording_scheduler.hpp"

namespace agora {
namespace {

using testing::FakeMaster;
using testing::RecordingScheduler;

v1::FrameworkInfo Framework() {
  v1::FrameworkInfo info;
  info.set_name("test-framework");
  return info;
}

SchedulerDriverOptions FastOptions() {
  SchedulerDriverOptions options;
  options.initial_backoff_seconds = 0.01;
  options.max_backoff_seconds = 0.1;
  options.call_timeout_seconds = 5;
  return options;
}

// FastOptions for a scheduler that acknowledges its updates itself.
SchedulerDriverOptions ExplicitAckOptions() {
  SchedulerDriverOptions options = FastOptions();
  options.implicit_acknowledgements = false;
  return options;
}

v1::Event OffersEvent(const std::string& offer_id) {
  v1::Event event;
  event.set_type(v1::Event::OFFERS);
  v1::Offer* offer = event.mutable_offers()->add_offers();
  offer->mutable_id()->set_value(offer_id);
  offer->mutable_agent_id()->set_value("agent-1");
  return event;
}

v1::Event UpdateEvent(const std::string& task_id, v1::TaskState state, const std::string& uuid) {
  v1::Event event;
  event.set_type(v1::Event::UPDATE);
  v1::TaskStatus* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value(task_id);
  status->mutable_agent_id()->set_value("agent-1");
  status->set_state(state);
  status->set_uuid(uuid);
  return event;
}

v1::TaskInfo Task(const std::string& id) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_command()->set_shell(true);
  task.mutable_command()->set_value("true");
  return task;
}

TEST(SchedulerDriverTest, RegistersAndFillsFrameworkDefaults) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  EXPECT_EQ(driver.start(), SchedulerDriverStatus::RUNNING);
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  EXPECT_EQ(scheduler.events()[0], "registered fw-1 " + master.address());
  EXPECT_EQ(driver.framework_id(), "fw-1");
  EXPECT_TRUE(driver.connected());
  v1::SubscribeRequest request = master.subscribes().at(0);
  EXPECT_EQ(request.framework_info().name(), "test-framework");
  EXPECT_FALSE(request.framework_info().user().empty());
  ASSERT_EQ(request.framework_info().roles_size(), 1);
  EXPECT_EQ(request.framework_info().roles(0), "*");
  EXPECT_EQ(driver.stop(true), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(master.teardowns(), 0);
}

TEST(SchedulerDriverTest, LaunchesOnOffersWithHeader) {
  FakeMaster master;
  RecordingScheduler scheduler;
  scheduler.on_offers = [](SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
    driver->launchTasks({offers[0].id()}, {Task("t1")});
  };
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(OffersEvent("o1"));
  ASSERT_TRUE(master.WaitFor([&] { return !master.accepts().empty(); }));
  v1::AcceptRequest accept = master.accepts()[0];
  EXPECT_EQ(accept.header().framework_id().value(), "fw-1");
  EXPECT_EQ(accept.header().stream_id(), "stream-1");
  ASSERT_EQ(accept.offer_ids_size(), 1);
  EXPECT_EQ(accept.offer_ids(0).value(), "o1");
  ASSERT_EQ(accept.operations_size(), 1);
  EXPECT_EQ(accept.operations(0).type(), v1::Offer::Operation::LAUNCH);
  EXPECT_EQ(accept.operations(0).launch().task_infos(0).task_id().value(), "t1");
}

TEST(SchedulerDriverTest, LaunchTakingTheTasksSendsThemInOrder) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  scheduler.on_offers = [&driver](SchedulerDriver*, const std::vector<v1::Offer>& offers) {
    std::vector<v1::TaskInfo> tasks = {Task("t1"), Task("t2")};
    driver.launchTasks({offers[0].id()}, std::move(tasks));
  };
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(OffersEvent("o1"));
  ASSERT_TRUE(master.WaitFor([&] { return !master.accepts().empty(); }));
  v1::AcceptRequest accept = master.accepts()[0];
  ASSERT_EQ(accept.operations_size(), 1);
  EXPECT_EQ(accept.operations(0).type(), v1::Offer::Operation::LAUNCH);
  const auto& tasks = accept.operations(0).launch().task_infos();
  ASSERT_EQ(tasks.size(), 2);
  EXPECT_EQ(tasks[0].task_id().value(), "t1");
  EXPECT_EQ(tasks[1].task_id().value(), "t2");
  EXPECT_EQ(tasks[1].command().value(), "true");
}

TEST(SchedulerDriverTest, ImplicitlyAcknowledgesUpdatesWithUuid) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  // A master-generated update (no uuid) needs no ack; an executor's does.
  master.Push(UpdateEvent("t1", v1::TASK_STAGING, ""));
  master.Push(UpdateEvent("t1", v1::TASK_RUNNING, "uuid-1"));
  ASSERT_TRUE(master.WaitFor([&] { return !master.acknowledges().empty(); }));
  ASSERT_TRUE(scheduler.WaitFor("update t1", 2));
  v1::AcknowledgeRequest ack = master.acknowledges()[0];
  EXPECT_EQ(ack.uuid(), "uuid-1");
  EXPECT_EQ(ack.task_id().value(), "t1");
  EXPECT_EQ(ack.agent_id().value(), "agent-1");
  EXPECT_EQ(ack.header().stream_id(), "stream-1");
  driver.stop(true);
  driver.join();
  EXPECT_EQ(master.acknowledges().size(), 1u);
}

TEST(SchedulerDriverTest, ExplicitAcknowledgementsWaitForTheScheduler) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), ExplicitAckOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-9"));
  ASSERT_TRUE(scheduler.WaitFor("update t1 TASK_FINISHED"));
  EXPECT_TRUE(master.acknowledges().empty());
  driver.acknowledgeStatusUpdate(scheduler.updates()[0]);
  ASSERT_TRUE(master.WaitFor([&] { return !master.acknowledges().empty(); }));
  EXPECT_EQ(master.acknowledges()[0].uuid(), "uuid-9");
}

TEST(SchedulerDriverTest, ReSentUpdateReachesTheSchedulerOnceAndIsAcknowledgedOnce) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  // The agent's retry overtook the acknowledgement: the same uuid twice.
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-1"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-1"));
  master.Push(UpdateEvent("t2", v1::TASK_RUNNING, "uuid-2"));
  ASSERT_TRUE(scheduler.WaitFor("update t2"));
  // Updates handled in one loop turn have their acks sent in one call:
  // count uuids, not calls.
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledged_uuids().size() >= 2; }));
  // A teardown waits for the commands in flight: every ack sent has landed.
  driver.stop();
  driver.join();
  EXPECT_EQ(scheduler.Count("update t1 TASK_FINISHED"), 1);
  std::vector<std::string> uuids = master.acknowledged_uuids();
  std::multiset<std::string> acked(uuids.begin(), uuids.end());
  EXPECT_EQ(acked, (std::multiset<std::string>{"uuid-1", "uuid-2"}));
}

TEST(SchedulerDriverTest, UpdateReSentAfterResubscribeIsAcknowledgedAgainNotRedelivered) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-1"));
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges().size() == 1; }));
  // The master restarted before relaying the ack: the agent re-sends the
  // update on the framework's new stream.
  master.BreakStream();
  ASSERT_TRUE(scheduler.WaitFor("reregistered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-1"));
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges().size() == 2; }));
  // A teardown waits for the commands in flight: every ack sent has landed.
  driver.stop();
  driver.join();
  EXPECT_EQ(scheduler.Count("update t1 TASK_FINISHED"), 1);
  std::vector<v1::AcknowledgeRequest> acks = master.acknowledges();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].header().stream_id(), "stream-1");
  EXPECT_EQ(acks[1].header().stream_id(), "stream-2");
  EXPECT_EQ(acks[1].uuid(), "uuid-1");
}

TEST(SchedulerDriverTest, ExplicitDuplicateAcknowledgementIsNotSentTwice) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), ExplicitAckOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-9"));
  master.Push(UpdateEvent("t2", v1::TASK_FINISHED, "uuid-10"));
  ASSERT_TRUE(scheduler.WaitFor("update t2 TASK_FINISHED"));
  v1::TaskStatus first = scheduler.updates()[0];
  driver.acknowledgeStatusUpdate(first);
  driver.acknowledgeStatusUpdate(first);
  driver.acknowledgeStatusUpdate(scheduler.updates()[1]);
  // Acks queued in one loop turn may share a call: count uuids, not calls.
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledged_uuids().size() >= 2; }));
  // A teardown waits for the commands in flight: every ack sent has landed.
  driver.stop();
  driver.join();
  std::vector<std::string> uuids = master.acknowledged_uuids();
  std::multiset<std::string> acked(uuids.begin(), uuids.end());
  EXPECT_EQ(acked, (std::multiset<std::string>{"uuid-9", "uuid-10"}));
}

TEST(SchedulerDriverTest, AcknowledgementLostInTransitIsRetriedOnTheSameStream) {
  FakeMaster master;
  master.set_command_status(absl::UnavailableError("the master is overloaded"));
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "uuid-1"));
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges().size() == 1; }));
  master.set_command_status(absl::OkStatus());
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges().size() == 2; }));
  driver.stop();
  driver.join();
  EXPECT_EQ(master.acknowledges().size(), 2u);
  EXPECT_EQ(master.acknowledges()[1].uuid(), "uuid-1");
  EXPECT_EQ(master.acknowledges()[1].header().stream_id(), "stream-1");
  EXPECT_EQ(scheduler.Count("update t1"), 1);
}

TEST(SchedulerDriverTest, BrokenStreamDisconnectsAndResubscribesWithFrameworkId) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.BreakStream();
  ASSERT_TRUE(scheduler.WaitFor("reregistered"));
  std::vector<std::string> events = scheduler.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1], "disconnected");
  std::vector<v1::SubscribeRequest> subscribes = master.subscribes();
  ASSERT_EQ(subscribes.size(), 2u);
  EXPECT_TRUE(subscribes[0].framework_info().id().value().empty());
  EXPECT_EQ(subscribes[1].framework_info().id().value(), "fw-1");
  // Commands use the new stream.
  driver.reconcileTasks({});
  ASSERT_TRUE(master.WaitFor([&] { return !master.reconciles().empty(); }));
  EXPECT_EQ(master.reconciles()[0].header().stream_id(), "stream-2");
  EXPECT_EQ(master.reconciles()[0].tasks_size(), 0);
}

TEST(SchedulerDriverTest, MissedHeartbeatsCountAsDisconnection) {
  FakeMaster master;
  master.set_heartbeat_interval(0.05);  // And the fake never sends one.
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  ASSERT_TRUE(scheduler.WaitFor("disconnected"));
  ASSERT_TRUE(scheduler.WaitFor("reregistered"));
  EXPECT_EQ(master.subscribes().at(1).framework_info().id().value(), "fw-1");
}

TEST(SchedulerDriverTest, HeartbeatsKeepTheConnection) {
  FakeMaster master;
  master.set_heartbeat_interval(0.2);
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  v1::Event heartbeat;
  heartbeat.set_type(v1::Event::HEARTBEAT);
  // ~1.2 s of heartbeats every 0.1 s: twice the 0.6 s allowance.
  for (int i = 0; i < 12; ++i) {
    master.Push(heartbeat);
    master.WaitFor([] { return false; }, absl::Milliseconds(100));
  }
  EXPECT_EQ(scheduler.Count("disconnected"), 0);
}

TEST(SchedulerDriverTest, FollowsLeaderRedirect) {
  FakeMaster leader;
  FakeMaster follower;
  follower.set_redirect_to(leader.address());
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), follower.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  EXPECT_EQ(scheduler.events()[0], "registered fw-1 " + leader.address());
  EXPECT_EQ(driver.master_address(), leader.address());
  EXPECT_EQ(follower.subscribes().size(), 1u);
}

TEST(SchedulerDriverTest, CommandRedirectMovesTheSubscriptionToTheLeader) {
  FakeMaster old_leader;
  FakeMaster new_leader;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), old_leader.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  // The old master loses leadership: its next answer names the new leader.
  old_leader.set_redirect_to(new_leader.address());
  driver.reconcileTasks({});
  ASSERT_TRUE(scheduler.WaitFor("reregistered " + new_leader.address()));
  EXPECT_EQ(scheduler.Count("disconnected"), 1);
  EXPECT_EQ(new_leader.subscribes().at(0).framework_info().id().value(), "fw-1");
  EXPECT_EQ(driver.master_address(), new_leader.address());
}

TEST(SchedulerDriverTest, StopWithoutFailoverTearsDown) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  EXPECT_EQ(driver.stop(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(master.teardowns(), 1);
  EXPECT_EQ(scheduler.Count("disconnected"), 0);
  // Commands after stop are ignored.
  EXPECT_EQ(driver.reviveOffers(), SchedulerDriverStatus::STOPPED);
}

TEST(SchedulerDriverTest, StopFromCallbackTearsDownAfterTheLastAck) {
  FakeMaster master;
  // A slow acknowledgement must still reach the master before the teardown.
  master.set_acknowledge_delay(absl::Milliseconds(200));
  RecordingScheduler scheduler;
  scheduler.on_update = [](SchedulerDriver* driver, const v1::TaskStatus&) { driver->stop(); };
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "u"));
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(master.teardowns(), 1);
  EXPECT_EQ(master.calls(), (std::vector<std::string>{"acknowledge", "teardown"}));
}

// The same with explicit acknowledgements: the ack given in the callback is
// queued there and leaves at the end of the loop turn, before the teardown.
TEST(SchedulerDriverTest, ExplicitAckThenStopFromCallbackTearsDownAfterTheAck) {
  FakeMaster master;
  master.set_acknowledge_delay(absl::Milliseconds(200));
  RecordingScheduler scheduler;
  scheduler.on_update = [](SchedulerDriver* driver, const v1::TaskStatus& status) {
    driver->acknowledgeStatusUpdate(status);
    driver->stop();
  };
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), ExplicitAckOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t1", v1::TASK_FINISHED, "u"));
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::STOPPED);
  EXPECT_EQ(master.teardowns(), 1);
  EXPECT_EQ(master.calls(), (std::vector<std::string>{"acknowledge", "teardown"}));
  EXPECT_EQ(master.acknowledged_uuids(), (std::vector<std::string>{"u"}));
}

TEST(SchedulerDriverTest, ErrorEventAbortsTheDriver) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  v1::Event error;
  error.set_type(v1::Event::ERROR);
  error.mutable_error()->set_message("framework failed over");
  master.Push(error);
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::ABORTED);
  EXPECT_EQ(scheduler.events().back(), "error framework failed over");
  EXPECT_EQ(master.subscribes().size(), 1u);
}

TEST(SchedulerDriverTest, RefusedSubscriptionIsFatal) {
  FakeMaster master;
  master.set_subscribe_status(absl::InvalidArgumentError("framework_info.name: must not be empty"));
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::ABORTED);
  ASSERT_EQ(scheduler.Count("error"), 1);
  EXPECT_NE(scheduler.events()[0].find("framework_info.name"), std::string::npos);
}

TEST(SchedulerDriverTest, InvalidMasterSpecAborts) {
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), "no-port", FastOptions());
  EXPECT_EQ(driver.start(), SchedulerDriverStatus::ABORTED);
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::ABORTED);
  ASSERT_EQ(scheduler.Count("error master"), 1);
}

TEST(SchedulerDriverTest, RejectedLaunchReportsTaskError) {
  FakeMaster master;
  master.set_command_status(absl::InvalidArgumentError("operations[0].launch: bad"));
  RecordingScheduler scheduler;
  scheduler.on_offers = [](SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
    driver->launchTasks({offers[0].id()}, {Task("t1"), Task("t2")});
  };
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(OffersEvent("o1"));
  ASSERT_TRUE(scheduler.WaitFor("update t2 TASK_ERROR"));
  EXPECT_EQ(scheduler.Count("update t1 TASK_ERROR"), 1);
  EXPECT_TRUE(scheduler.WaitFor("call_failed accept operations[0].launch: bad"));
  EXPECT_EQ(scheduler.updates()[0].message(), "operations[0].launch: bad");
}

TEST(SchedulerDriverTest, LaunchWhileDisconnectedIsDropped) {
  // Nothing listens on the address the driver is given.
  FakeMaster* gone = new FakeMaster();
  std::string address = gone->address();
  delete gone;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), address, FastOptions());
  driver.start();
  v1::OfferID offer;
  offer.set_value("o1");
  driver.launchTasks({offer}, {Task("t1")});
  ASSERT_TRUE(scheduler.WaitFor("update t1 TASK_DROPPED"));
  EXPECT_EQ(scheduler.updates()[0].reason(), v1::TaskStatus::REASON_MASTER_DISCONNECTED);
  EXPECT_EQ(driver.abort(), SchedulerDriverStatus::ABORTED);
  EXPECT_EQ(driver.join(), SchedulerDriverStatus::ABORTED);
}

TEST(SchedulerDriverTest, DispatchesEveryEventType) {
  FakeMaster master;
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  v1::Event rescind;
  rescind.set_type(v1::Event::RESCIND);
  rescind.mutable_rescind()->mutable_offer_id()->set_value("o7");
  master.Push(rescind);
  v1::Event message;
  message.set_type(v1::Event::MESSAGE);
  message.mutable_message()->mutable_executor_id()->set_value("e1");
  message.mutable_message()->mutable_agent_id()->set_value("a1");
  message.mutable_message()->set_data("hi");
  master.Push(message);
  v1::Event agent_lost;
  agent_lost.set_type(v1::Event::FAILURE);
  agent_lost.mutable_failure()->mutable_agent_id()->set_value("a2");
  master.Push(agent_lost);
  v1::Event executor_lost = agent_lost;
  executor_lost.mutable_failure()->mutable_executor_id()->set_value("e3");
  executor_lost.mutable_failure()->set_status(9);
  executor_lost.mutable_failure()->set_has_status(true);
  master.Push(executor_lost);
  ASSERT_TRUE(scheduler.WaitFor("executor_lost"));
  std::vector<std::string> events = scheduler.events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[1], "rescinded o7");
  EXPECT_EQ(events[2], "message e1 a1 hi");
  EXPECT_EQ(events[3], "agent_lost a2");
  EXPECT_EQ(events[4], "executor_lost e3 a2 9");
}

}  // namespace
}  // namespace agora
