// Framework identity on MasterCore (MasterHarness): the master assigns ids
// that never repeat, accepts a re-subscription only for a framework it knows
// and for the same principal, and a takeover of a live framework closes the
// old stream with ERROR.
#include <gtest/gtest.h>

#include <set>

#include "common/validation.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

v1::FrameworkInfo WithId(v1::FrameworkInfo info, const std::string& id) {
  info.mutable_id()->set_value(id);
  return info;
}

v1::FrameworkInfo WithPrincipal(v1::FrameworkInfo info, const std::string& principal) {
  info.set_principal(principal);
  return info;
}

bool Listed(MasterHarness& h, const std::string& framework_id) {
  return !h.FrameworkSummary(framework_id).info().id().value().empty();
}

v1::ReviveRequest Revive(const MasterHarness::Scheduler& scheduler) {
  v1::ReviveRequest request;
  *request.mutable_header() = scheduler.header();
  return request;
}

TEST(FrameworkIdentityTest, AnIdTheMasterNeverAssignedIsNotFound) {
  MasterHarness h;
  // "framework-1-1" is exactly the id this master assigns next.
  auto made_up = h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch"), "framework-1-1"));
  EXPECT_TRUE(made_up.framework_id.empty());
  absl::Status status = made_up.sink->close_status;
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(ViolatedField(status), "framework_info.id");
  EXPECT_FALSE(Listed(h, "framework-1-1"));
  EXPECT_TRUE(h.registry().durable.frameworks().empty());

  // The id is assigned later to a new framework, which is then its only owner.
  auto fresh = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  EXPECT_EQ(fresh.framework_id, "framework-1-1");
  EXPECT_EQ(h.core().GetFrameworks(v1::GetFrameworksRequest()).frameworks_size(), 1);
}

TEST(FrameworkIdentityTest, AssignedIdsNeverRepeatAcrossRestarts) {
  MasterHarness h;
  std::set<std::string> ids;
  for (int restart = 0; restart < 3; ++restart) {
    for (int i = 0; i < 3; ++i) {
      auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
      ASSERT_FALSE(framework.framework_id.empty());
      EXPECT_TRUE(ids.insert(framework.framework_id).second) << framework.framework_id;
      if (i == 0) ASSERT_TRUE(h.Teardown(framework).ok());  // Removed ids count too.
    }
    ASSERT_TRUE(h.Restart().ok());
  }
  EXPECT_EQ(ids.size(), 9u);
  EXPECT_EQ(h.registry().durable.epoch(), 4u);  // One bump per start.
}

TEST(FrameworkIdentityTest, AnIdAlreadyInTheRegistryIsNeverAssignedAgain) {
  MasterHarness h;
  // A registry that disagrees with its epoch (e.g. edited by hand) already
  // holds the id the next master would assign first.
  auto* record = h.registry().durable.add_frameworks();
  *record->mutable_info() = WithId(MasterHarness::FrameworkInfo("old"), "framework-2-1");
  h.registry().durable.add_removed_frameworks()->set_value("framework-2-2");
  ASSERT_TRUE(h.Restart().ok());
  auto fresh = h.Subscribe(MasterHarness::FrameworkInfo("new"));
  EXPECT_EQ(fresh.framework_id, "framework-2-3");
  EXPECT_EQ(h.FrameworkSummary("framework-2-1").info().name(), "old");
}

TEST(FrameworkIdentityTest, ATornDownIdIsRefusedAsRemovedAndTheLiveOnesAreUntouched) {
  MasterHarness h;
  auto gone = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  ASSERT_TRUE(h.Teardown(gone).ok());
  auto live = h.Subscribe(MasterHarness::FrameworkInfo("other"));
  auto again = h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch"), gone.framework_id));
  EXPECT_TRUE(again.framework_id.empty());
  absl::Status status = again.sink->close_status;
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(ViolatedField(status), "framework_info.id");
  EXPECT_NE(status.message().find("removed"), std::string::npos) << status;
  EXPECT_FALSE(Listed(h, gone.framework_id));
  EXPECT_NE(live.framework_id, gone.framework_id);
  EXPECT_TRUE(h.core().Revive(Revive(live)).ok());
}

TEST(FrameworkIdentityTest, AnIdWhoseFailoverTimeoutExpiredIsRefusedAsRemoved) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 10));
  h.Disconnect(framework);
  h.Advance(absl::Seconds(10));
  auto again =
      h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch", 10), framework.framework_id));
  EXPECT_TRUE(absl::IsFailedPrecondition(again.sink->close_status)) << again.sink->close_status;
}

