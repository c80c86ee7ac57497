// WatchHub on the manual clock: type filters, heartbeats exactly every
// interval while someone watches, subscribers whose sink refuses an event
// are forgotten, CloseAll ends every stream.
#include "master/watch_hub.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/manual_event_loop.hpp"

namespace agora::master {
namespace {

// Records what it is sent; refuses once `capacity` events are held (like a
// stream whose bounded queue is full).
class FakeSink : public WatchSink {
 public:
  explicit FakeSink(size_t capacity = 1000) : capacity_(capacity) {}
  bool Send(const v1::WatchEvent& event) override {
    if (closed || events.size() >= capacity_) return false;
    events.push_back(event.type());
    return true;
  }
  void Close(const absl::Status& status) override {
    closed = true;
    close_status = status;
  }

  std::vector<v1::WatchEvent::Type> events;
  bool closed = false;
  absl::Status close_status;

 private:
  size_t capacity_;
};

v1::WatchEvent Event(v1::WatchEvent::Type type) {
  v1::WatchEvent event;
  event.set_type(type);
  return event;
}

TEST(WatchHubTest, DeliversOnlyTheSelectedTypesAndHeartbeatsToAll) {
  agora::testing::ManualEventLoop loop;
  WatchHub hub(&loop, absl::Seconds(15));
  auto all = std::make_shared<FakeSink>();
  auto agents = std::make_shared<FakeSink>();
  hub.Add(all, {});
  hub.Add(agents, {v1::WatchEvent::AGENT_ADDED});
  EXPECT_TRUE(hub.Wants(v1::WatchEvent::TASK_ADDED));
  hub.Publish(Event(v1::WatchEvent::TASK_ADDED));
  hub.Publish(Event(v1::WatchEvent::AGENT_ADDED));
  loop.AdvanceTime(absl::Seconds(15));
  using T = v1::WatchEvent;
  EXPECT_EQ(all->events, (std::vector<T::Type>{T::TASK_ADDED, T::AGENT_ADDED, T::HEARTBEAT}));
  EXPECT_EQ(agents->events, (std::vector<T::Type>{T::AGENT_ADDED, T::HEARTBEAT}));
}

TEST(WatchHubTest, HeartbeatsEveryIntervalOnlyWhileSomeoneWatches) {
  agora::testing::ManualEventLoop loop;
  WatchHub hub(&loop, absl::Seconds(10));
  auto sink = std::make_shared<FakeSink>();
  const uint64_t id = hub.Add(sink, {});
  loop.AdvanceTime(absl::Seconds(9));
  EXPECT_TRUE(sink->events.empty());
  loop.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(sink->events.size(), 1u);
  loop.AdvanceTime(absl::Seconds(20));
  EXPECT_EQ(sink->events.size(), 3u);
  hub.Remove(id);
  EXPECT_FALSE(hub.Wants(v1::WatchEvent::TASK_ADDED));
  loop.AdvanceTime(absl::Seconds(60));
  EXPECT_EQ(sink->events.size(), 3u);
}

TEST(WatchHubTest, ASubscriberThatRefusesAnEventIsForgottenTheOthersGoOn) {
  agora::testing::ManualEventLoop loop;
  WatchHub hub(&loop, absl::Seconds(10));
  auto slow = std::make_shared<FakeSink>(2);
  auto fast = std::make_shared<FakeSink>();
  hub.Add(slow, {});
  hub.Add(fast, {});
  for (int i = 0; i < 5; ++i) hub.Publish(Event(v1::WatchEvent::TASK_UPDATED));
  EXPECT_EQ(slow->events.size(), 2u);
  EXPECT_EQ(fast->events.size(), 5u);
  EXPECT_EQ(hub.size(), 1u);
  EXPECT_EQ(hub.dropped(), 1u);
}

TEST(WatchHubTest, CloseAllEndsEveryStreamWithTheStatus) {
  agora::testing::ManualEventLoop loop;
  WatchHub hub(&loop, absl::Seconds(10));
  auto a = std::make_shared<FakeSink>();
  auto b = std::make_shared<FakeSink>();
  hub.Add(a, {});
  hub.Add(b, {v1::WatchEvent::TASK_ADDED});
  hub.CloseAll(absl::UnavailableError("stepped down"));
  EXPECT_TRUE(a->closed);
  EXPECT_TRUE(b->closed);
  EXPECT_TRUE(absl::IsUnavailable(b->close_status));
  EXPECT_EQ(hub.size(), 0u);
  loop.AdvanceTime(absl::Seconds(30));
  EXPECT_TRUE(a->events.empty());
}

}  // namespace
}  // namespace agora::master
