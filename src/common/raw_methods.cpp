#include "common/raw_methods.hpp"

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/slice.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "agora/v1/common.pb.h"
#include "common/validation.hpp"

namespace agora {

absl::Status UnparsableError(absl::string_view method, absl::string_view type_name) {
  const std::string reason = absl::StrCat("the request could not be parsed as ", type_name,
                                          " (its bytes are not that protobuf message)");
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(method, ": ", reason));
  v1::FieldViolation violation;
  violation.set_description(reason);  // No field: the whole message is bad.
  status.SetPayload(kFieldViolationUrl, absl::Cord(violation.SerializeAsString()));
  return status;
}

grpc::ByteBuffer ByteBufferOf(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

int MethodIndex(absl::string_view service, absl::string_view method) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  CHECK(descriptor != nullptr) << "no proto service " << service;
  const google::protobuf::MethodDescriptor* found =
      descriptor->FindMethodByName(std::string(method));
  CHECK(found != nullptr) << "no method " << method << " in " << service;
  return found->index();
}

}  // namespace agora
