// Randomized tests of Resources against a deliberately simple reference
// model: a std::map from identity (name, type, reservation stack,
// revocability) to a value (thousandths, a set of points for ranges, a set
// of items). Whatever the representation of Resources (copy-on-write
// entries, interned names), every operation must agree with the model.
// Each case prints its seed on failure.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/resources.hpp"

namespace agora {
namespace {

using Stack = std::vector<std::tuple<int, std::string, std::string>>;
using Key = std::tuple<std::string, int, Stack, bool>;

struct Value {
  int64_t milli = 0;
  std::set<uint64_t> points;
  std::set<std::string> items;
  bool empty() const { return milli == 0 && points.empty() && items.empty(); }
  friend bool operator==(const Value& a, const Value& b) {
    return a.milli == b.milli && a.points == b.points && a.items == b.items;
  }
};

using Model = std::map<Key, Value>;

Key KeyOf(const ResourceEntry& entry) {
  Stack stack;
  for (const Reservation& r : entry.reservations) {
    stack.emplace_back(static_cast<int>(r.type), r.role, r.principal);
  }
  return {entry.name, static_cast<int>(entry.type), stack, entry.revocable};
}

Value ValueOf(const ResourceEntry& entry) {
  Value value;
  value.milli = entry.scalar_milli;
  for (const ValueRange& r : entry.ranges) {
    for (uint64_t p = r.begin; p <= r.end; ++p) value.points.insert(p);
  }
  value.items.insert(entry.set.begin(), entry.set.end());
  return value;
}

void AddTo(Model* model, const ResourceEntry& entry) {
  Value v = ValueOf(entry);
  if (v.empty()) return;
  Value& held = (*model)[KeyOf(entry)];
  held.milli += v.milli;
  held.points.insert(v.points.begin(), v.points.end());
  held.items.insert(v.items.begin(), v.items.end());
}

Model ModelOf(const Resources& resources) {
  Model model;
  for (const ResourceEntry& entry : resources) AddTo(&model, entry);
  return model;
}

Model Minus(Model a, const Model& b) {
  for (const auto& [key, value] : b) {
    auto it = a.find(key);
    if (it == a.end()) continue;
    it->second.milli = std::max<int64_t>(0, it->second.milli - value.milli);
    for (uint64_t p : value.points) it->second.points.erase(p);
    for (const std::string& item : value.items) it->second.items.erase(item);
    if (it->second.empty()) a.erase(it);
  }
  return a;
}

bool Includes(const Model& a, const Model& b) {
  for (const auto& [key, value] : b) {
    auto it = a.find(key);
    if (it == a.end()) return false;
    if (it->second.milli < value.milli) return false;
    for (uint64_t p : value.points) {
      if (it->second.points.count(p) == 0) return false;
    }
    for (const std::string& item : value.items) {
      if (it->second.items.count(item) == 0) return false;
    }
  }
  return true;
}

// The role owning an identity, "*" when unreserved.
std::string RoleOf(const Key& key) {
  const Stack& stack = std::get<2>(key);
  return stack.empty() ? "*" : std::get<1>(stack.back());
}

template <typename Keep>
Model Where(const Model& model, Keep keep) {
  Model out;
  for (const auto& [key, value] : model) {
    if (keep(key)) out.emplace(key, value);
  }
  return out;
}

// Invariants of the representation: sorted by identity, unique, no empty.
void ExpectNormalized(const Resources& r) {
  const ResourceEntry* previous = nullptr;
  for (const ResourceEntry& entry : r) {
    EXPECT_FALSE(entry.empty()) << r;
    if (previous != nullptr) {
      EXPECT_TRUE(ResourceEntry::IdentityLess(*previous, entry)) << r;
    }
    previous = &entry;
  }
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  ResourceEntry Entry() {
    static const char* const kNames[] = {"cpus", "mem", "gpus", "disk", "ports", "zones", "x.y"};
    ResourceEntry entry;
    entry.name = kNames[Pick(7)];
    if (entry.name == "ports") {
      entry.type = ResourceEntry::Type::kRanges;
      for (int i = 0, n = 1 + Pick(3); i < n; ++i) {
        uint64_t begin = Pick(40);
        entry.ranges.push_back({begin, begin + Pick(6)});
      }
      NormalizeRanges(&entry.ranges);
    } else if (entry.name == "zones") {
      entry.type = ResourceEntry::Type::kSet;
      for (const char* item : {"a", "b", "c", "d"}) {
        if (Pick(2) == 0) entry.set.push_back(item);
      }
    } else {
      entry.scalar_milli = Pick(4) == 0 ? 0 : 1 + Pick(5000);
    }
    switch (Pick(5)) {
      case 0:
        entry.reservations.push_back({Reservation::Type::kStatic, "eng", ""});
        break;
      case 1:
        entry.reservations.push_back({Reservation::Type::kStatic, "eng", ""});
        entry.reservations.push_back({Reservation::Type::kDynamic, "eng/batch", "p1"});
        break;
      case 2:
        entry.reservations.push_back({Reservation::Type::kDynamic, "ops", "p2"});
        break;
      default:
        break;
    }
    entry.revocable = entry.type == ResourceEntry::Type::kScalar && Pick(6) == 0;
    return entry;
  }

  Resources Value(Model* model) {
    Resources out;
    for (int i = 0, n = Pick(7); i < n; ++i) {
      ResourceEntry entry = Entry();
      out.Add(entry);
      AddTo(model, entry);
    }
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(ResourcesModelTest, ArithmeticAgreesWithTheModel) {
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Generator gen(seed);
    Model ma, mb;
    const Resources a = gen.Value(&ma);
    const Resources b = gen.Value(&mb);
    ExpectNormalized(a);
    ASSERT_EQ(ModelOf(a), ma) << a;
    ASSERT_EQ(ModelOf(b), mb) << b;

    Model sum = ma;
    for (const ResourceEntry& entry : b) AddTo(&sum, entry);
    const Resources plus = a + b;
    ExpectNormalized(plus);
    EXPECT_EQ(ModelOf(plus), sum) << a << " + " << b;

    const Resources minus = a - b;
    ExpectNormalized(minus);
    EXPECT_EQ(ModelOf(minus), Minus(ma, mb)) << a << " - " << b;

    EXPECT_EQ(a.Contains(b), Includes(ma, mb)) << a << " contains " << b;
    EXPECT_TRUE(plus.Contains(a)) << plus << " contains " << a;
    EXPECT_EQ(a == b, ma == mb) << a << " == " << b;
    EXPECT_TRUE((plus - b).Contains(minus)) << a << " + " << b << " - " << b;

    Resources entrywise = a;
    for (const ResourceEntry& entry : b) entrywise.Subtract(entry);
    EXPECT_EQ(entrywise, minus);
    for (const ResourceEntry& entry : b) {
      Model one;
      AddTo(&one, entry);
      EXPECT_EQ(a.Contains(entry), Includes(ma, one)) << a << " contains entry of " << b;
    }
  }
}

TEST(ResourcesModelTest, ViewsAndTotalsAgreeWithTheModel) {
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Generator gen(seed);
    Model m;
    const Resources r = gen.Value(&m);

    for (absl::string_view name : {"cpus", "mem", "gpus", "disk", "x.y", "nothing"}) {
      int64_t total = 0;
      for (const auto& [key, value] : m) {
        if (std::get<0>(key) == name) total += value.milli;
      }
      EXPECT_EQ(r.ScalarMilli(name), total) << r << " " << name;
    }
    std::set<uint64_t> points;
    std::set<std::string> items;
    for (const auto& [key, value] : m) {
      points.insert(value.points.begin(), value.points.end());
      items.insert(value.items.begin(), value.items.end());
    }
    std::set<uint64_t> got_points;
    for (const ValueRange& range : r.Ranges("ports")) {
      for (uint64_t p = range.begin; p <= range.end; ++p) got_points.insert(p);
    }
    EXPECT_EQ(got_points, points) << r;
    const std::vector<std::string> set = r.Set("zones");
    EXPECT_EQ(std::set<std::string>(set.begin(), set.end()), items) << r;

    auto unreserved = [](const Key& k) { return std::get<2>(k).empty(); };
    EXPECT_EQ(ModelOf(r.Unreserved()), Where(m, unreserved)) << r;
    EXPECT_EQ(ModelOf(r.Revocable()), Where(m, [](const Key& k) { return std::get<3>(k); })) << r;
    EXPECT_EQ(ModelOf(r.NonRevocable()), Where(m, [](const Key& k) { return !std::get<3>(k); }))
        << r;
    for (const std::string role : {"*", "eng", "eng/batch", "ops", "ops/x"}) {
      EXPECT_EQ(ModelOf(r.ReservedFor(role)),
                Where(m,
                      [&](const Key& k) {
                        return role == "*" ? unreserved(k) : !unreserved(k) && RoleOf(k) == role;
                      }))
          << r << " " << role;
      EXPECT_EQ(ModelOf(r.AllocatableTo(role)), Where(m,
                                                      [&](const Key& k) {
                                                        return unreserved(k) || RoleOf(k) == role ||
                                                               IsStrictSubrole(role, RoleOf(k));
                                                      }))
          << r << " " << role;
    }
    Model quantities;
    for (const auto& [key, value] : m) {
      if (std::get<1>(key) != static_cast<int>(ResourceEntry::Type::kScalar)) continue;
      quantities[{std::get<0>(key), std::get<1>(key), {}, false}].milli += value.milli;
    }
    EXPECT_EQ(ModelOf(r.ScalarQuantities()), quantities) << r;

    absl::StatusOr<Resources> round_trip = Resources::FromProto(r.ToProto());
    ASSERT_TRUE(round_trip.ok()) << round_trip.status();
    EXPECT_EQ(*round_trip, r);
  }
}

TEST(ResourcesModelTest, MutationsOfCopiesStayPrivate) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Generator gen(seed);
    Model ma, mb;
    const Resources a = gen.Value(&ma);
    const Resources b = gen.Value(&mb);
    Resources grown = a;
    grown += b;
    Resources shrunk = a;
    shrunk -= b;
    Resources entry_added = a;
    entry_added.Add(gen.Entry());
    EXPECT_EQ(ModelOf(a), ma) << a;
    EXPECT_EQ(ModelOf(b), mb) << b;
  }
}

}  // namespace
}  // namespace agora
