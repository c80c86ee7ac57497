#include "master/registry.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "common/resources.hpp"
#include "master/master_options.hpp"
#include "tests/support/manual_event_loop.hpp"

namespace agora::master {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("agora-registry-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static internal::Operation PutAgent(const std::string& id) {
    internal::Operation op;
    op.set_type(internal::Operation::PUT_AGENT);
    op.mutable_agent()->mutable_info()->mutable_id()->set_value(id);
    op.mutable_agent()->set_status(internal::AgentRecord::ADMITTED);
    return op;
  }

  std::filesystem::path dir_;
  agora::testing::ManualEventLoop loop_;
};

TEST_F(RegistryTest, AppliedOperationsSurviveARestart) {
  {
    LocalRegistry registry(&loop_, dir_.string());
    ASSERT_TRUE(registry.Recover().ok());
    int committed = 0;
    registry.Apply({PutAgent("a1"), PutAgent("a2")}, [&](absl::Status s) {
      EXPECT_TRUE(s.ok());
      ++committed;
    });
    internal::Operation bump;
    bump.set_type(internal::Operation::BUMP_EPOCH);
    registry.Apply({bump}, [&](absl::Status s) { ++committed; });
    registry.Flush();
    loop_.RunUntilIdle();
    EXPECT_EQ(committed, 2);
  }
  LocalRegistry reloaded(&loop_, dir_.string());
  auto state = reloaded.Recover();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->agents_size(), 2);
  EXPECT_EQ(state->agents(1).info().id().value(), "a2");
  EXPECT_EQ(state->epoch(), 1u);
}

TEST_F(RegistryTest, AnUnchangedPutIsNotWrittenAndStillCompletesInOrder) {
  LocalRegistry registry(&loop_, dir_.string());
  ASSERT_TRUE(registry.Recover().ok());
  std::vector<std::string> order;
  registry.Apply({PutAgent("a1")},
                 [&](absl::Status s) { order.push_back("first " + s.ToString()); });
  registry.Flush();
  loop_.RunUntilIdle();
  const LocalRegistry::Stats before = registry.stats();

  // The same record again (an agent re-registering unchanged): no write.
  registry.Apply({PutAgent("a1")},
                 [&](absl::Status s) { order.push_back("same " + s.ToString()); });
  registry.Flush();
  loop_.RunUntilIdle();
  EXPECT_EQ(registry.stats().batches, before.batches);
  EXPECT_EQ(registry.stats().fsyncs, before.fsyncs);
  EXPECT_EQ(registry.stats().bytes, before.bytes);

  // A changed record is written; an unchanged one behind it completes after it.
  internal::Operation unreachable = PutAgent("a1");
  unreachable.mutable_agent()->set_status(internal::AgentRecord::UNREACHABLE);
  registry.Apply({unreachable},
                 [&](absl::Status s) { order.push_back("changed " + s.ToString()); });
  registry.Apply({unreachable}, [&](absl::Status s) { order.push_back("again " + s.ToString()); });
  registry.Flush();
  loop_.RunUntilIdle();
  EXPECT_GT(registry.stats().batches, before.batches);
  EXPECT_EQ(order, (std::vector<std::string>{"first OK", "same OK", "changed OK", "again OK"}));
  ASSERT_EQ(registry.state().agents_size(), 1);
  EXPECT_EQ(registry.state().agents(0).status(), internal::AgentRecord::UNREACHABLE);
}

TEST(IndexedRegistryTest, ARecordDifferingOnlyDeepInsideChangesTheRegistry) {
  internal::Operation put;
  put.set_type(internal::Operation::PUT_AGENT);
  internal::AgentRecord* record = put.mutable_agent();
  record->mutable_info()->mutable_id()->set_value("a1");
  record->mutable_info()->set_hostname("host-a");
  *record->mutable_info()->mutable_resources() = Resources::Parse("cpus:4;mem:4096")->ToProto();
  record->set_status(internal::AgentRecord::ADMITTED);
  IndexedRegistry registry;
  registry.Apply(put);
  EXPECT_TRUE(registry.ChangesNothing(put));
  internal::Operation more_memory = put;
  more_memory.mutable_agent()->mutable_info()->mutable_resources(1)->set_scalar(4097);
  EXPECT_FALSE(registry.ChangesNothing(more_memory));
  internal::Operation attribute = put;
  attribute.mutable_agent()->mutable_info()->add_attributes()->set_name("rack");
  EXPECT_FALSE(registry.ChangesNothing(attribute));
  internal::Operation draining = put;
  draining.mutable_agent()->set_draining(true);
  EXPECT_FALSE(registry.ChangesNothing(draining));
}

