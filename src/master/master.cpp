#include "master/master.hpp"

namespace agora::master {

struct Master::Impl {};

absl::StatusOr<std::unique_ptr<Master>> Master::Start(MasterOptions options) {
  if (auto status = options.Validate(); !status.ok()) return status;
  return absl::UnimplementedError("agora-master is being implemented");
}

Master::Master(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Master::~Master() { Stop(); }
std::string Master::address() const { return ""; }
int Master::port() const { return 0; }
int Master::http_port() const { return -1; }
std::string Master::id() const { return ""; }
void Master::Stop() {}

}  // namespace agora::master
