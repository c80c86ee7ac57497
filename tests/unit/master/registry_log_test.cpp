// The registry log's format (registry_log.hpp): framing, checksums, torn
// tails and corruption, in memory.
#include "master/registry_log.hpp"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace agora::master {
namespace {

internal::RegistryLogRecord Record(uint64_t sequence, const std::string& agent) {
  internal::RegistryLogRecord record;
  record.set_sequence(sequence);
  auto* op = record.add_operations();
  op->set_type(internal::Operation::PUT_AGENT);
  op->mutable_agent()->mutable_info()->mutable_id()->set_value(agent);
  op->mutable_agent()->mutable_info()->set_hostname(agent + ".example.com");
  record.add_operations()->set_type(internal::Operation::BUMP_EPOCH);
  return record;
}

// Three records; `starts` receives the offset of each.
std::string ThreeRecords(std::vector<size_t>* starts) {
  std::string data;
  for (uint64_t s = 1; s <= 3; ++s) {
    starts->push_back(data.size());
    AppendLogRecord(Record(s, "a" + std::to_string(s)), &data);
  }
  return data;
}

TEST(RegistryLogTest, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
}

TEST(RegistryLogTest, RecordsRoundTrip) {
  std::vector<size_t> starts;
  std::string data = ThreeRecords(&starts);
  auto log = ParseRegistryLog("log", data);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->records.size(), 3u);
  EXPECT_FALSE(log->torn_tail);
  EXPECT_EQ(log->valid_bytes, data.size());
  EXPECT_EQ(log->offsets, starts);
  EXPECT_EQ(log->records[2].sequence(), 3u);
  EXPECT_EQ(log->records[2].operations(0).agent().info().id().value(), "a3");
}

TEST(RegistryLogTest, LastRecordCutAtEveryByteIsATornTail) {
  std::vector<size_t> starts;
  const std::string data = ThreeRecords(&starts);
  for (size_t cut = starts[2] + 1; cut < data.size(); ++cut) {
    auto log = ParseRegistryLog("log", data.substr(0, cut));
    ASSERT_TRUE(log.ok()) << "cut at " << cut << ": " << log.status();
    EXPECT_EQ(log->records.size(), 2u) << "cut at " << cut;
    EXPECT_TRUE(log->torn_tail) << "cut at " << cut;
    EXPECT_EQ(log->valid_bytes, starts[2]) << "cut at " << cut;
  }
}

TEST(RegistryLogTest, BadChecksumOfTheLastRecordOrZerosAreATornTail) {
  std::vector<size_t> starts;
  std::string data = ThreeRecords(&starts);
  std::string garbled = data;
  garbled[garbled.size() - 2] ^= 0x55;
  auto log = ParseRegistryLog("log", garbled);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(log->torn_tail);
  EXPECT_EQ(log->records.size(), 2u);

  std::string zeros = data + std::string(100, '\0');
  log = ParseRegistryLog("log", zeros);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(log->torn_tail);
  EXPECT_EQ(log->records.size(), 3u);
  EXPECT_EQ(log->valid_bytes, data.size());
}

TEST(RegistryLogTest, CorruptionBeforeTheLastRecordIsDataLossNamingTheOffset) {
  std::vector<size_t> starts;
  const std::string data = ThreeRecords(&starts);
  // A flipped payload byte, then a flipped length byte, of the middle record.
  for (size_t at : {starts[2] - 3, starts[1]}) {
    std::string garbled = data;
    garbled[at] ^= 0x01;
    auto log = ParseRegistryLog("/x/registry/log", garbled);
    ASSERT_FALSE(log.ok()) << "flipped byte " << at;
    EXPECT_TRUE(absl::IsDataLoss(log.status()));
    const std::string message(log.status().message());
    EXPECT_TRUE(absl::StrContains(message, "/x/registry/log")) << message;
    EXPECT_TRUE(absl::StrContains(message, "byte " + std::to_string(starts[1]))) << message;
    EXPECT_TRUE(absl::StrContains(message, "move it aside")) << message;
  }
}

TEST(RegistryLogTest, SequenceGapIsDataLoss) {
  std::string data;
  AppendLogRecord(Record(1, "a"), &data);
  const size_t second = data.size();
  AppendLogRecord(Record(3, "b"), &data);
  auto log = ParseRegistryLog("log", data);
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::IsDataLoss(log.status()));
  EXPECT_TRUE(absl::StrContains(log.status().message(), "byte " + std::to_string(second)))
      << log.status();
}

TEST(RegistryLogTest, IndexedRegistryAgreesWithApplyOperation) {
  internal::Registry scanned;
  IndexedRegistry indexed;
  std::vector<internal::Operation> ops;
  for (int i = 0; i < 20; ++i) {
    internal::Operation put;
    put.set_type(internal::Operation::PUT_AGENT);
    put.mutable_agent()->mutable_info()->mutable_id()->set_value("a" + std::to_string(i % 7));
    put.mutable_agent()->mutable_info()->set_hostname("h" + std::to_string(i));
    ops.push_back(put);
    internal::Operation framework;
    framework.set_type(internal::Operation::PUT_FRAMEWORK);
    framework.mutable_framework()->mutable_info()->mutable_id()->set_value("f" +
                                                                           std::to_string(i % 5));
    ops.push_back(framework);
    if (i % 3 == 0) {
      internal::Operation remove;
      remove.set_type(internal::Operation::REMOVE_AGENT);
      remove.mutable_agent_id()->set_value("a" + std::to_string((i / 3) % 7));
      ops.push_back(remove);
      internal::Operation gone;
      gone.set_type(internal::Operation::REMOVE_FRAMEWORK);
      gone.mutable_framework_id()->set_value("f" + std::to_string(i % 5));
      ops.push_back(gone);
    }
  }
  for (const auto& op : ops) {
    ApplyOperation(op, &scanned);
    indexed.Apply(op);
    ASSERT_EQ(indexed.registry().SerializeAsString(), scanned.SerializeAsString());
  }
  // An index built from a loaded registry continues the same way.
  IndexedRegistry reloaded(scanned);
  for (const auto& op : ops) {
    ApplyOperation(op, &scanned);
    reloaded.Apply(op);
  }
  EXPECT_EQ(reloaded.registry().SerializeAsString(), scanned.SerializeAsString());
}

}  // namespace
}  // namespace agora::master
