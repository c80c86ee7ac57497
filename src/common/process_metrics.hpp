// ProcessMetrics: the standard Prometheus process_* families for the
// calling process, read from /proc/self (Linux). Called on an HTTP thread at
// scrape time; never on a daemon's loop (it reads /proc and lists fds).
#ifndef AGORA_COMMON_PROCESS_METRICS_HPP_
#define AGORA_COMMON_PROCESS_METRICS_HPP_

#include "common/metrics.hpp"

namespace agora {

// Appends process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and
// process_start_time_seconds. A figure that cannot be read is left out.
void AddProcessMetrics(MetricsText* out);

}  // namespace agora

#endif  // AGORA_COMMON_PROCESS_METRICS_HPP_
