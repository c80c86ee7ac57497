// Resources copies share their entries (copy-on-write). These tests pin the
// value semantics that representation must keep: mutating one value never
// changes a copy, and every operation gives the result a fresh, unshared
// value would give. Randomized cases print their seed on failure.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/resources.hpp"

namespace agora {
namespace {

Resources R(absl::string_view text) {
  absl::StatusOr<Resources> parsed = Resources::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : Resources();
}

// A deep, never shared equivalent of `r` (rebuilt entry by entry).
Resources Fresh(const Resources& r) {
  Resources out;
  for (const ResourceEntry& entry : r) out.Add(entry);
  return out;
}

// A random value in the flag syntax over a few names, roles and ports.
Resources RandomResources(std::mt19937_64* rng) {
  static const char* const kTexts[] = {
      "cpus:1",           "cpus:0.5",    "mem:128",     "mem(eng):64",
      "disk:10",          "cpus(eng):2", "ports:[1-5]", "ports:[3-9,20-22]",
      "ports(eng):[7-8]", "zones:{a,b}", "zones:{b,c}", "gpus:1",
  };
  std::string text;
  const int n = static_cast<int>((*rng)() % 5);
  for (int i = 0; i < n; ++i) {
    if (!text.empty()) text += ";";
    text += kTexts[(*rng)() % (sizeof(kTexts) / sizeof(kTexts[0]))];
  }
  return R(text);
}

TEST(ResourcesSharingTest, MutatingACopyLeavesTheOriginal) {
  const Resources original = R("cpus:4;mem:1024;ports:[1-100]");
  const std::string before = original.ToString();

  Resources added = original;
  added += R("cpus:1;ports:[200-300]");
  Resources subtracted = original;
  subtracted -= R("mem:24;ports:[50-60]");
  Resources entry_added = original;
  entry_added.Add(*R("disk:5").begin());
  Resources emptied = original;
  emptied -= original;

  EXPECT_EQ(original.ToString(), before);
  EXPECT_EQ(added.ToString(), "cpus:5;mem:1024;ports:[1-100,200-300]");
  EXPECT_EQ(subtracted.ToString(), "cpus:4;mem:1000;ports:[1-49,61-100]");
  EXPECT_EQ(entry_added.ToString(), "cpus:4;disk:5;mem:1024;ports:[1-100]");
  EXPECT_TRUE(emptied.empty());
  EXPECT_EQ(emptied.size(), 0u);
  EXPECT_EQ(emptied, Resources());
}

TEST(ResourcesSharingTest, MutatingTheOriginalLeavesCopies) {
  Resources original = R("cpus:4;mem:1024");
  const Resources copy = original;
  const Resources view = original.NonRevocable();  // shares: nothing revocable
  original -= R("cpus:4");
  original += R("disk:1");
  EXPECT_EQ(copy.ToString(), "cpus:4;mem:1024");
  EXPECT_EQ(view.ToString(), "cpus:4;mem:1024");
  EXPECT_EQ(original.ToString(), "disk:1;mem:1024");
}

TEST(ResourcesSharingTest, SubtractingWhatIsNotHeldKeepsTheValue) {
  const Resources original = R("cpus:4");
  Resources copy = original;
  copy -= R("mem:1");
  EXPECT_EQ(copy, original);
  EXPECT_EQ(copy.ToString(), "cpus:4");
}

TEST(ResourcesSharingTest, MovedFromValueIsEmpty) {
  Resources a = R("cpus:4");
  Resources b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(a.begin(), a.end());
  EXPECT_EQ(b.ToString(), "cpus:4");
}

// Every operation on shared values equals the same operation on fresh
// values, and leaves the shared operands unchanged.
TEST(ResourcesSharingTest, SharedAndFreshValuesAgreeUnderRandomOperations) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    std::mt19937_64 rng(seed);
    Resources shared = RandomResources(&rng);
    Resources fresh = Fresh(shared);
    for (int step = 0; step < 20; ++step) {
      const Resources operand = RandomResources(&rng);
      const Resources snapshot = shared;  // shares with `shared`
      const std::string snapshot_text = shared.ToString();
      const std::string operand_text = operand.ToString();
      switch (rng() % 6) {
        case 0:
          shared += operand;
          fresh += Fresh(operand);
          break;
        case 1:
          shared -= operand;
          fresh -= Fresh(operand);
          break;
        case 2:
          shared = shared - snapshot + operand;
          fresh = fresh - Fresh(snapshot) + Fresh(operand);
          break;
        case 3:
          shared = shared.NonRevocable();
          fresh = Fresh(fresh).NonRevocable();
          break;
        case 4:
          shared = shared.AllocatableTo("eng");
          fresh = Fresh(fresh).AllocatableTo("eng");
          break;
        default:
          EXPECT_EQ(shared.Contains(operand), fresh.Contains(Fresh(operand)));
          EXPECT_TRUE(shared.Contains(snapshot));
          break;
      }
      EXPECT_EQ(shared, fresh);
      EXPECT_EQ(shared.ToString(), fresh.ToString());
      EXPECT_EQ(shared.empty(), shared.size() == 0);
      EXPECT_EQ(snapshot.ToString(), snapshot_text);
      EXPECT_EQ(operand.ToString(), operand_text);
    }
  }
}

}  // namespace
}  // namespace agora
