// The embeddable Master's durability and hygiene: one master per work dir,
// nothing written before the port is bound, step-down when the registry
// cannot be written, /health and /ready, close-on-exec sockets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"
#include "tests/cluster/master/standalone_master_test.hpp"
#include "tests/support/http_get.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::SchedulerClient;

// Starts its masters itself (several per test, some on purpose refused).
class MasterDurabilityTest : public StandaloneMasterTest {
 protected:
  MasterDurabilityTest() { options_.work_dir = dir_.path() + "/master"; }
  std::unique_ptr<Master> NewMaster() {
    auto master = Master::Start(options_);
    EXPECT_TRUE(master.ok()) << master.status();
    return master.ok() ? std::move(*master) : nullptr;
  }
  static google::protobuf::RepeatedPtrField<v1::Resource> Res(const std::string& text) {
    return Resources::Parse(text)->ToProto();
  }

  std::filesystem::path dir() const { return dir_.path(); }
};

TEST_F(MasterDurabilityTest, SecondMasterOnTheSameWorkDirIsRefusedNamingTheHolder) {
  auto first = NewMaster();
  ASSERT_NE(first, nullptr);
  auto second = Master::Start(options_);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_NE(second.status().message().find(absl::StrCat("pid ", ::getpid())), std::string::npos)
      << second.status();
  // The first keeps serving, and once it stops the work dir is free again.
  EXPECT_NE(agora::testing::HttpGet(first->http_port(), "/health").find("200 OK"),
            std::string::npos);
  first->Stop();
  EXPECT_NE(NewMaster(), nullptr);
}

TEST_F(MasterDurabilityTest, MasterThatCannotBindItsPortWritesNoRegistry) {
  auto holder = NewMaster();
  ASSERT_NE(holder, nullptr);
  MasterOptions options = options_;
  options.work_dir = (dir() / "other").string();
  options.port = holder->port();
  auto refused = Master::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("cannot listen"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir() / "other" / "registry" / "log"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "other" / "registry" / "snapshot.pb"));
}

TEST_F(MasterDurabilityTest, ReadyAndHealthyOnceRecovered) {
  auto master = NewMaster();
  ASSERT_NE(master, nullptr);
  EXPECT_NE(agora::testing::HttpGet(master->http_port(), "/ready").find("200 OK"),
            std::string::npos);
  EXPECT_NE(agora::testing::HttpGet(master->http_port(), "/health").find("200 OK"),
            std::string::npos);
}

TEST_F(MasterDurabilityTest, UnwritableRegistryStepsTheMasterDownThroughTheHook) {
  std::mutex mutex;
  std::condition_variable stepped_down;
  std::vector<std::string> reasons;
  options_.on_step_down = [&](const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mutex);
    reasons.push_back(std::string(status.message()));
    stepped_down.notify_all();
  };
  auto master = NewMaster();
  ASSERT_NE(master, nullptr);
  // Even root cannot write below a regular file.
  const auto registry_dir = std::filesystem::path(options_.work_dir) / "registry";
  // Moved aside in one step (the master may be writing into it right now:
  // a recursive removal could race with a new file and fail).
  std::filesystem::rename(registry_dir, registry_dir.string() + ".gone");
  std::ofstream(registry_dir.string()) << "not a directory";

  FakeAgentClient agent(master->address());
  internal::AgentMessage reg;
  reg.set_type(internal::AgentMessage::REGISTER);
  reg.mutable_register_()->mutable_agent_info()->set_hostname("fake-agent");
  *reg.mutable_register_()->mutable_agent_info()->mutable_resources() = Res("cpus:1;mem:64");
  agent.Send(reg);
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(
        stepped_down.wait_for(lock, std::chrono::seconds(10), [&] { return !reasons.empty(); }));
    EXPECT_EQ(reasons.size(), 1u);
    // Names the registry's path (the directory or its log: the master's
    // start-up write may race with the move above).
    EXPECT_NE(reasons[0].find(registry_dir.string()), std::string::npos) << reasons[0];
  }
  for (const auto& message : agent.messages.All()) {
    EXPECT_NE(message.type(), internal::MasterMessage::REGISTERED);  // Never admitted.
  }
  std::string health = agora::testing::HttpGet(master->http_port(), "/health");
  EXPECT_NE(health.find("503"), std::string::npos) << health;
  EXPECT_NE(health.find("registry"), std::string::npos) << health;
  EXPECT_NE(agora::testing::HttpGet(master->http_port(), "/ready").find("503"), std::string::npos);
}

