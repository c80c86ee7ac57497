// An accept of an offer that is no longer valid (used, rescinded, expired)
// answers OK and drops every task with an update, as docs/protocol.md says:
// the outcome of a launch always arrives as task updates.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

TEST(StaleOfferTest, AnAcceptOfAUsedOfferIsOkAndEveryTaskIsDropped) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto agent = h.RegisterAgent("host-a");
  h.loop().RunUntilIdle();
  std::string used;
  for (const auto& event : framework.sink->events) {
    if (event.type() == v1::Event::OFFERS) used = event.offers().offers(0).id().value();
  }
  ASSERT_FALSE(used.empty());
  h.Launch(framework, agent, "t1");  // Accepts that offer.

  v1::AcceptRequest request;
  *request.mutable_header() = framework.header();
  request.add_offer_ids()->set_value(used);
  auto* launch = request.add_operations();
  launch->set_type(v1::Offer::Operation::LAUNCH);
  for (const std::string id : {"t2", "t3"}) {
    v1::TaskInfo* task = launch->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_resources() = Resources::Parse("cpus:1")->ToProto();
    task->mutable_command()->set_value("true");
  }
  absl::Status status = h.core().Accept(request);
  EXPECT_TRUE(status.ok()) << status;
  h.loop().RunUntilIdle();
  for (const std::string id : {"t2", "t3"}) {
    auto updates = framework.sink->UpdatesFor(id);
    ASSERT_EQ(updates.size(), 1u) << id;
    EXPECT_EQ(updates[0].state(), v1::TASK_DROPPED);
    EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_INVALID_OFFERS);
    EXPECT_TRUE(updates[0].uuid().empty());
  }
  EXPECT_EQ(h.core().Metrics().counters.tasks_dropped, 2u);
  EXPECT_EQ(agent.sink->Count(internal::MasterMessage::RUN_TASKS), 1);  // Only t1's.
}

}  // namespace
}  // namespace agora::master
