#include "allocator/quantities.hpp"

#include <algorithm>

namespace agora::allocator {

ScalarIndex::ScalarIndex() {
  for (absl::string_view name :
       {Resources::kCpus, Resources::kMem, Resources::kDisk, Resources::kGpus}) {
    IndexOf(name);
  }
}

int ScalarIndex::IndexOf(absl::string_view name) {
  if (int found = Find(name); found >= 0) return found;
  indices_.emplace(std::string(name), size());
  names_.emplace_back(name);
  return size() - 1;
}

int ScalarIndex::Find(absl::string_view name) const {
  // The well-known names are by far the most common: avoid hashing them.
  for (int i = 0; i < 4 && i < size(); ++i) {
    if (names_[i] == name) return i;
  }
  auto it = indices_.find(name);
  return it == indices_.end() ? -1 : it->second;
}

void Quantities::Add(int index, int64_t milli) {
  if (index >= static_cast<int>(values_.size())) values_.resize(index + 1, 0);
  values_[index] += milli;
}

void Quantities::Set(int index, int64_t milli) {
  if (index >= static_cast<int>(values_.size())) values_.resize(index + 1, 0);
  values_[index] = milli;
}

bool Quantities::IsZero() const {
  return std::all_of(values_.begin(), values_.end(), [](int64_t v) { return v == 0; });
}

bool operator==(const Quantities& a, const Quantities& b) {
  const int n = std::max(a.size(), b.size());
  for (int i = 0; i < n; ++i) {
    if (a.Get(i) != b.Get(i)) return false;
  }
  return true;
}

Resources Quantities::ToResources(const ScalarIndex& index) const {
  Resources out;
  for (int i = 0; i < size(); ++i) {
    if (values_[i] <= 0) continue;
    ResourceEntry entry;
    entry.name = index.NameOf(i);
    entry.scalar_milli = values_[i];
    out.Add(entry);
  }
  return out;
}

Quantities ToQuantities(const Resources& resources, ScalarIndex* index, CountWhat what) {
  Quantities out;
  for (const ResourceEntry& entry : resources) {
    if (entry.type != ResourceEntry::Type::kScalar) continue;
    if (what == CountWhat::kUnreservedNonRevocable && (entry.reserved() || entry.revocable)) {
      continue;
    }
    out.Add(index->IndexOf(entry.name), entry.scalar_milli);
  }
  return out;
}

void ToQuantities(const Resources& resources, ScalarIndex* index, Quantities* all,
                  Quantities* unreserved) {
  all->Reserve(index->size());
  unreserved->Reserve(index->size());
  for (const ResourceEntry& entry : resources) {
    if (entry.type != ResourceEntry::Type::kScalar) continue;
    const int n = index->IndexOf(entry.name);
    all->Add(n, entry.scalar_milli);
    if (!entry.reserved() && !entry.revocable) unreserved->Add(n, entry.scalar_milli);
  }
}

}  // namespace agora::allocator
