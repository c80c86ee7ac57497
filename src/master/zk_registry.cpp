// PLACEHOLDER (replaced by the zkreg branch).
#include "master/zk_registry.hpp"

namespace agora {
absl::StatusOr<std::string> ReadZkCredentials(const std::string& path) {
  return absl::UnimplementedError(path);
}
}  // namespace agora

namespace agora::master {

void ZkRegistry::Load(ZkClient*, std::string,
                      std::function<void(absl::StatusOr<internal::Registry>)> done) {
  done(internal::Registry());
}

ZkRegistry::ZkRegistry(EventLoop* loop, ZkClient*, std::string, std::string,
                       internal::Registry loaded)
    : loop_(loop), state_(std::move(loaded)) {}

void ZkRegistry::Apply(std::vector<internal::Operation> operations, Callback done) {
  for (const auto& op : operations) ApplyOperation(op, &state_);
  loop_->Post([done] {
    if (done) done(absl::OkStatus());
  });
}

}  // namespace agora::master
