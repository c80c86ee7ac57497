// Helpers for the allocator tests: parsing shorthands, a manual clock, and a
// greedy-framework driver that launches fixed-size tasks from every offer.

#ifndef AGORA_TESTS_UNIT_ALLOCATOR_ALLOCATOR_TEST_UTIL_HPP_
#define AGORA_TESTS_UNIT_ALLOCATOR_ALLOCATOR_TEST_UTIL_HPP_

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "allocator/allocator.hpp"

namespace agora::allocator::testing {

inline Resources R(absl::string_view text) {
  absl::StatusOr<Resources> parsed = Resources::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : Resources();
}

inline absl::Time T(double seconds) { return absl::UnixEpoch() + absl::Seconds(seconds); }

inline FrameworkSpec Framework(const std::string& id, std::vector<std::string> roles = {"*"}) {
  FrameworkSpec spec;
  spec.id = id;
  spec.roles = std::move(roles);
  return spec;
}

inline AgentSpec Agent(const std::string& id, absl::string_view total) {
  AgentSpec spec;
  spec.id = id;
  spec.total = R(total);
  return spec;
}

// Scalar total of one resource across allocations, per framework.
inline std::map<std::string, double> SumBy(const std::vector<Allocation>& allocations,
                                           absl::string_view name) {
  std::map<std::string, double> out;
  for (const Allocation& a : allocations) {
    out[a.framework_id] += a.resources.Scalar(name);
  }
  return out;
}

// Drives frameworks that each launch as many tasks of a fixed size as an
// offer holds (or one task when `one_per_offer`), return the rest without a
// filter, and decline offers too small for a task with a long filter. Runs
// cycles until no offers are made; returns tasks launched per framework.
inline std::map<std::string, int> RunGreedy(Allocator* allocator,
                                            const std::map<std::string, Resources>& task_size,
                                            bool one_per_offer) {
  std::map<std::string, int> tasks;
  for (int cycle = 0; cycle < 10000; ++cycle) {
    std::vector<Allocation> offers = allocator->Allocate(T(0));
    if (offers.empty()) break;
    for (const Allocation& offer : offers) {
      const Resources& task = task_size.at(offer.framework_id);
      Resources left = offer.resources;
      int launched = 0;
      while (left.Contains(task) && (!one_per_offer || launched == 0)) {
        left -= task;
        ++launched;
      }
      tasks[offer.framework_id] += launched;
      std::optional<absl::Duration> refuse;
      if (launched == 0) refuse = absl::Hours(1);
      EXPECT_TRUE(
          allocator
              ->RecoverResources(offer.framework_id, offer.agent_id, offer.role, left, refuse, T(0))
              .ok());
    }
  }
  return tasks;
}

}  // namespace agora::allocator::testing

#endif  // AGORA_TESTS_UNIT_ALLOCATOR_ALLOCATOR_TEST_UTIL_HPP_
