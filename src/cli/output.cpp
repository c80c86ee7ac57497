#include "cli/output.hpp"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/args.hpp"
#include "cli/operator_client.hpp"
#include "google/protobuf/util/json_util.h"

namespace agora::cli {

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message, bool one_line) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !one_line;
  options.preserve_proto_field_names = true;
  std::string text;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
      !status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  if (text.empty() || text.back() != '\n') text += "\n";
  return text;
}

int PrintJson(const google::protobuf::Message& message, bool one_line) {
  absl::StatusOr<std::string> text = ToJson(message, one_line);
  if (!text.ok()) {
    std::cerr << "agora: " << text.status().message() << std::endl;
    return kExitFailure;
  }
  std::cout << *text << std::flush;
  return kExitOk;
}

int ReportCallError(const OperatorClient& client, const char* call, const absl::Status& status,
                    const std::string& subject) {
  if (status.code() == absl::StatusCode::kNotFound && !subject.empty()) {
    std::cerr << "agora: no " << subject << ": " << status.message() << std::endl;
    return kExitNotFound;
  }
  std::cerr << "agora: " << DescribeCallError(client.master(), call, status) << std::endl;
  return kExitFailure;
}

int ReportNotFound(const std::string& subject) {
  std::cerr << "agora: no " << subject << std::endl;
  return kExitNotFound;
}

}  // namespace agora::cli