TEST(FrameworkIdentityTest, ADisconnectedFrameworkResubscribesWithinItsTimeout) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 10));
  h.Disconnect(framework);
  h.Advance(absl::Seconds(9));
  auto again =
      h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch", 10), framework.framework_id));
  EXPECT_EQ(again.framework_id, framework.framework_id);
  h.Advance(absl::Seconds(60));  // The failover timer was cancelled.
  EXPECT_TRUE(h.FrameworkSummary(framework.framework_id).connected());
}

TEST(FrameworkIdentityTest, AnotherPrincipalIsPermissionDeniedAndTheOwnerKeepsItsStream) {
  MasterHarness h;
  auto owner = h.Subscribe(WithPrincipal(MasterHarness::FrameworkInfo("batch"), "alice"));
  for (const std::string principal : {"mallory", ""}) {
    auto thief = h.Subscribe(WithId(WithPrincipal(MasterHarness::FrameworkInfo("batch"), principal),
                                    owner.framework_id));
    EXPECT_TRUE(thief.framework_id.empty());
    absl::Status status = thief.sink->close_status;
    EXPECT_TRUE(absl::IsPermissionDenied(status)) << principal << ": " << status;
    EXPECT_EQ(ViolatedField(status), "framework_info.id");
  }
  EXPECT_FALSE(owner.sink->closed);
  EXPECT_EQ(owner.sink->Count(v1::Event::ERROR), 0);
  EXPECT_TRUE(h.core().Revive(Revive(owner)).ok());
  EXPECT_TRUE(h.FrameworkSummary(owner.framework_id).connected());
}

TEST(FrameworkIdentityTest, EmptyPrincipalMatchesEmptyPrincipal) {
  MasterHarness h;
  auto owner = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto again = h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch"), owner.framework_id));
  EXPECT_EQ(again.framework_id, owner.framework_id);
  auto thief = h.Subscribe(
      WithId(WithPrincipal(MasterHarness::FrameworkInfo("batch"), "alice"), owner.framework_id));
  EXPECT_TRUE(absl::IsPermissionDenied(thief.sink->close_status)) << thief.sink->close_status;
}

TEST(FrameworkIdentityTest, ARecoveredFrameworkIsKnownOnlyToItsPrincipal) {
  MasterHarness h;
  auto owner = h.Subscribe(WithPrincipal(MasterHarness::FrameworkInfo("batch", 100), "alice"));
  ASSERT_TRUE(h.Restart().ok());
  auto thief = h.Subscribe(
      WithId(WithPrincipal(MasterHarness::FrameworkInfo("batch", 100), "bob"), owner.framework_id));
  EXPECT_TRUE(absl::IsPermissionDenied(thief.sink->close_status)) << thief.sink->close_status;
  auto again = h.Subscribe(WithId(
      WithPrincipal(MasterHarness::FrameworkInfo("batch", 100), "alice"), owner.framework_id));
  EXPECT_EQ(again.framework_id, owner.framework_id);
}

TEST(FrameworkIdentityTest, TakeoverOfALiveFrameworkClosesTheOldStreamWithAnError) {
  MasterHarness h;
  auto first = h.Subscribe(WithPrincipal(MasterHarness::FrameworkInfo("batch"), "alice"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(first, agent, "t1");
  auto second = h.Subscribe(
      WithId(WithPrincipal(MasterHarness::FrameworkInfo("batch"), "alice"), first.framework_id));
  ASSERT_EQ(second.framework_id, first.framework_id);
  EXPECT_NE(second.stream_id, first.stream_id);

  ASSERT_EQ(first.sink->Count(v1::Event::ERROR), 1);
  const v1::Event& last = first.sink->events.back();
  EXPECT_EQ(last.type(), v1::Event::ERROR);
  EXPECT_NE(last.error().message().find("replaced"), std::string::npos) << last.error().message();
  EXPECT_TRUE(first.sink->closed);

  absl::Status stale = h.core().Revive(Revive(first));
  EXPECT_TRUE(absl::IsFailedPrecondition(stale)) << stale;
  EXPECT_TRUE(h.core().Revive(Revive(second)).ok());
  // One framework, connected once, with its task.
  MasterMetrics metrics = h.core().Metrics();
  EXPECT_EQ(metrics.frameworks_connected, 1u);
  EXPECT_EQ(metrics.frameworks_disconnected, 0u);
  EXPECT_EQ(h.FrameworkSummary(first.framework_id).active_tasks(), 1u);
  // The old stream's own close does not disconnect the new subscriber.
  h.core().OnFrameworkStreamClosed(first.token);
  h.loop().RunUntilIdle();
  EXPECT_TRUE(h.FrameworkSummary(first.framework_id).connected());
  EXPECT_TRUE(h.core().Revive(Revive(second)).ok());
}

}  // namespace
}  // namespace agora::master
