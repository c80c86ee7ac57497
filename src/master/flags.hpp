// Command-line flags of agora-master (gflags), copied into MasterOptions.
#ifndef AGORA_MASTER_FLAGS_HPP_
#define AGORA_MASTER_FLAGS_HPP_

#include "absl/status/statusor.h"
#include "master/master_options.hpp"

namespace agora::master {

// Builds options from the parsed flags; errors name the flag.
absl::StatusOr<MasterOptions> OptionsFromFlags();

}  // namespace agora::master

#endif  // AGORA_MASTER_FLAGS_HPP_
