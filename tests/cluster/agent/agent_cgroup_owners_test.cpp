// Cgroup litter: an agent at start removes the empty agora-* cgroup
// directories of agents that are no longer running (real cgroups v1/v2),
// never those of a live agent nor those nobody claimed. Skipped (saying
// why) where this machine's cgroups are not writable.
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "agent/cgroup_owners.hpp"
#include "agent/isolator.hpp"
#include "agent_cluster_fixture.hpp"

namespace agora::agent {
namespace {

class CgroupLitterTest : public CgroupsClusterTest {
 protected:
  void SetUp() override {
    CgroupsClusterTest::SetUp();
    if (IsSkipped()) return;
    owners_ = dir_ + "/owners";
  }

  // Creates the (empty) directories of an agent's subdir in every
  // hierarchy, as the isolator of an agent does at start.
  static std::vector<std::string> MakeAgentDirs(const std::string& subdir) {
    IsolatorOptions options;
    options.subdir = subdir;
    auto isolator = CgroupsIsolator::Create(options);
    EXPECT_TRUE(isolator.ok()) << isolator.status();
    if (!isolator.ok()) return {};
    const CgroupsLayout& layout = (*isolator)->layout();
    if (layout.version == CgroupsVersion::kV2) return {layout.v2_base};
    std::vector<std::string> dirs;
    for (const auto& [controller, base] : layout.v1_bases) dirs.push_back(base);
    return dirs;
  }

  static bool AnyExists(const std::vector<std::string>& dirs) {
    for (const std::string& dir : dirs)
      if (access(dir.c_str(), F_OK) == 0) return true;
    return false;
  }
  static bool AllExist(const std::vector<std::string>& dirs) {
    for (const std::string& dir : dirs)
      if (access(dir.c_str(), F_OK) != 0) return false;
    return !dirs.empty();
  }

  std::string owners_;
};

TEST_F(CgroupLitterTest, ADeadAgentsEmptyDirectoryIsRemovedAtTheNextStartALiveOnesIsNot) {
  // A live agent, with no container.
  AgentOptions live_options = Options();
  live_options.isolation = AgentOptions::Isolation::kCgroups;
  live_options.cgroups_owners_dir = owners_;
  live_options.work_dir = dir_ + "/live-work";
  auto live = Agent::Start(live_options);
  ASSERT_TRUE(live.ok()) << live.status();
  std::vector<std::string> live_dirs;
  for (const auto& entry : std::filesystem::directory_iterator(owners_)) {
    std::string text = ReadWholeFile(entry.path());
    if (text.rfind(live_options.work_dir + "\n", 0) != 0) continue;
    std::istringstream lines(text.substr(text.find('\n') + 1));
    for (std::string line; std::getline(lines, line);) live_dirs.push_back(line);
  }
  ASSERT_TRUE(AllExist(live_dirs)) << "the live agent recorded no directories";
  // Then an agent dies (had it died before the live one started, the live
  // one's start would have swept it): it claimed and recorded its
  // directories, and its lock is free (as SIGKILL leaves it).
  std::string dead_subdir = "agora-litter-test-dead-" + std::to_string(getpid());
  std::vector<std::string> dead = MakeAgentDirs(dead_subdir);
  {
    auto claimed = CgroupOwnership::Claim(owners_, dead_subdir, dir_ + "/dead-work");
    ASSERT_TRUE(claimed.ok()) << claimed.status();
    ASSERT_TRUE((*claimed)->Record(dead).ok());
  }
  // Directories nobody claimed (an agent older than the owner files).
  std::string unowned_subdir = "agora-litter-test-unowned-" + std::to_string(getpid());
  std::vector<std::string> unowned = MakeAgentDirs(unowned_subdir);
  ASSERT_TRUE(AllExist(dead));

  // The next agent to start sweeps.
  AgentOptions options = Options();
  options.isolation = AgentOptions::Isolation::kCgroups;
  options.cgroups_owners_dir = owners_;
  StartAgent(options);
  EXPECT_FALSE(AnyExists(dead)) << "the dead agent's empty directories were not removed";
  EXPECT_FALSE(std::filesystem::exists(owners_ + "/" + dead_subdir + ".owner"));
  EXPECT_TRUE(AllExist(live_dirs)) << "a live agent's directories were touched";
  EXPECT_TRUE(AllExist(unowned)) << "directories nobody claimed were touched";
  (*live)->Shutdown();
  EXPECT_FALSE(AnyExists(live_dirs)) << "a clean shutdown removes the agent's own directories";
  for (const auto& entry : std::filesystem::directory_iterator(owners_)) {
    EXPECT_NE(ReadWholeFile(entry.path()).rfind(live_options.work_dir + "\n", 0), 0u)
        << "the stopped agent's owner file " << entry.path() << " is left behind";
  }

  for (const std::string& dir : unowned) rmdir(dir.c_str());
}

}  // namespace
}  // namespace agora::agent
