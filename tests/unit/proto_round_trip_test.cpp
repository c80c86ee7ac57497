// The wire protocol's messages survive serialization, and the enum and
// field conventions of proto/ hold.
#include <google/protobuf/descriptor.h>

#include "agora/internal/agent_master.pb.h"
#include "agora/internal/checkpoint.pb.h"
#include "agora/internal/registry.pb.h"
#include "agora/v1/agent.pb.h"
#include "agora/v1/executor.pb.h"
#include "agora/v1/master.pb.h"
#include "agora/v1/scheduler.pb.h"
#include "gtest/gtest.h"

namespace agora {
namespace {

template <typename T>
T RoundTrip(const T& message) {
  T copy;
  EXPECT_TRUE(copy.ParseFromString(message.SerializeAsString()));
  return copy;
}

TEST(ProtoRoundTripTest, AcceptWithLaunchSurvives) {
  v1::AcceptRequest accept;
  accept.mutable_header()->mutable_framework_id()->set_value("F-1");
  accept.mutable_header()->set_stream_id("s1");
  accept.add_offer_ids()->set_value("O-1");
  auto* op = accept.add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = op->mutable_launch()->add_task_infos();
  task->set_name("hello");
  task->mutable_task_id()->set_value("t1");
  task->mutable_command()->set_shell(true);
  task->mutable_command()->set_value("echo hello");
  auto* cpus = task->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(v1::Resource::SCALAR);
  cpus->set_scalar(0.1);
  accept.mutable_filters()->set_refuse_seconds(5);

  v1::AcceptRequest copy = RoundTrip(accept);
  EXPECT_EQ(copy.DebugString(), accept.DebugString());
  EXPECT_EQ(copy.operations(0).launch().task_infos(0).command().value(), "echo hello");
}

TEST(ProtoRoundTripTest, ReregisterCarriesTheAgentsTasks) {
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::REREGISTER);
  auto* reregister = message.mutable_reregister();
  reregister->mutable_agent_info()->mutable_id()->set_value("A-1");
  for (int i = 0; i < 3; ++i) {
    auto* task = reregister->add_tasks();
    task->mutable_task_id()->set_value("t" + std::to_string(i));
    task->set_state(v1::TASK_RUNNING);
  }
  internal::AgentMessage copy = RoundTrip(message);
  ASSERT_EQ(copy.reregister().tasks_size(), 3);
  EXPECT_EQ(copy.reregister().tasks(2).task_id().value(), "t2");
  EXPECT_EQ(copy.reregister().tasks(2).state(), v1::TASK_RUNNING);
}

TEST(ProtoRoundTripTest, RegistryAndCheckpointRecordsSurvive) {
  internal::Registry registry;
  auto* agent = registry.add_agents();
  agent->mutable_info()->mutable_id()->set_value("A-1");
  agent->set_status(internal::AgentRecord::UNREACHABLE);
  agent->set_status_time(1700000000.5);
  auto* framework = registry.add_frameworks();
  framework->mutable_info()->set_failover_timeout(604800);
  EXPECT_EQ(RoundTrip(registry).DebugString(), registry.DebugString());

  internal::StatusUpdateRecord record;
  record.set_type(internal::StatusUpdateRecord::UPDATE);
  record.mutable_status()->set_uuid(std::string("\x00\x01\xff", 3));
  EXPECT_EQ(RoundTrip(record).status().uuid(), std::string("\x00\x01\xff", 3));
}

// Enums start with a *_UNSPECIFIED = 0 value, so an unset field is never
// mistaken for a meaningful one.
void ExpectUnspecifiedZero(const google::protobuf::EnumDescriptor* e) {
  ASSERT_GT(e->value_count(), 0);
  const google::protobuf::EnumValueDescriptor* zero = e->FindValueByNumber(0);
  ASSERT_NE(zero, nullptr) << e->full_name();
  EXPECT_NE(zero->name().find("UNSPECIFIED"), std::string::npos) << e->full_name();
}

void CheckEnums(const google::protobuf::FileDescriptor* file) {
  for (int i = 0; i < file->enum_type_count(); ++i) ExpectUnspecifiedZero(file->enum_type(i));
  std::vector<const google::protobuf::Descriptor*> stack;
  for (int i = 0; i < file->message_type_count(); ++i) stack.push_back(file->message_type(i));
  while (!stack.empty()) {
    const google::protobuf::Descriptor* d = stack.back();
    stack.pop_back();
    for (int i = 0; i < d->enum_type_count(); ++i) ExpectUnspecifiedZero(d->enum_type(i));
    for (int i = 0; i < d->nested_type_count(); ++i) stack.push_back(d->nested_type(i));
  }
}

TEST(ProtoConventionsTest, EveryEnumStartsWithUnspecified) {
  for (const auto* file :
       {v1::Resource::descriptor()->file(), v1::Event::descriptor()->file(),
        v1::ExecutorEvent::descriptor()->file(), v1::MasterState::descriptor()->file(),
        v1::AgentState::descriptor()->file(), internal::AgentMessage::descriptor()->file(),
        internal::Registry::descriptor()->file(),
        internal::StatusUpdateRecord::descriptor()->file()}) {
    CheckEnums(file);
  }
}

TEST(ProtoConventionsTest, RpcStatusIsWireCompatibleWithGoogleRpcStatus) {
  // google.rpc.Status: int32 code = 1; string message = 2; repeated Any
  // details = 3.
  const auto* d = v1::RpcStatus::descriptor();
  EXPECT_EQ(d->FindFieldByNumber(1)->name(), "code");
  EXPECT_EQ(d->FindFieldByNumber(1)->type(), google::protobuf::FieldDescriptor::TYPE_INT32);
  EXPECT_EQ(d->FindFieldByNumber(2)->name(), "message");
  EXPECT_EQ(d->FindFieldByNumber(3)->message_type()->full_name(), "google.protobuf.Any");
  EXPECT_TRUE(d->FindFieldByNumber(3)->is_repeated());
}

}  // namespace
}  // namespace agora