TEST(IndexedRegistryTest, ApplyChangesKeepsOnlyWhatChangesTheRegistryInOrder) {
  auto put = [](const std::string& id, internal::AgentRecord::Status status) {
    internal::Operation op;
    op.set_type(internal::Operation::PUT_AGENT);
    op.mutable_agent()->mutable_info()->mutable_id()->set_value(id);
    op.mutable_agent()->set_status(status);
    return op;
  };
  IndexedRegistry registry;
  registry.Apply(put("a1", internal::AgentRecord::ADMITTED));
  EXPECT_TRUE(registry.ChangesNothing(put("a1", internal::AgentRecord::ADMITTED)));
  EXPECT_FALSE(registry.ChangesNothing(put("a1", internal::AgentRecord::GONE)));
  EXPECT_FALSE(registry.ChangesNothing(put("a2", internal::AgentRecord::ADMITTED)));
  internal::Operation bump;
  bump.set_type(internal::Operation::BUMP_EPOCH);
  EXPECT_FALSE(registry.ChangesNothing(bump));
  // a1 unchanged (dropped), then a1 -> GONE and back to ADMITTED: both kept,
  // each judged against the registry as the ones before it left it.
  auto changes = registry.ApplyChanges({put("a1", internal::AgentRecord::ADMITTED),
                                        put("a1", internal::AgentRecord::GONE),
                                        put("a1", internal::AgentRecord::ADMITTED), bump});
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].agent().status(), internal::AgentRecord::GONE);
  EXPECT_EQ(changes[1].agent().status(), internal::AgentRecord::ADMITTED);
  EXPECT_EQ(changes[2].type(), internal::Operation::BUMP_EPOCH);
  ASSERT_NE(registry.FindAgent("a1"), nullptr);
  EXPECT_EQ(registry.FindAgent("a1")->status(), internal::AgentRecord::ADMITTED);
  EXPECT_EQ(registry.FindAgent("a2"), nullptr);
  EXPECT_EQ(registry.registry().epoch(), 1u);
}

TEST_F(RegistryTest, PutReplacesAndRemoveDeletes) {
  internal::Registry registry;
  ApplyOperation(PutAgent("a1"), &registry);
  internal::Operation unreachable = PutAgent("a1");
  unreachable.mutable_agent()->set_status(internal::AgentRecord::UNREACHABLE);
  ApplyOperation(unreachable, &registry);
  ASSERT_EQ(registry.agents_size(), 1);
  EXPECT_EQ(registry.agents(0).status(), internal::AgentRecord::UNREACHABLE);
  internal::Operation remove;
  remove.set_type(internal::Operation::REMOVE_AGENT);
  remove.mutable_agent_id()->set_value("a1");
  ApplyOperation(remove, &registry);
  EXPECT_EQ(registry.agents_size(), 0);
}

TEST_F(RegistryTest, AtomicWriteLeavesNoTempFileAndReplacesContent) {
  std::filesystem::create_directories(dir_);
  const std::string path = (dir_ / "file").string();
  ASSERT_TRUE(AtomicWriteFile(path, "old").ok());
  ASSERT_TRUE(AtomicWriteFile(path, "new").ok());
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "new");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(RegistryTest, LeftoverTempFileFromACrashIsIgnored) {
  {
    LocalRegistry registry(&loop_, dir_.string());
    ASSERT_TRUE(registry.Recover().ok());
    registry.Apply({PutAgent("a1")}, nullptr);
    registry.Flush();
  }
  // A crash between write and rename leaves a partial temp file behind.
  std::ofstream((dir_ / "registry" / "registry.pb.tmp").string()) << "garbage";
  LocalRegistry reloaded(&loop_, dir_.string());
  auto state = reloaded.Recover();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->agents_size(), 1);
}

TEST_F(RegistryTest, CorruptRegistryIsReportedNotIgnored) {
  std::filesystem::create_directories(dir_ / "registry");
  std::ofstream((dir_ / "registry" / "registry.pb").string()) << "\xff\xff\xff garbage";
  LocalRegistry registry(&loop_, dir_.string());
  auto state = registry.Recover();
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDataLoss);
}

TEST(MasterOptionsTest, BadValuesNameTheField) {
  MasterOptions options;
  options.work_dir = "/tmp/x";
  EXPECT_TRUE(options.Validate().ok());
  options.offer_timeout = absl::Seconds(-1);
  EXPECT_NE(options.Validate().message().find("offer_timeout"), std::string::npos);
  options = MasterOptions();
  EXPECT_NE(options.Validate().message().find("work_dir"), std::string::npos);
  options.work_dir = "/tmp/x";
  options.max_missed_heartbeats = 0;
  EXPECT_NE(options.Validate().message().find("max_missed_heartbeats"), std::string::npos);
  options = MasterOptions();
  options.work_dir = "/tmp/x";
  options.registry = "zk";
  EXPECT_NE(options.Validate().message().find("registry"), std::string::npos);
}

TEST(MasterOptionsTest, ReplicatedMastersNeedAValidZkUrlAndTheZkRegistry) {
  MasterOptions options;
  options.work_dir = "/tmp/x";
  options.zk = "zk://127.0.0.1:2181/agora";
  options.registry = "zk";
  EXPECT_TRUE(options.Validate().ok()) << options.Validate();
  options.registry = "local";
  EXPECT_TRUE(absl::StartsWith(options.Validate().message(), "zk:")) << options.Validate();
  EXPECT_NE(options.Validate().message().find("--registry=zk"), std::string::npos);
  options.registry = "zk";
  for (const char* bad : {"127.0.0.1:2181", "zk://127.0.0.1:2181", "zk:///agora", "zk://h/agora"}) {
    options.zk = bad;
    EXPECT_TRUE(absl::StartsWith(options.Validate().message(), "zk:")) << bad;
  }
  options.zk = "zk://127.0.0.1:2181/agora";
  options.zk_session_timeout = absl::Milliseconds(10);
  EXPECT_NE(options.Validate().message().find("zk_session_timeout"), std::string::npos);
}

}  // namespace
}  // namespace agora::master
