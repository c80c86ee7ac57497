// Master: wires the event loop, MasterCore, the gRPC services and the HTTP
// endpoints together.
#include "master/master.hpp"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "absl/strings/str_cat.h"
#include "common/asio_event_loop.hpp"
#include "common/http_server.hpp"
#include "common/ids.hpp"
#include "common/work_dir_lock.hpp"
#include "glog/logging.h"
#include "master/http_endpoints.hpp"
#include "master/master_core.hpp"
#include "master/services.hpp"

namespace agora::master {

struct Master::Impl {
  MasterOptions options;
  std::string id;
  std::string address;
  int port = 0;
  std::unique_ptr<AsioEventLoop> loop;
  std::unique_ptr<MasterCore> core;
  std::unique_ptr<SchedulerService> scheduler;
  std::unique_ptr<AgentChannelService> agents;
  std::unique_ptr<OperatorService> operators;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<WorkDirLock> lock;  // Held until Stop().
  bool stopped = false;
};

absl::StatusOr<std::unique_ptr<Master>> Master::Start(MasterOptions options) {
  if (auto status = options.Validate(); !status.ok()) return status;
  if (options.hostname.empty()) {
    char name[256] = {};
    ::gethostname(name, sizeof(name) - 1);
    options.hostname = name;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("work_dir: cannot create ", options.work_dir, ": ", ec.message()));
  }
  auto lock = WorkDirLock::Acquire(options.work_dir, "master.lock", "master");
  if (!lock.ok()) return lock.status();
  auto impl = std::make_unique<Impl>();
  impl->lock = std::move(*lock);
  impl->options = options;
  impl->id = RandomHexId();
  impl->loop = std::make_unique<AsioEventLoop>("agora-master");
  auto registry = std::make_unique<LocalRegistry>(impl->loop.get(), options.work_dir);
  impl->core = std::make_unique<MasterCore>(
      impl->loop.get(), options, impl->id, "", std::move(registry),
      options.allocator == "drf" ? NewDrfAllocation(options.default_refuse, options.max_refuse)
                                 : NewSimpleDrfAllocation());
  impl->core->set_on_step_down(options.on_step_down);
  // Reads only: nothing is written before the port is bound.
  if (auto status = impl->core->Recover(); !status.ok()) return status;

  const size_t capacity = static_cast<size_t>(options.stream_queue_capacity);
  impl->scheduler =
      std::make_unique<SchedulerService>(impl->loop.get(), impl->core.get(), capacity);
  impl->agents =
      std::make_unique<AgentChannelService>(impl->loop.get(), impl->core.get(), capacity);
  impl->operators = std::make_unique<OperatorService>(
      impl->loop.get(), impl->core.get(), options.flags.empty() ? options.ToMap() : options.flags);

  // Both ports are bound before the first registry write: a master that
  // cannot listen changes nothing on disk. Until the loop starts, HTTP
  // requests wait for it (/ready says "recovering" once it runs Start()).
  if (options.http_port >= 0) {
    auto http = HttpServer::Start(options.ip, options.http_port,
                                  MasterHttpRoutes(impl->loop.get(), impl->core.get()));
    if (!http.ok()) return http.status();
    impl->http = std::move(*http);
  }
  // Start() (the first registry write) is queued ahead of any request the
  // server can post, and runs only once the loop starts, after the bind.
  impl->loop->Post([core = impl->core.get()] { core->Start(); });
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(options.ip, ":", options.port),
                           grpc::InsecureServerCredentials(), &impl->port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(impl->scheduler.get());
  builder.RegisterService(impl->agents.get());
  builder.RegisterService(impl->operators.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options.ip, ":",
                                               options.port, " (address in use?)"));
  }
  const std::string host =
      (options.ip == "0.0.0.0" || options.ip == "::") ? "127.0.0.1" : options.ip;
  impl->address = absl::StrCat(host, ":", impl->port);
  impl->core->set_master_address(impl->address);
  impl->loop->Start();

  LOG(INFO) << "Master " << impl->id << " serving gRPC on " << impl->address << ", HTTP on port "
            << (impl->http ? impl->http->port() : -1) << ", work_dir=" << options.work_dir;
  return std::unique_ptr<Master>(new Master(std::move(impl)));
}

Master::Master(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Master::~Master() { Stop(); }

std::string Master::address() const { return impl_->address; }
int Master::port() const { return impl_->port; }
int Master::http_port() const { return impl_->http ? impl_->http->port() : -1; }
std::string Master::id() const { return impl_->id; }

void Master::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->http) impl_->http->Stop();
  // Close every stream on the loop first, so the server's shutdown does not
  // wait on them, then stop the server while the loop still runs the
  // callbacks of calls in flight, and only then stop the loop.
  auto closed = std::make_shared<std::promise<void>>();
  impl_->loop->Post([core = impl_->core.get(), closed] {
    core->Shutdown();
    closed->set_value();
  });
  closed->get_future().wait_for(std::chrono::seconds(5));
  if (impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  impl_->loop->Stop();
  if (impl_->server) impl_->server->Wait();
  // The registry's writer finishes before the lock is released, so a master
  // started next on this work dir reads everything this one wrote.
  impl_->core.reset();
  impl_->lock.reset();
  LOG(INFO) << "Master " << impl_->id << " stopped";
}

}  // namespace agora::master
