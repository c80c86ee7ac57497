#include "failover/probes.hpp"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"
#include "agora/v1/master.grpc.pb.h"
#include "common/grpc_status.hpp"
#include "common/zk_layout.hpp"
#include "google/protobuf/util/json_util.h"
#include "tests/support/http_get.hpp"

namespace agora::bench {

absl::StatusOr<int> CountTasks(const std::string& address, v1::TaskState state) {
  // One channel per address for the whole run (see SimChannels on why
  // channels are not torn down).
  static auto* channels = new std::map<std::string, std::shared_ptr<grpc::Channel>>;
  std::shared_ptr<grpc::Channel>& channel = (*channels)[address];
  if (channel == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  auto stub = v1::MasterOperator::NewStub(channel);
  v1::GetTasksRequest request;
  request.add_states(state);
  request.mutable_page()->set_limit(10000);
  int count = 0;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetTasksResponse response;
    grpc::Status status = stub->GetTasks(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    count += response.tasks_size();
    if (response.page().next_after().empty()) return count;
    request.mutable_page()->set_after(response.page().next_after());
  }
}

bool MasterReady(int http_port) {
  std::string response = testing::HttpGet(http_port, "/ready");
  return response.rfind("HTTP/1.1 200", 0) == 0 || response.rfind("HTTP/1.0 200", 0) == 0;
}

namespace {

// Runs an async ZkClient call on `loop` and waits for its answer.
template <typename T, typename Call>
T Blocking(AsioEventLoop* loop, Call call) {
  std::promise<T> promise;
  loop->Post([&] { call([&promise](T result) { promise.set_value(std::move(result)); }); });
  return promise.get_future().get();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ElectionProbe>> ElectionProbe::Connect(const std::string& zk_url,
                                                                      absl::Duration timeout) {
  auto parsed = ParseZkUrl("zk", zk_url);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<ElectionProbe> probe(new ElectionProbe());
  probe->election_path_ = zk_layout::ElectionPath(parsed->second);
  probe->loop_.Start();
  auto connected = std::make_shared<std::promise<void>>();
  auto once = std::make_shared<std::once_flag>();
  std::promise<absl::Status> created;
  ElectionProbe* raw = probe.get();
  probe->loop_.Post([&, raw] {
    auto zk = ZkClient::Connect(&raw->loop_, parsed->first, absl::Seconds(10),
                                [connected, once](ZkClient::Session session) {
                                  if (session == ZkClient::Session::kConnected)
                                    std::call_once(*once, [&] { connected->set_value(); });
                                });
    if (zk.ok()) raw->zk_ = std::move(*zk);  // Owned on the loop from here on.
    created.set_value(zk.status());
  });
  if (absl::Status status = created.get_future().get(); !status.ok()) return status;
  if (connected->get_future().wait_for(absl::ToChronoSeconds(timeout)) !=
      std::future_status::ready) {
    return absl::UnavailableError(absl::StrCat("zk: no ZooKeeper session with ", parsed->first,
                                               " within ", absl::FormatDuration(timeout)));
  }
  return probe;
}

ElectionProbe::~ElectionProbe() {
  // The client is closed on its loop, like every other use of it.
  std::promise<void> done;
  loop_.Post([&] {
    zk_.reset();
    done.set_value();
  });
  done.get_future().wait();
  loop_.Stop();
}

absl::StatusOr<std::vector<ElectionMember>> ElectionProbe::Members() {
  using Children = absl::StatusOr<std::vector<std::string>>;
  Children children = Blocking<Children>(
      &loop_, [this](auto done) { zk_->GetChildren(election_path_, nullptr, std::move(done)); });
  if (absl::IsNotFound(children.status())) return std::vector<ElectionMember>();
  if (!children.ok()) return children.status();
  // Same-width zero-padded sequence numbers: name order is sequence order.
  std::sort(children->begin(), children->end());
  std::vector<ElectionMember> members;
  for (const std::string& child : *children) {
    using Data = absl::StatusOr<std::string>;
    Data data = Blocking<Data>(&loop_, [&](auto done) {
      zk_->Get(election_path_ + "/" + child, nullptr, std::move(done));
    });
    if (absl::IsNotFound(data.status())) continue;  // Gone meanwhile.
    if (!data.ok()) return data.status();
    ElectionMember member;
    member.znode = child;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(*data, &member.info, options);
    if (!parsed.ok()) {
      return absl::InternalError(
          absl::StrCat(election_path_, "/", child, ": not MasterInfo JSON: ", parsed.ToString()));
    }
    members.push_back(std::move(member));
  }
  return members;
}

}  // namespace agora::bench
