// ZkRegistryMirror: a standby master's copy of the zk registry (the layout
// of zk_registry.hpp), kept current with ZooKeeper watches, so that once
// elected the master recovers without reading every record (at 10,000
// agents the full ZkRegistry::Load takes 2-3 s of ZooKeeper round trips on a
// loaded machine).
//
// It lists each record directory and reads each record and singleton with a
// watch; a fired watch re-reads that znode (or re-lists that directory),
// unless a read of it is already in flight (that read's own watch covers
// later changes). A record read as NOT_FOUND leaves the copy.
//
// Why the copy equals ZooKeeper at election: ZooKeeper delivers a session's
// answers and watch events in commit order. The previous leader's last
// write commits before its election znode goes, so the event for that write
// reaches the loop before the election event, and the re-read it triggers is
// sent before anything the election triggers. Once every read in flight has
// answered (Snapshot waits for that), the copy holds every write up to the
// election; later writes cannot happen (they are fenced by the writer's
// election znode, and this master is the writer now).
//
// Any failure (a directory or singleton missing, a ZooKeeper error) marks
// the mirror failed; the owner then loads the registry in full. A mirror is
// bound to one connection of one session: the owner starts a new one after
// every (re)connection and destroys it when the session ends. It never
// touches the ZkClient after destruction; callbacks still pending are
// dropped.
//
// Owner: Leadership; loop thread only.
#ifndef AGORA_MASTER_ZK_REGISTRY_MIRROR_HPP_
#define AGORA_MASTER_ZK_REGISTRY_MIRROR_HPP_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "master/zk_registry.hpp"

namespace agora::master {

class ZkRegistryMirror {
 public:
  // Starts listing and reading at once.
  ZkRegistryMirror(ZkClient* zk, const std::string& root);
  ~ZkRegistryMirror();

  // Once no read is in flight: the registry as mirrored (parsed like Load's)
  // or why the mirror cannot be used. Call only when no one else can write
  // (elected). `done` runs on the loop, possibly at once.
  void Snapshot(ZkRegistry::LoadDone done);

  // The mirror stopped following (a snapshot would report why): the owner
  // starts a new one (a fresh cluster's registry appears after the first
  // leader's load).
  bool failed() const;
  // Reads and listings in flight; records mirrored.
  size_t pending() const;
  size_t records() const;
  // Reads issued since the start (tests, logs).
  uint64_t reads() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_ZK_REGISTRY_MIRROR_HPP_
