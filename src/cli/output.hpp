// What every `agora` command prints besides its tables: the master's answer
// as JSON, and one-line errors with the exit code they imply.
#ifndef AGORA_CLI_OUTPUT_HPP_
#define AGORA_CLI_OUTPUT_HPP_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace agora::cli {

class OperatorClient;

// `message` in the protobuf JSON mapping with the proto field names;
// indented, or on one line (for streams of events).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message, bool one_line);

// Prints ToJson(message) to stdout (a newline at the end); the exit code.
int PrintJson(const google::protobuf::Message& message, bool one_line = false);

// Prints "agora: ..." for a failed `call` to stderr and returns its exit
// code: kExitNotFound with "no <subject>: <master's reason>" when the
// master answered NOT_FOUND and `subject` ("agent a-1") is given,
// otherwise kExitFailure with DescribeCallError's text.
int ReportCallError(const OperatorClient& client, const char* call, const absl::Status& status,
                    const std::string& subject = "");

// Prints "agora: no <subject>" to stderr; kExitNotFound.
int ReportNotFound(const std::string& subject);

}  // namespace agora::cli

#endif  // AGORA_CLI_OUTPUT_HPP_
