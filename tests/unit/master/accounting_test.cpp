// The master's and the allocator's accounting stay in step: an Accept over
// offers made to different roles is refused (nothing consumed, nothing
// stranded), and a disagreement with the allocator is counted, exported and
// fails debug builds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/validation.hpp"
#include "master/http_endpoints.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using ::testing::HasSubstr;
using testing::MasterHarness;

// The offers the scheduler received so far, in order.
std::vector<v1::Offer> OffersOf(const MasterHarness::Scheduler& scheduler) {
  std::vector<v1::Offer> offers;
  for (const auto& event : scheduler.sink->events) {
    if (event.type() != v1::Event::OFFERS) continue;
    for (const auto& offer : event.offers().offers()) offers.push_back(offer);
  }
  return offers;
}

v1::TaskInfo Task(const std::string& id, const std::string& resources) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_resources() = Resources::Parse(resources)->ToProto();
  task.mutable_command()->set_shell(true);
  task.mutable_command()->set_value("sleep 1000");
  return task;
}

v1::AcceptRequest Accept(const MasterHarness::Scheduler& scheduler,
                         const std::vector<std::string>& offer_ids, const v1::TaskInfo& task) {
  v1::AcceptRequest request;
  *request.mutable_header() = scheduler.header();
  for (const auto& id : offer_ids) request.add_offer_ids()->set_value(id);
  auto* op = request.add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = task;
  return request;
}

Resources Sum(const std::vector<v1::Offer>& offers) {
  Resources total;
  for (const auto& offer : offers) total += *Resources::FromProto(offer.resources());
  return total;
}

// The repro of issue 10: an agent with resources reserved to two roles and
// a framework in both gets one offer per role.
TEST(MasterAccountingTest, AcceptOverTwoRolesIsRefusedAndNothingIsStranded) {
  MasterHarness h;
  v1::FrameworkInfo info = MasterHarness::FrameworkInfo("two-roles");
  info.clear_roles();
  info.add_roles("a");
  info.add_roles("b");
  auto scheduler = h.Subscribe(info);
  const Resources total = *Resources::Parse("cpus:2;mem:512;cpus(a):1;cpus(b):1");
  auto agent = h.RegisterAgent("host-a", "cpus:2;mem:512;cpus(a):1;cpus(b):1");
  h.loop().RunUntilIdle();
  std::vector<v1::Offer> offers = OffersOf(scheduler);
  ASSERT_EQ(offers.size(), 2u);
  ASSERT_NE(offers[0].allocation_role(), offers[1].allocation_role());
  ASSERT_EQ(Sum(offers), total);

  absl::Status mixed = h.core().Accept(
      Accept(scheduler, {offers[0].id().value(), offers[1].id().value()}, Task("t1", "cpus:1")));
  EXPECT_EQ(mixed.code(), absl::StatusCode::kInvalidArgument) << mixed;
  EXPECT_EQ(ViolatedField(mixed), "offer_ids[1]") << mixed;
  EXPECT_THAT(std::string(mixed.message()), HasSubstr("share one allocation_role"));
  // Nothing was consumed: both offers are still out, no task exists.
  EXPECT_EQ(h.core().GetOffers(v1::GetOffersRequest()).offers_size(), 2);
  EXPECT_EQ(scheduler.sink->Updates().size(), 0u);

  // Each offer accepted on its own works, and whatever is not used comes
  // back: after a revive the offers cover everything the task does not hold.
  // (The unreserved resources went to one of the roles.)
  const bool first_has_unreserved =
      Resources::FromProto(offers[0].resources())->Contains(*Resources::Parse("cpus:1"));
  const v1::Offer& with_unreserved = first_has_unreserved ? offers[0] : offers[1];
  const v1::Offer& reserved_only = first_has_unreserved ? offers[1] : offers[0];
  ASSERT_TRUE(h.core()
                  .Accept(Accept(scheduler, {with_unreserved.id().value()}, Task("t1", "cpus:1")))
                  .ok());
  EXPECT_EQ(scheduler.sink->Updates().size(), 0u);  // No TASK_ERROR: the task fits.
  v1::DeclineRequest decline;
  *decline.mutable_header() = scheduler.header();
  decline.add_offer_ids()->set_value(reserved_only.id().value());
  ASSERT_TRUE(h.core().Decline(decline).ok());
  v1::ReviveRequest revive;
  *revive.mutable_header() = scheduler.header();
  ASSERT_TRUE(h.core().Revive(revive).ok());
  h.loop().RunUntilIdle();
  auto outstanding = h.core().GetOffers(v1::GetOffersRequest()).offers();
  std::vector<v1::Offer> again(outstanding.begin(), outstanding.end());
  EXPECT_EQ(Sum(again) + *Resources::Parse("cpus:1"), total)
      << "offered again: " << Sum(again).ToString();
  EXPECT_EQ(h.core().Metrics().counters.allocation_invariant_violations, 0u);
}

TEST(MasterAccountingTest, AllocatorDisagreementIsCountedExportedAndFailsDebugBuilds) {
  MasterOptions options = MasterHarness::DefaultOptions();
  Allocation* allocation = nullptr;  // Owned by the core.
  MasterHarness h(options, [&allocation, options] {
    auto made = NewDrfAllocation(options.default_refuse, options.max_refuse);
    allocation = made.get();
    return made;
  });
  auto scheduler = h.Subscribe(MasterHarness::FrameworkInfo("f"));
  auto agent = h.RegisterAgent("host-a");
  h.loop().RunUntilIdle();
  std::vector<v1::Offer> offers = OffersOf(scheduler);
  ASSERT_EQ(offers.size(), 1u);
  // Behind the master's back the allocator forgets the agent (an event lost
  // between the two sets of books), so the decline recovers resources the
  // allocator does not hold.
  ASSERT_TRUE(allocation->RemoveAgent(agent.agent_id).ok());
  v1::DeclineRequest decline;
  *decline.mutable_header() = scheduler.header();
  decline.add_offer_ids()->set_value(offers[0].id().value());
  absl::Status declined;
  EXPECT_DEBUG_DEATH(declined = h.core().Decline(decline),
                     "Allocation invariant violated: Recover \\(declined offer\\): NOT_FOUND");
#ifdef NDEBUG
  // Release builds carry on: the scheduler's call succeeds (it did nothing
  // wrong) and the violation is counted and exported.
  EXPECT_TRUE(declined.ok()) << declined;
  EXPECT_EQ(h.core().Metrics().counters.allocation_invariant_violations, 1u);
  EXPECT_THAT(RenderMetrics(h.core().Metrics()),
              HasSubstr("agora_master_allocation_invariant_violations_total 1"));
#endif
}

}  // namespace
}  // namespace agora::master
