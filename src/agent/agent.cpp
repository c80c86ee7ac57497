#include "agent/agent.hpp"

#include "agent/agent_impl.hpp"

namespace agora::agent {

absl::StatusOr<std::unique_ptr<Agent>> Agent::Start(AgentOptions options) {
  auto impl = AgentImpl::Create(std::move(options));
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Agent>(new Agent(std::move(*impl)));
}

Agent::Agent(std::unique_ptr<AgentImpl> impl) : impl_(std::move(impl)) {}

Agent::~Agent() { Stop(); }

std::string Agent::address() const { return impl_->address(); }
int Agent::port() const { return impl_->port(); }
int Agent::http_port() const { return impl_->http_port(); }
std::string Agent::agent_id() const { return impl_->agent_id(); }
bool Agent::registered() const { return impl_->registered(); }
bool Agent::durable() const { return impl_->durable(); }
void Agent::Stop() { impl_->Stop(); }
void Agent::Shutdown() { impl_->Shutdown(); }

}  // namespace agora::agent
