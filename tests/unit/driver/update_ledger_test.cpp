#include "scheduler_driver/update_ledger.hpp"

#include <gtest/gtest.h>

#include <string>

namespace agora {
namespace {

TEST(UpdateLedgerTest, FirstSightingIsDeliveredAndNotAckedByTheLedger) {
  UpdateLedger ledger;
  auto decision = ledger.OnUpdate("u1", "s1");
  EXPECT_TRUE(decision.deliver);
  EXPECT_FALSE(decision.acknowledge);
}

TEST(UpdateLedgerTest, RetryOnTheSameStreamIsNeitherDeliveredNorAckedAgain) {
  UpdateLedger ledger;
  ASSERT_TRUE(ledger.OnUpdate("u1", "s1").deliver);
  ASSERT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  auto retry = ledger.OnUpdate("u1", "s1");
  EXPECT_FALSE(retry.deliver);
  EXPECT_FALSE(retry.acknowledge);
}

TEST(UpdateLedgerTest, RetryBeforeTheSchedulerAckedIsNotDeliveredTwice) {
  UpdateLedger ledger;  // Explicit acknowledgements: the scheduler acks later.
  ASSERT_TRUE(ledger.OnUpdate("u1", "s1").deliver);
  auto retry = ledger.OnUpdate("u1", "s1");
  EXPECT_FALSE(retry.deliver);
  EXPECT_FALSE(retry.acknowledge);
}

TEST(UpdateLedgerTest, RetryOnANewStreamIsReAcknowledgedOnceWithoutRedelivery) {
  UpdateLedger ledger;
  ledger.OnUpdate("u1", "s1");
  ledger.OnAcknowledge("u1", "s1");
  auto after_failover = ledger.OnUpdate("u1", "s2");
  EXPECT_FALSE(after_failover.deliver);
  EXPECT_TRUE(after_failover.acknowledge);
  ASSERT_TRUE(ledger.OnAcknowledge("u1", "s2"));
  EXPECT_FALSE(ledger.OnUpdate("u1", "s2").acknowledge);
}

TEST(UpdateLedgerTest, DuplicateAcknowledgementOnOneStreamIsSkipped) {
  UpdateLedger ledger;
  ledger.OnUpdate("u1", "s1");
  EXPECT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  EXPECT_FALSE(ledger.OnAcknowledge("u1", "s1"));
  EXPECT_TRUE(ledger.OnAcknowledge("u1", "s2"));
}

TEST(UpdateLedgerTest, FailedAcknowledgementCanBeSentAgainOnTheSameStream) {
  UpdateLedger ledger;
  ledger.OnUpdate("u1", "s1");
  ASSERT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  ledger.ForgetAcknowledge("u1", "s1");
  EXPECT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  ledger.ForgetAcknowledge("u1", "s0");  // Another stream's failure: no effect.
  EXPECT_FALSE(ledger.OnAcknowledge("u1", "s1"));
}

// The ack died with the master (failed in transit on the old stream); the
// agent re-sends the update through the new leader: acknowledge it there.
TEST(UpdateLedgerTest, AnAckThatFailedOnTheOldStreamIsSentAgainOnTheNewOne) {
  UpdateLedger ledger;
  ledger.OnUpdate("u1", "s1");
  ASSERT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  ledger.ForgetAcknowledge("u1", "s1");
  auto after_failover = ledger.OnUpdate("u1", "s2");
  EXPECT_FALSE(after_failover.deliver);
  EXPECT_TRUE(after_failover.acknowledge);
}

TEST(UpdateLedgerTest, AnAckThatFailedIsSentAgainWhenTheUpdateReturnsOnTheSameStream) {
  UpdateLedger ledger;
  ledger.OnUpdate("u1", "s1");
  ASSERT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  ledger.ForgetAcknowledge("u1", "s1");
  EXPECT_TRUE(ledger.OnUpdate("u1", "s1").acknowledge);
}

TEST(UpdateLedgerTest, UpdatesWithoutUuidAreAlwaysDelivered) {
  UpdateLedger ledger;
  EXPECT_TRUE(ledger.OnUpdate("", "s1").deliver);
  EXPECT_TRUE(ledger.OnUpdate("", "s1").deliver);
  EXPECT_FALSE(ledger.OnAcknowledge("", "s1"));
  EXPECT_EQ(ledger.size(), 0u);
}

TEST(UpdateLedgerTest, BoundedOldestForgottenFirst) {
  UpdateLedger ledger(/*capacity=*/2);
  ledger.OnUpdate("u1", "s");
  ledger.OnUpdate("u2", "s");
  ledger.OnUpdate("u3", "s");
  EXPECT_EQ(ledger.size(), 2u);
  EXPECT_TRUE(ledger.OnUpdate("u1", "s").deliver);  // Forgotten: at-least-once.
  EXPECT_FALSE(ledger.OnUpdate("u3", "s").deliver);
}

// Eviction follows first sightings, also after many entries went through
// (the order refers to the map's keys, which must stay valid).
TEST(UpdateLedgerTest, EvictionKeepsTheNewestCapacityEntries) {
  constexpr int kCapacity = 100;
  UpdateLedger ledger(kCapacity);
  for (int i = 0; i < 10 * kCapacity; ++i) {
    ASSERT_TRUE(ledger.OnUpdate("u" + std::to_string(i), "s").deliver) << i;
    ASSERT_TRUE(ledger.OnAcknowledge("u" + std::to_string(i), "s")) << i;
  }
  EXPECT_EQ(ledger.size(), static_cast<size_t>(kCapacity));
  for (int i = 9 * kCapacity; i < 10 * kCapacity; ++i) {
    EXPECT_FALSE(ledger.OnUpdate("u" + std::to_string(i), "s").deliver) << i;
  }
  EXPECT_TRUE(ledger.OnUpdate("u0", "s").deliver);  // Forgotten long ago.
}

// An ack on an acknowledged update's stream never repeats; the ledger tells
// streams apart however they alternate (s1, s2, back to s1).
TEST(UpdateLedgerTest, StreamsAreToldApartWhenTheyAlternate) {
  UpdateLedger ledger;
  ledger.OnUpdate("u1", "s1");
  ledger.OnUpdate("u2", "s1");
  ASSERT_TRUE(ledger.OnAcknowledge("u1", "s1"));
  ASSERT_TRUE(ledger.OnAcknowledge("u2", "s2"));
  EXPECT_TRUE(ledger.OnUpdate("u1", "s2").acknowledge);   // Acked on s1 only.
  EXPECT_FALSE(ledger.OnUpdate("u1", "s1").acknowledge);  // Back on s1: acked there.
  EXPECT_TRUE(ledger.OnUpdate("u2", "s1").acknowledge);
  ledger.ForgetAcknowledge("u2", "s1");  // Not the stream of its ack: no effect.
  EXPECT_FALSE(ledger.OnAcknowledge("u2", "s2"));
  ledger.ForgetAcknowledge("u2", "s2");
  EXPECT_TRUE(ledger.OnAcknowledge("u2", "s2"));
}

}  // namespace
}  // namespace agora
