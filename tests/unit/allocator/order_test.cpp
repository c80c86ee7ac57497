// The sorter of one tree level (Order) re-keys members in place when they
// keep their position. Randomized against a plain std::set of pairs: after
// every move both hold the same members in the same order, and a kept
// position (MoveKeyAt) still points at its member. Seeds print on failure.

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <utility>
#include <vector>

#include "allocator/allocator_state.hpp"

namespace agora::allocator {
namespace {

using Reference = std::set<std::pair<double, Index>>;

std::vector<std::pair<double, Index>> Members(const Order& order) {
  std::vector<std::pair<double, Index>> out;
  for (const auto& [key, index] : order) out.emplace_back(key, index);
  return out;
}

std::vector<std::pair<double, Index>> Members(const Reference& reference) {
  return {reference.begin(), reference.end()};
}

TEST(OrderTest, MovesAgreeWithAPlainSetOfPairs) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937_64 rng(seed);
    const int size = 1 + static_cast<int>(rng() % 12);
    // Few distinct keys, so that ties (ordered by index) are common.
    auto random_key = [&rng] { return static_cast<double>(rng() % 5) / 4; };
    Order order;
    Reference reference;
    std::vector<double> keys(size);
    std::vector<Order::iterator> positions(size);
    for (Index i = 0; i < static_cast<Index>(size); ++i) {
      keys[i] = random_key();
      positions[i] = order.insert({keys[i], i}).first;
      reference.insert({keys[i], i});
    }
    for (int step = 0; step < 100; ++step) {
      const Index i = static_cast<Index>(rng() % size);
      const double to = random_key();
      if (rng() % 2 == 0) {
        positions[i] = MoveKeyAt(&order, positions[i], to);
      } else {
        MoveKey(&order, keys[i], to, i);
        positions[i] = order.find({to, i});
      }
      reference.erase({keys[i], i});
      reference.insert({to, i});
      keys[i] = to;
      ASSERT_EQ(Members(order), Members(reference)) << "step " << step;
      for (Index j = 0; j < static_cast<Index>(size); ++j) {
        ASSERT_EQ(positions[j]->index, j);
        ASSERT_EQ(positions[j]->key, keys[j]);
      }
    }
  }
}

TEST(OrderTest, MoveKeyInsertsAMissingMember) {
  Order order;
  order.insert({0.5, 1});
  MoveKey(&order, 0.25, 0.75, 2);
  EXPECT_EQ(Members(order), (std::vector<std::pair<double, Index>>{{0.5, 1}, {0.75, 2}}));
  MoveKey(&order, 0.75, 0.1, 2);
  EXPECT_EQ(Members(order), (std::vector<std::pair<double, Index>>{{0.1, 2}, {0.5, 1}}));
}

}  // namespace
}  // namespace agora::allocator
