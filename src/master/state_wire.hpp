// GetState's (and GetTasks') answer written as bytes straight from a
// StateSnapshot.
//
// Why: StateView copies every task of the snapshot into a v1::MasterState
// only for it to be serialized and freed: at 100,000 tasks the copies and
// their malloc/free were most of a GetState's CPU (docs/benchmarks.md,
// B-scale). A published task is immutable, so its bytes can be written
// into the response from the shared proto itself. EncodeStateView writes
// the MasterState wire format field by field (tag, length, the message's
// own serialization); an agent's or framework's summary is written as the
// shared summary's bytes followed by those of its figures (allocated,
// offered, active_tasks: fields the shared summary leaves unset), which a
// parser merges into one message.
//
// Contract: the bytes parse to a MasterState equal to StateView(snapshot)
// (same fields, same order of every repeated field). Pure: runs on any
// thread; reads the snapshot's shared messages (their cached sizes are
// atomic, so concurrent encoders of one snapshot are safe).
#ifndef AGORA_MASTER_STATE_WIRE_HPP_
#define AGORA_MASTER_STATE_WIRE_HPP_

#include <string>

#include "absl/status/statusor.h"
#include "master/state_snapshot.hpp"

namespace agora::master {

// The serialized v1::MasterState of `snapshot` (see above).
std::string EncodeStateView(const StateSnapshot& snapshot);

// GetTasks' answer (the GetTasksResponse of TasksView), serialized the same
// way from the selected page (SelectTasks); valid while its snapshot lives.
std::string EncodeTasksView(const TaskPage& page);

// HTTP /state: the same MasterState as JSON (proto field names), converted
// from EncodeStateView's bytes (what MessageToJsonString does with a
// message's, minus building the message). An error only if the conversion
// fails (a broken invariant: the bytes are the encoder's own).
absl::StatusOr<std::string> EncodeStateJson(const StateSnapshot& snapshot);

}  // namespace agora::master

#endif  // AGORA_MASTER_STATE_WIRE_HPP_
