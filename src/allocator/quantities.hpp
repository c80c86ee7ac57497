// Dense scalar quantities for the allocator's hot paths.
//
// `ScalarIndex` interns scalar resource names into small integers (cpus,
// mem, disk and gpus are always 0..3); `Quantities` is a vector of
// thousandths indexed by them. Shares, quota and headroom are computed on
// Quantities so the allocation loop never hashes strings or walks
// reservation stacks. Both are owned by one Allocator (single-threaded).

#ifndef AGORA_ALLOCATOR_QUANTITIES_HPP_
#define AGORA_ALLOCATOR_QUANTITIES_HPP_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "common/resources.hpp"

namespace agora::allocator {

class ScalarIndex {
 public:
  static constexpr int kCpus = 0;
  static constexpr int kMem = 1;
  static constexpr int kDisk = 2;
  static constexpr int kGpus = 3;

  ScalarIndex();

  // The index of `name`, registering it on first use.
  int IndexOf(absl::string_view name);
  // The index of an already registered name, or -1.
  int Find(absl::string_view name) const;
  const std::string& NameOf(int index) const { return names_[index]; }
  int size() const { return static_cast<int>(names_.size()); }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, int> indices_;
};

// A vector of non-negative (usually) thousandths; missing tail entries are 0.
class Quantities {
 public:
  int64_t Get(int index) const {
    return index < static_cast<int>(values_.size()) ? values_[index] : 0;
  }
  void Add(int index, int64_t milli);
  void Set(int index, int64_t milli);
  // Inline: the allocator adds and subtracts quantities several times per
  // offer. The loops use raw pointers (indexing an InlinedVector re-checks
  // where its storage lives on every access).
  Quantities& operator+=(const Quantities& that) {
    const size_t n = that.values_.size();
    if (n > values_.size()) values_.resize(n, 0);
    int64_t* out = values_.data();
    const int64_t* in = that.values_.data();
    for (size_t i = 0; i < n; ++i) out[i] += in[i];
    return *this;
  }
  Quantities& operator-=(const Quantities& that) {
    const size_t n = that.values_.size();
    if (n > values_.size()) values_.resize(n, 0);
    int64_t* out = values_.data();
    const int64_t* in = that.values_.data();
    for (size_t i = 0; i < n; ++i) out[i] -= in[i];
    return *this;
  }
  const int64_t* data() const { return values_.data(); }
  bool IsZero() const;
  void Clear() { values_.clear(); }
  // Grows to `size` entries (zeros), so later Adds below it never resize.
  void Reserve(int size) {
    if (size > static_cast<int>(values_.size())) values_.resize(size, 0);
  }
  int size() const { return static_cast<int>(values_.size()); }

  // Converts back to unreserved scalar Resources (names from `index`).
  Resources ToResources(const ScalarIndex& index) const;

  friend bool operator==(const Quantities& a, const Quantities& b);

 private:
  absl::InlinedVector<int64_t, 4> values_;
};

// Which parts of a Resources to count.
enum class CountWhat { kAll, kUnreservedNonRevocable };

// Sums the scalar entries of `resources` (reservations stripped) selected
// by `what`.
Quantities ToQuantities(const Resources& resources, ScalarIndex* index,
                        CountWhat what = CountWhat::kAll);
// Both views in one pass: adds every scalar to `all` and the unreserved
// non-revocable ones to `unreserved`.
void ToQuantities(const Resources& resources, ScalarIndex* index, Quantities* all,
                  Quantities* unreserved);

}  // namespace agora::allocator

#endif  // AGORA_ALLOCATOR_QUANTITIES_HPP_
