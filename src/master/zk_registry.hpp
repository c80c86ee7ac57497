// PLACEHOLDER (replaced by the zkreg branch): the API the HA wiring uses.
#ifndef AGORA_MASTER_ZK_REGISTRY_HPP_
#define AGORA_MASTER_ZK_REGISTRY_HPP_

#include <functional>
#include <string>

#include "common/zk_client.hpp"
#include "master/registry.hpp"

namespace agora {
absl::StatusOr<std::string> ReadZkCredentials(const std::string& path);
}

namespace agora::master {

class ZkRegistry : public Registry {
 public:
  static void Load(ZkClient* zk, std::string root,
                   std::function<void(absl::StatusOr<internal::Registry>)> done);
  ZkRegistry(EventLoop* loop, ZkClient* zk, std::string root, std::string fence_path,
             internal::Registry loaded);
  absl::StatusOr<internal::Registry> Recover() override { return state_; }
  void Apply(std::vector<internal::Operation> operations, Callback done) override;
  const internal::Registry& state() const override { return state_; }
  void OnSessionConnected() {}

 private:
  EventLoop* loop_;
  internal::Registry state_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_ZK_REGISTRY_HPP_
