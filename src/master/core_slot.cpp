#include "master/core_slot.hpp"

namespace agora::master {

MasterCore* CoreSlot::Serving(absl::Status* refusal) const {
  absl::Status status = policy_.check_serving ? policy_.check_serving() : absl::OkStatus();
  if (status.ok() && core_ == nullptr) status = absl::UnavailableError("master is not serving");
  if (status.ok()) return core_.get();
  *refusal = std::move(status);
  return nullptr;
}

void CoreSlot::Install(std::unique_ptr<MasterCore> core) {
  Drop();
  core_ = std::move(core);
  ++generation_;
}

void CoreSlot::Drop() {
  if (!core_) return;
  ++generation_;
  core_->Shutdown();
  core_.reset();
}

std::vector<v1::MasterInfo> CoreSlot::Masters() const {
  if (policy_.masters) return policy_.masters();
  if (core_) return {core_->master_info()};
  return {};
}

}  // namespace agora::master
