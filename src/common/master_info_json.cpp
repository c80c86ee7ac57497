#include "common/master_info_json.hpp"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

namespace agora {

std::string MasterInfoToJson(const v1::MasterInfo& info) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(info, &json, options);
  return json;
}

absl::StatusOr<v1::MasterInfo> MasterInfoFromJson(absl::string_view json) {
  v1::MasterInfo info;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &info, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("MasterInfo JSON does not parse: ", status.ToString()));
  }
  if (info.address().empty()) return absl::InvalidArgumentError("MasterInfo JSON has no address");
  return info;
}

}  // namespace agora