// The local registry's writes are counted on /metrics: the start-up epoch
// bump and an admission are at least one fdatasync each.
TEST_F(MasterDurabilityTest, RegistryFsyncsAndBytesAreOnMetrics) {
  auto master = NewMaster();
  ASSERT_NE(master, nullptr);
  FakeAgentClient agent(master->address());
  ASSERT_FALSE(agent.Register(Res("cpus:1;mem:64")).empty());
  const std::string metrics = agora::testing::HttpGet(master->http_port(), "/metrics");
  for (const char* name :
       {"agora_master_registry_fsyncs_total ", "agora_master_registry_bytes_written_total "}) {
    size_t at = metrics.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name << " missing";
    const double value = std::stod(metrics.substr(at + 1 + std::strlen(name)));
    EXPECT_GE(value, 2) << name;
  }
}

// Through a real restart on the same work dir (LocalRegistry on disk): the
// framework and the agent are listed at once, the framework as
// disconnected; the agent that does not return becomes unreachable after the
// window, and the framework is removed when its failover timeout runs out.
TEST_F(MasterDurabilityTest, RestartedMasterListsWhatDidNotComeBackThenTimesItOut) {
  options_.agent_reregister_timeout = absl::Milliseconds(300);
  auto master = NewMaster();
  ASSERT_NE(master, nullptr);
  std::string agent_id;
  std::string framework_id;
  {
    FakeAgentClient agent(master->address());
    agent_id = agent.Register(Res("cpus:1;mem:64"));
    ASSERT_FALSE(agent_id.empty());
    SchedulerClient scheduler(master->address());
    v1::FrameworkInfo info;
    info.set_name("restarted");
    info.set_user("nobody");
    info.add_roles("*");
    info.set_failover_timeout(1.0);
    ASSERT_TRUE(scheduler.Subscribe(info));
    framework_id = scheduler.header.framework_id().value();
  }
  master->Stop();
  master.reset();
  master = NewMaster();
  ASSERT_NE(master, nullptr);
  auto stub = v1::MasterOperator::NewStub(
      grpc::CreateChannel(master->address(), grpc::InsecureChannelCredentials()));
  auto agents = [&] {
    grpc::ClientContext context;
    v1::GetAgentsResponse response;
    EXPECT_TRUE(stub->GetAgents(&context, v1::GetAgentsRequest(), &response).ok());
    return response;
  };
  auto frameworks = [&] {
    grpc::ClientContext context;
    v1::GetFrameworksResponse response;
    EXPECT_TRUE(stub->GetFrameworks(&context, v1::GetFrameworksRequest(), &response).ok());
    return response;
  };
  ASSERT_EQ(agents().agents_size(), 1);
  EXPECT_EQ(agents().agents(0).info().id().value(), agent_id);
  ASSERT_EQ(frameworks().frameworks_size(), 1);
  EXPECT_EQ(frameworks().frameworks(0).info().id().value(), framework_id);
  EXPECT_FALSE(frameworks().frameworks(0).connected());

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto wait = [&](const std::function<bool()>& done) {
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  };
  EXPECT_TRUE(wait([&] { return agents().agents(0).status() == v1::AgentSummary::UNREACHABLE; }));
  EXPECT_TRUE(wait([&] { return frameworks().frameworks_size() == 0; }));
}

// Every socket the master opened (gRPC and HTTP, listening and accepted) is
// close-on-exec, so nothing the process spawns can hold its ports.
TEST_F(MasterDurabilityTest, MasterSocketsAreCloseOnExec) {
  auto master = NewMaster();
  ASSERT_NE(master, nullptr);
  FakeAgentClient agent(master->address());
  ASSERT_FALSE(agent.Register(Res("cpus:1;mem:64")).empty());
  ASSERT_NE(agora::testing::HttpGet(master->http_port(), "/health").find("200 OK"),
            std::string::npos);
  int sockets = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target.string().rfind("socket:", 0) != 0) continue;
    const int fd = std::stoi(entry.path().filename().string());
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) continue;  // Closed meanwhile.
    ++sockets;
    EXPECT_TRUE(flags & FD_CLOEXEC)
        << "fd " << fd << " (" << target << ") is inherited by children";
  }
  EXPECT_GE(sockets, 2);
}

}  // namespace
}  // namespace agora::master
