#include "common/ids.hpp"

#include <random>

#include "absl/strings/str_cat.h"
#include "common/validation.hpp"

namespace agora {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// One generator per thread: seeded from the OS, never shared across threads.
std::mt19937_64& ThreadRng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

}  // namespace

absl::Status ValidateId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return InvalidField(field, "must not be empty");
  if (value.size() > kMaxIdLength) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxIdLength, " bytes"));
  }
  for (char c : value) {
    if (!IsIdChar(c)) {
      return InvalidField(
          field, absl::StrCat("'", value, "' contains a character outside [A-Za-z0-9._-]"));
    }
  }
  if (value == "." || value == "..") return InvalidField(field, "must not be '.' or '..'");
  return absl::OkStatus();
}

std::string IdGenerator::Next(absl::string_view prefix) {
  return absl::StrCat(prefix, "-", epoch_, "-", ++counter_);
}

std::string NewUuidBytes() {
  std::string bytes(16, '\0');
  auto& rng = ThreadRng();
  for (int i = 0; i < 2; ++i) {
    uint64_t v = rng();
    for (int j = 0; j < 8; ++j) bytes[i * 8 + j] = static_cast<char>(v >> (8 * j));
  }
  return bytes;
}

std::string RandomHexId() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = ThreadRng()();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHex[v & 0xf];
  return out;
}

std::string BytesToHex(absl::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace agora
