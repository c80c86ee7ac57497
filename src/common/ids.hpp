// Identifier rules and generation.
//
// Every Agora id is 1-255 bytes of [A-Za-z0-9._-] (see common.proto).
// Master-assigned ids (framework, agent, offer) are "<prefix>-<epoch>-<n>",
// where the epoch is unique per master process so ids never repeat across a
// failover, and n counts up.
#ifndef AGORA_COMMON_IDS_HPP_
#define AGORA_COMMON_IDS_HPP_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace agora {

inline constexpr size_t kMaxIdLength = 255;

// OK if `value` is a valid id (1-255 bytes of [A-Za-z0-9._-], not "." or
// ".."); otherwise InvalidField(field, reason): INVALID_ARGUMENT
// "<field>: <reason>" with a FieldViolation naming `field`.
absl::Status ValidateId(absl::string_view field, absl::string_view value);

// Generates master-assigned ids. Not thread-safe: owned by one loop.
class IdGenerator {
 public:
  // `epoch` distinguishes this generator from every earlier one (e.g. a
  // random 64-bit value, or the registry's epoch counter).
  explicit IdGenerator(std::string epoch) : epoch_(std::move(epoch)) {}

  // Returns "<prefix>-<epoch>-<n>" with n = 1, 2, ...
  std::string Next(absl::string_view prefix);

  const std::string& epoch() const { return epoch_; }

 private:
  std::string epoch_;
  uint64_t counter_ = 0;
};

// 16 random bytes, the uuid carried by status updates.
std::string NewUuidBytes();

// A random 16-hex-digit string, e.g. for stream ids and master ids.
std::string RandomHexId();

// Hex rendering of arbitrary bytes (uuids in logs and tables).
std::string BytesToHex(absl::string_view bytes);

}  // namespace agora

#endif  // AGORA_COMMON_IDS_HPP_
