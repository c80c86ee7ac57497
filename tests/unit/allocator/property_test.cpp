// Randomized property tests: a random sequence of master calls against a
// model of outstanding allocations. Every seed is printed on failure.

#include <random>

#include "allocator/allocator.hpp"
#include "allocator_test_util.hpp"

namespace agora::allocator {
namespace {

using testing::Framework;
using testing::R;
using testing::T;

const std::vector<std::string> kRoles = {"*", "eng", "eng/batch", "eng/web", "ops", "ops/x/y"};

struct Run {
  std::vector<std::string> log;  // every allocation, in order
};

// Key of the model: (framework, agent, role).
using Key = std::tuple<std::string, std::string, std::string>;

class Simulation {
 public:
  explicit Simulation(uint64_t seed) : rng_(seed) {
    AllocatorOptions options;
    options.seed = seed;
    allocator_ = std::make_unique<Allocator>(options);
  }

  void Setup() {
    for (int i = 0; i < 12; ++i) {
      std::string id = "a" + std::to_string(i);
      std::string reserved_role = kRoles[Pick(kRoles.size())];
      std::string total = "cpus:" + std::to_string(1 + Pick(8)) +
                          ";mem:" + std::to_string(256 * (1 + Pick(8))) + ";ports:[1000-1010]";
      if (reserved_role != "*") total += ";cpus(" + reserved_role + "):1";
      if (Pick(4) == 0) total += ";gpus:1";
      ASSERT_TRUE(allocator_->AddAgent(testing::Agent(id, total)).ok());
      totals_[id] = R(total);
    }
    ASSERT_TRUE(allocator_->UpdateQuota("eng", R("cpus:6"), R("cpus:20")).ok());
    ASSERT_TRUE(allocator_->UpdateQuota("ops/x", Resources(), R("cpus:3")).ok());
    ASSERT_TRUE(allocator_->UpdateWeights({{"ops", 2}}).ok());
    for (int i = 0; i < 8; ++i) AddFramework("f" + std::to_string(i));
  }

  void AddFramework(const std::string& id) {
    FrameworkSpec spec = Framework(id, {kRoles[Pick(kRoles.size())]});
    if (Pick(2) == 0) {
      std::string second = kRoles[Pick(kRoles.size())];
      if (second != spec.roles[0]) spec.roles.push_back(second);
    }
    spec.gpu_capable = Pick(2) == 0;
    ASSERT_TRUE(allocator_->AddFramework(spec).ok());
    frameworks_.push_back(id);
  }

  void Step(int step) {
    now_ += Pick(3);
    switch (Pick(8)) {
      case 0:
      case 1:
      case 2: {
        for (Allocation& a : allocator_->Allocate(T(now_))) {
          log_.push_back(a.framework_id + "@" + a.agent_id + "/" + a.role + "=" +
                         a.resources.ToString());
          held_[{a.framework_id, a.agent_id, a.role}] += a.resources;
        }
        break;
      }
      case 3:
      case 4: {
        if (held_.empty()) break;
        auto it = std::next(held_.begin(), Pick(held_.size()));
        auto [fw, agent, role] = it->first;
        Resources give_back = Pick(2) == 0                            ? it->second
                              : it->second.ScalarQuantities().empty() ? it->second
                                                                      : Half(it->second);
        std::optional<absl::Duration> refuse;
        if (Pick(2) == 0) refuse = absl::Seconds(Pick(10));
        ASSERT_TRUE(allocator_->RecoverResources(fw, agent, role, give_back, refuse, T(now_)).ok());
        it->second -= give_back;
        if (it->second.empty()) held_.erase(it);
        break;
      }
      case 5: {
        const std::string& fw = frameworks_[Pick(frameworks_.size())];
        if (Pick(2) == 0) {
          ASSERT_TRUE(allocator_->SuppressRoles(fw, {}).ok());
        } else {
          ASSERT_TRUE(allocator_->ReviveRoles(fw, {}).ok());
        }
        break;
      }
      case 6: {
        std::string agent = "a" + std::to_string(Pick(totals_.size()));
        if (Pick(2) == 0) {
          ASSERT_TRUE(allocator_->DeactivateAgent(agent).ok());
        } else {
          ASSERT_TRUE(allocator_->ActivateAgent(agent).ok());
        }
        break;
      }
      case 7: {
        size_t i = Pick(frameworks_.size());
        std::string fw = frameworks_[i];
        ASSERT_TRUE(allocator_->RemoveFramework(fw).ok());
        for (auto it = held_.begin(); it != held_.end();) {
          it = std::get<0>(it->first) == fw ? held_.erase(it) : std::next(it);
        }
        frameworks_.erase(frameworks_.begin() + i);
        AddFramework(fw + "x" + std::to_string(step));
        break;
      }
    }
  }

  void CheckInvariants() {
    std::map<std::string, Resources> allocated;
    Resources ops_x_unreserved, eng_unreserved;
    for (const auto& [key, resources] : held_) {
      const auto& [fw, agent, role] = key;
      // No resource is held twice: the sum always fits in the agent.
      allocated[agent] += resources;
      if (role.rfind("ops/x", 0) == 0) {
        ops_x_unreserved += resources.Unreserved().NonRevocable();
      }
      if (role.rfind("eng", 0) == 0) {
        eng_unreserved += resources.Unreserved().NonRevocable();
      }
    }
    for (const auto& [agent, total] : totals_) {
      Resources free = *allocator_->AgentFree(agent);
      ASSERT_EQ(allocated[agent] + free, total)
          << agent << ": allocated " << allocated[agent] << " free " << free;
      ASSERT_TRUE(total.Contains(allocated[agent]));
    }
    ASSERT_LE(ops_x_unreserved.cpus(), 3);
    ASSERT_LE(eng_unreserved.cpus(), 20);
    absl::Status derived = allocator_->CheckDerivedState();
    ASSERT_TRUE(derived.ok()) << derived;
  }

  const std::vector<std::string>& log() const { return log_; }

 private:
  size_t Pick(size_t n) { return rng_() % n; }

  static Resources Half(const Resources& r) {
    Resources out;
    for (const ResourceEntry& entry : r) {
      if (entry.type != ResourceEntry::Type::kScalar) continue;
      ResourceEntry half = entry;
      half.scalar_milli = entry.scalar_milli / 2;
      out.Add(half);
    }
    return out;
  }

  std::mt19937_64 rng_;
  std::unique_ptr<Allocator> allocator_;
  std::map<std::string, Resources> totals_;
  std::vector<std::string> frameworks_;
  std::map<Key, Resources> held_;
  std::vector<std::string> log_;
  double now_ = 0;
};

TEST(AllocatorPropertyTest, InvariantsHoldUnderRandomCalls) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    Simulation sim(seed);
    sim.Setup();
    for (int step = 0; step < 400; ++step) {
      sim.Step(step);
      sim.CheckInvariants();
      if (::testing::Test::HasFatalFailure()) {
        ADD_FAILURE() << "failed at step " << step;
        return;
      }
    }
    EXPECT_GT(sim.log().size(), 10u);
  }
}

TEST(AllocatorPropertyTest, SameSeedSameCallsSameAllocations) {
  for (uint64_t seed : {3u, 17u, 99u}) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    Simulation first(seed), second(seed);
    first.Setup();
    second.Setup();
    for (int step = 0; step < 300; ++step) {
      first.Step(step);
      second.Step(step);
    }
    EXPECT_EQ(first.log(), second.log());
  }
}

}  // namespace
}  // namespace agora::allocator
