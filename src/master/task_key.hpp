// TaskKey: a task's identity in the master, (framework id, task id), and the
// hash and equality that let hash maps keyed by it be searched with a pair
// of string_views, so a lookup on the status update path builds no strings.
//
// Hashes are absl::Hash's: the hash of a std::string equals that of a
// string_view of the same bytes, so a TaskKey and its TaskKeyRef hash alike.
#ifndef AGORA_MASTER_TASK_KEY_HPP_
#define AGORA_MASTER_TASK_KEY_HPP_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace agora::master {

using TaskKey = std::pair<std::string, std::string>;                 // (framework id, task id)
using TaskKeyRef = std::pair<absl::string_view, absl::string_view>;  // A view of one.

inline TaskKeyRef RefOf(const TaskKey& key) { return TaskKeyRef(key.first, key.second); }
inline TaskKeyRef RefOf(const TaskKeyRef& key) { return key; }

struct TaskKeyHash {
  using is_transparent = void;
  size_t operator()(const TaskKeyRef& key) const { return absl::Hash<TaskKeyRef>{}(key); }
  size_t operator()(const TaskKey& key) const { return (*this)(RefOf(key)); }
};

struct TaskKeyEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return RefOf(a) == RefOf(b);
  }
};

}  // namespace agora::master

#endif  // AGORA_MASTER_TASK_KEY_HPP_
