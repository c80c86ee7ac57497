// GetState's wire encoder (state_wire.hpp).
#include "master/state_wire.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <google/protobuf/wire_format_lite.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "master/state_sums.hpp"

namespace agora::master {
namespace {

using google::protobuf::MessageLite;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

// v1::MasterState's field numbers.
enum StateField {
  kMaster = v1::MasterState::kMasterFieldNumber,
  kAgents = v1::MasterState::kAgentsFieldNumber,
  kFrameworks = v1::MasterState::kFrameworksFieldNumber,
  kTasks = v1::MasterState::kTasksFieldNumber,
  kCompletedTasks = v1::MasterState::kCompletedTasksFieldNumber,
  kOffers = v1::MasterState::kOffersFieldNumber,
  kRoles = v1::MasterState::kRolesFieldNumber,
  kMasters = v1::MasterState::kMastersFieldNumber,
};

// The response as a list of length-delimited fields, each the bytes of one
// message or of two (a shared summary, then its figures). Sizes are taken
// (and cached in the messages) when a field is added, then the bytes are
// written into one buffer of the exact total size.
class Fields {
 public:
  explicit Fields(size_t expected) { fields_.reserve(expected); }

  void Add(int number, const MessageLite& message, const MessageLite* more = nullptr) {
    size_t size = message.ByteSizeLong();
    if (more != nullptr) size += more->ByteSizeLong();
    AddSized(number, size, message, more);
  }

  // Add() of a message whose cached size is valid (CacheTaskSizes).
  void AddCached(int number, const MessageLite& message) {
    AddSized(number, static_cast<size_t>(message.GetCachedSize()), message, nullptr);
  }

  void AddSized(int number, size_t size, const MessageLite& message, const MessageLite* more) {
    // A MasterState past 2 GiB cannot be serialized by any means.
    CHECK_LE(size, static_cast<size_t>(INT32_MAX)) << "state field " << number << " too large";
    const uint32_t tag = WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    total_ += CodedOutputStream::VarintSize32(tag) +
              CodedOutputStream::VarintSize32(static_cast<uint32_t>(size)) + size;
    fields_.push_back({tag, static_cast<uint32_t>(size), &message, more});
  }

  std::string Write() const {
    std::string bytes(total_, '\0');
    uint8_t* const begin = reinterpret_cast<uint8_t*>(bytes.data());
    uint8_t* target = begin;
    for (const Field& field : fields_) {
      target = CodedOutputStream::WriteVarint32ToArray(field.tag, target);
      target = CodedOutputStream::WriteVarint32ToArray(field.size, target);
      target = field.message->SerializeWithCachedSizesToArray(target);
      if (field.more != nullptr) target = field.more->SerializeWithCachedSizesToArray(target);
    }
    CHECK_EQ(static_cast<size_t>(target - begin), total_) << "state encoder sized wrongly";
    return bytes;
  }

 private:
  struct Field {
    uint32_t tag;
    uint32_t size;
    const MessageLite* message;
    const MessageLite* more;
  };
  std::vector<Field> fields_;
  size_t total_ = 0;
};

}  // namespace

std::string EncodeStateView(const StateSnapshot& snapshot) {
  const Sums sums = SumUp(snapshot);
  const std::vector<const v1::Task*> tasks = OrderedActiveTasks(snapshot);
  Fields fields(1 + snapshot.agents.size() + snapshot.frameworks.size() + tasks.size() +
                snapshot.completed_tasks.size() + snapshot.offers.size() + snapshot.masters.size() +
                16);
  fields.Add(kMaster, snapshot.master);

  std::vector<v1::AgentSummary> agent_figures(snapshot.agents.size());
  for (size_t i = 0; i < snapshot.agents.size(); ++i) {
    const v1::AgentSummary& agent = *snapshot.agents[i];
    SetFigures(sums, agent.info().id().value(), &agent_figures[i]);
    fields.Add(kAgents, agent, &agent_figures[i]);
  }
  std::vector<v1::FrameworkSummary> framework_figures(snapshot.frameworks.size());
  for (size_t i = 0; i < snapshot.frameworks.size(); ++i) {
    const v1::FrameworkSummary& framework = snapshot.frameworks[i];
    SetFigures(sums, framework.info().id().value(), &framework_figures[i]);
    fields.Add(kFrameworks, framework, &framework_figures[i]);
  }
  CacheTaskSizes(snapshot);
  for (const v1::Task* task : tasks) fields.AddCached(kTasks, *task);
  for (const TaskBook::Shared& task : snapshot.completed_tasks) fields.Add(kCompletedTasks, *task);
  for (const v1::Offer& offer : snapshot.offers) fields.Add(kOffers, offer);
  google::protobuf::RepeatedPtrField<v1::RoleSummary> roles;
  AddRoles(snapshot, sums, &roles);
  for (const v1::RoleSummary& role : roles) fields.Add(kRoles, role);
  for (const v1::MasterInfo& info : snapshot.masters) fields.Add(kMasters, info);
  return fields.Write();
}

std::string EncodeTasksView(const TaskPage& page) {
  Fields fields(page.tasks.size() + 1);
  for (const v1::Task* task : page.tasks)
    fields.Add(v1::GetTasksResponse::kTasksFieldNumber, *task);
  fields.Add(v1::GetTasksResponse::kPageFieldNumber, page.page);
  return fields.Write();
}

absl::StatusOr<std::string> EncodeStateJson(const StateSnapshot& snapshot) {
  // The generated pool's resolver, as MessageToJsonString uses; it only
  // reads the immutable pool, so threads share it.
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  static const std::string type_url =
      "type.googleapis.com/" + v1::MasterState::descriptor()->full_name();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(
      resolver, type_url, EncodeStateView(snapshot), &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("/state: the encoded MasterState did not convert to JSON: ",
                     absl::string_view(status.message().data(), status.message().size())));
  }
  return json;
}

}  // namespace agora::master
