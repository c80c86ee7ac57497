#include "common/master_info_json.hpp"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "common/master_detector.hpp"

namespace agora {

std::string MasterInfoToJson(const v1::MasterInfo& info) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a message without Any fields cannot fail.
  (void)google::protobuf::util::MessageToJsonString(info, &json, options);
  return json;
}

absl::StatusOr<v1::MasterInfo> MasterInfoFromJson(absl::string_view json) {
  if (json.empty()) return absl::InvalidArgumentError("master info: empty (expected JSON)");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  v1::MasterInfo info;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &info, options);
  if (!parsed.ok()) {
    // The parser quotes the input over several lines: keep the first.
    std::string why = parsed.message().as_string();
    why = why.substr(0, why.find('\n'));
    return absl::InvalidArgumentError(absl::StrCat("master info: not a MasterInfo in JSON: ", why));
  }
  if (absl::Status valid = ValidateHostPort("master info: address", info.address()); !valid.ok())
    return valid;
  return info;
}

}  // namespace agora
