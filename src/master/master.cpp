// Master: wires the event loop, the serving core (one MasterCore for a
// standalone master; a Leadership that installs a core per election for a
// replicated one), the gRPC services and the HTTP endpoints together.
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
#include "common/zk_client.hpp"
#include "glog/logging.h"
#include "master/http_endpoints.hpp"
#include "master/leadership.hpp"
#include "master/master_core.hpp"
#include "master/services.hpp"
#include "master/zk_registry.hpp"

namespace agora::master {

struct Master::Impl {
  MasterOptions options;
  std::string id;
  std::string address;
  int port = 0;
  std::unique_ptr<AsioEventLoop> loop;
  // Standalone: `standalone` holds the one core. Replicated: `leadership`
  // installs and drops cores. `slot` points at whichever serves.
  std::unique_ptr<CoreSlot> standalone;
  std::unique_ptr<Leadership> leadership;
  CoreSlot* slot = nullptr;
  std::unique_ptr<SchedulerService> scheduler;
  std::unique_ptr<AgentChannelService> agents;
  std::unique_ptr<OperatorService> operators;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<WorkDirLock> lock;  // Held until Stop().
  bool stopped = false;

  std::string http_address() const {
    if (!http) return "";
    const size_t colon = address.rfind(':');
    return absl::StrCat(address.substr(0, colon), ":", http->port());
  }
  // This master as it contends in ZooKeeper.
  v1::MasterInfo Self() const {
    v1::MasterInfo info;
    info.set_id(id);
    info.set_address(address);
    info.set_http_address(http_address());
    info.set_hostname(options.hostname);
    info.mutable_version()->set_version(AGORA_VERSION_STRING);
    info.set_start_time(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    return info;
  }
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
  impl->loop = std::make_unique<AsioEventLoop>("agora-loop");
  // Builds a core on `registry`; the addresses are known by the time a
  // replicated master is elected (after the bind).
  Impl* raw = impl.get();
  auto new_core = [raw](std::unique_ptr<Registry> registry) {
    const MasterOptions& o = raw->options;
    auto core = std::make_unique<MasterCore>(
        raw->loop.get(), o, raw->id, raw->address, std::move(registry),
        o.allocator == "drf" ? NewDrfAllocation(o.default_refuse, o.max_refuse)
                             : NewSimpleDrfAllocation());
    core->set_http_address(raw->http_address());
    return core;
  };
  if (options.zk.empty()) {
    auto core = new_core(std::make_unique<LocalRegistry>(impl->loop.get(), options.work_dir));
    core->set_on_step_down(options.on_step_down);
    // Reads only: nothing is written before the port is bound.
    if (auto status = core->Recover(); !status.ok()) return status;
    impl->standalone = std::make_unique<CoreSlot>();
    impl->standalone->Install(std::move(core));
    impl->slot = impl->standalone.get();
  } else {
    auto url = ParseZkUrl("zk", options.zk);
    if (!url.ok()) return url.status();
    LeaderContender::Options zk{url->first, url->second, options.zk_session_timeout, ""};
    if (!options.zk_credentials.empty()) {
      auto credentials = ReadZkCredentials(options.zk_credentials);
      if (!credentials.ok()) return credentials.status();
      zk.credentials = *credentials;
    }
    impl->leadership =
        std::make_unique<Leadership>(impl->loop.get(), zk, new_core, options.before_registry_load);
    impl->slot = impl->leadership->slot();
  }

  const size_t capacity = static_cast<size_t>(options.stream_queue_capacity);
  impl->scheduler = std::make_unique<SchedulerService>(impl->loop.get(), impl->slot, capacity);
  impl->agents = std::make_unique<AgentChannelService>(impl->loop.get(), impl->slot, capacity);
  impl->operators = std::make_unique<OperatorService>(
      impl->loop.get(), impl->slot, options.flags.empty() ? options.ToMap() : options.flags,
      static_cast<size_t>(options.max_watch_queue));

  // Both ports are bound before the first registry write: a master that
  // cannot listen changes nothing on disk. Until the loop starts, HTTP
  // requests wait for it (/ready says "recovering" once it runs Start()).
  if (options.http_port >= 0) {
    auto http = HttpServer::Start(options.ip, options.http_port,
                                  MasterHttpRoutes(impl->loop.get(), impl->slot));
    if (!http.ok()) return http.status();
    impl->http = std::move(*http);
  }
  // Start() (the first registry write, or joining the election) is queued
  // ahead of any request the server can post, and runs only once the loop
  // starts, after the bind.
  impl->loop->Post([raw] {
    if (raw->standalone) {
      raw->standalone->installed()->Start();
    } else {
      raw->leadership->Start(raw->Self());
    }
  });
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
  if (impl->standalone) {
    impl->standalone->installed()->set_master_address(impl->address);
    impl->standalone->installed()->set_http_address(impl->http_address());
  }
  impl->loop->Start();

  LOG(INFO) << "Master " << impl->id << " serving gRPC on " << impl->address << ", HTTP on port "
            << (impl->http ? impl->http->port() : -1) << ", work_dir=" << options.work_dir
            << (options.zk.empty() ? ", standalone" : ", contending in " + options.zk);
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
  impl_->loop->Post([impl = impl_.get(), closed] {
    // A replicated master leaves the election first: its znode goes at
    // once, so another master takes over without waiting for a timeout.
    if (impl->leadership) impl->leadership->Stop();
    if (impl->slot->installed() != nullptr) impl->slot->installed()->Shutdown();
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
  impl_->leadership.reset();
  impl_->standalone.reset();
  impl_->lock.reset();
  LOG(INFO) << "Master " << impl_->id << " stopped";
}

}  // namespace agora::master
