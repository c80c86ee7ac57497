// The reports of a fleet run: JSON for scripts, text for people.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "fleet/fleet_run.hpp"

namespace agora::bench {
namespace {

std::string Json(const LatencySummary& s) {
  return absl::StrFormat(R"({"count":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f})",
                         s.count, s.p50, s.p90, s.p99, s.max);
}

std::string Json(const BucketSummary& s) {
  return absl::StrFormat(R"({"count":%d,"p99_le_ms":%.1f,"max_le_ms":%.1f})", s.count,
                         1000 * s.p99_le, 1000 * s.max_le);
}

std::string Json(const StageCounts& c) {
  std::string failures = absl::StrJoin(c.failures, ",", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, "\"", entry.first, "\":", entry.second);
  });
  return absl::StrFormat(
      R"({"launched":%d,"arrived":%d,"running_acked":%d,"finished":%d,"failed":%d,"failures":{%s}})",
      c.launched, c.arrived, c.running_acked, c.finished, c.failed, failures);
}

std::string Text(const LatencySummary& s) {
  return absl::StrFormat("p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms  (n=%d)", s.p50, s.p90, s.p99,
                         s.max, s.count);
}

std::string Text(const BucketSummary& s) {
  if (s.count == 0) return "no observations";
  return absl::StrFormat("p99 <= %.1f ms, max <= %.1f ms (n=%d, bucket bounds)", 1000 * s.p99_le,
                         1000 * s.max_le, s.count);
}

const char* LoadName(FleetLoad load) { return load == FleetLoad::kPack ? "pack" : "decline"; }

}  // namespace

std::string FleetResultJson(const std::string& workload, const FleetRunOptions& o,
                            const FleetRunResult& r) {
  return absl::StrCat(
      "{",
      absl::StrFormat(R"("workload":"%s","cores":%d,)", workload,
                      static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN))),
      absl::StrFormat(
          R"("agents":%d,"agents_registered":%d,"register_s":%.2f,"frameworks":%d,"roles":%d,)",
          o.agents, r.agents_registered, r.register_seconds, o.frameworks, o.roles),
      absl::StrFormat(R"("load":"%s","tasks_per_offer":%d,"window":%d,"task_duration_s":%.1f,)",
                      LoadName(o.load), o.tasks_per_offer, o.window,
                      absl::ToDoubleSeconds(o.task_duration)),
      absl::StrFormat(R"("window_s":%.3f,"running_acked_per_s":%.1f,"worst_second":%d,)",
                      r.window_seconds, r.running_per_second, r.worst_second),
      absl::StrFormat(R"("best_second":%d,"offers":%d,"framework_errors":%d,)", r.best_second,
                      r.offers, r.framework_errors),
      "\"counts\":", Json(r.window), ",\"total_counts\":", Json(r.total),
      ",\"offer_to_accept\":", Json(r.offer_to_accept),
      ",\"accept_to_agent\":", Json(r.accept_to_agent),
      ",\"agent_to_running\":", Json(r.agent_to_running),
      ",\"accept_to_running\":", Json(r.accept_to_running),
      ",\"heartbeat_lateness\":", Json(r.heartbeat_lateness),
      ",\"probe_get_health\":", Json(r.probe_health), ",\"probe_accept\":", Json(r.probe_accept),
      absl::StrFormat(R"(,"probe_unexpected":%d)", r.probe_unexpected),
      ",\"master_loop_lag\":", Json(r.loop_lag),
      ",\"master_allocation_cycle\":", Json(r.allocation_cycle),
      ",\"master_allocation_loop_cpu\":", Json(r.allocation_loop),
      absl::StrFormat(R"(,"allocation_invariant_violations":%d,"allocation_decisions_dropped":%d,)"
                      R"("allocation_decisions_returned":%d,"master_flags":"%s","fleet_nice":%d)",
                      r.allocation_invariant_violations, r.allocation_decisions_dropped,
                      r.allocation_decisions_returned, absl::StrJoin(o.master_flags, " "),
                      o.fleet_nice),
      absl::StrFormat(
          R"(,"master_cpu_s":%.2f,"bench_cpu_s":%.2f,"master_rss_mib":%.1f,"bench_rss_mib":%.1f,)",
          r.master_cpu_seconds, r.bench_cpu_seconds, r.master_rss_mib, r.bench_rss_mib),
      absl::StrFormat(R"("load_before":%.2f,"load_after":%.2f,"master_pid":%d,"master_log":"%s"})",
                      r.load_before, r.load_after, r.master_pid, r.master_log));
}

