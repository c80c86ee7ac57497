// The request fuzz target (see request_fuzz_target.cpp for the input layout
// and the properties it checks). Not thread-safe: one caller at a time, as
// libFuzzer and the property driver call it.
#ifndef AGORA_TESTS_FUZZ_REQUEST_FUZZ_TARGET_HPP_
#define AGORA_TESTS_FUZZ_REQUEST_FUZZ_TARGET_HPP_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

namespace agora::fuzz {

// Number of targets byte 0 selects from (modulo): 0 flag text, 1 resource
// protos, 2.. scheduler calls (Accept, Decline, Revive, Suppress, Kill,
// Acknowledge, Reconcile, Message, Shutdown, UpdateFramework).
inline constexpr int kTargets = 12;

struct FuzzStats {
  long inputs = 0;
  long calls = 0;             // scheduler calls that reached the core
  long held_offers_used = 0;  // accepts/declines naming an offer the framework held
  long invalid_argument = 0;
  long missing_field_violation = 0;
  // "<call> <field>" of each kind of INVALID_ARGUMENT seen without a
  // FieldViolation (field = the message up to ": ", indices replaced by []).
  std::set<std::string> missing_kinds;
};

// Runs one input; aborts (after printing the reason) if a property fails.
int FuzzOneInput(const uint8_t* data, size_t size);

// Strict: an INVALID_ARGUMENT without a FieldViolation is a violation too.
void SetStrict(bool on);

const FuzzStats& Stats();

}  // namespace agora::fuzz

#endif  // AGORA_TESTS_FUZZ_REQUEST_FUZZ_TARGET_HPP_