std::string FleetResultText(const std::string& workload, const FleetRunOptions& o,
                            const FleetRunResult& r) {
  std::string out;
  absl::StrAppendFormat(&out,
                        "== agora-bench %s: %d agents (%s), %d frameworks in %d roles, load %s, "
                        "%ld cores\n",
                        workload, o.agents, o.agent_resources, o.frameworks, o.roles,
                        LoadName(o.load), ::sysconf(_SC_NPROCESSORS_ONLN));
  absl::StrAppendFormat(&out, "  agents registered: %d in %.2f s; window %.1f s after %s warm-up\n",
                        r.agents_registered, r.register_seconds, r.window_seconds,
                        absl::FormatDuration(o.warmup));
  absl::StrAppendFormat(
      &out, "  RUNNING acknowledged: %d = %.1f tasks/s (worst second %d, best %d)\n",
      r.window.running_acked, r.running_per_second, r.worst_second, r.best_second);
  absl::StrAppendFormat(&out,
                        "  window counts: launched %d, at agents %d, FINISHED %d, failed %d; "
                        "offers %d; framework errors %d\n",
                        r.window.launched, r.window.arrived, r.window.finished, r.window.failed,
                        r.offers, r.framework_errors);
  absl::StrAppend(&out, "  offer -> accept      ", Text(r.offer_to_accept), "\n");
  absl::StrAppend(&out, "  accept -> at agent   ", Text(r.accept_to_agent), "\n");
  absl::StrAppend(&out, "  at agent -> RUNNING  ", Text(r.agent_to_running), "\n");
  absl::StrAppend(&out, "  accept -> RUNNING    ", Text(r.accept_to_running), "\n");
  absl::StrAppend(&out, "  loop probe GetHealth ", Text(r.probe_health), "\n");
  absl::StrAppend(&out, "  loop probe Accept    ", Text(r.probe_accept), "\n");
  absl::StrAppend(&out, "  heartbeat lateness   ", Text(r.heartbeat_lateness), "\n");
  absl::StrAppend(&out, "  master loop lag (1/s probe) ", Text(r.loop_lag), "\n");
  absl::StrAppend(&out, "  allocation cycles           ", Text(r.allocation_cycle), "\n");
  absl::StrAppend(&out, "  allocation loop CPU/stretch ", Text(r.allocation_loop), "\n");
  absl::StrAppendFormat(&out,
                        "  allocation invariant violations %d; stale decisions dropped %d, "
                        "returned %d; master flags: %s\n",
                        r.allocation_invariant_violations, r.allocation_decisions_dropped,
                        r.allocation_decisions_returned,
                        o.master_flags.empty() ? "(defaults)" : absl::StrJoin(o.master_flags, " "));
  absl::StrAppendFormat(&out,
                        "  CPU over the window: master %.2f s (%.0f%% of a core), agora-bench "
                        "%.2f s (%.0f%%); RSS master %.0f MiB, agora-bench %.0f MiB\n",
                        r.master_cpu_seconds, 100 * r.master_cpu_seconds / r.window_seconds,
                        r.bench_cpu_seconds, 100 * r.bench_cpu_seconds / r.window_seconds,
                        r.master_rss_mib, r.bench_rss_mib);
  if (o.fleet_nice != 0) {
    absl::StrAppendFormat(&out, "  agora-bench's threads at niceness %d (the master at its own)\n",
                          o.fleet_nice);
  }
  absl::StrAppendFormat(&out, "  load average %.2f -> %.2f; master log %s\n", r.load_before,
                        r.load_after, r.master_log);
  return out;
}

}  // namespace agora::bench
