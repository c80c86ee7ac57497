// BenchArgs: the `--name=value` / `--name value` flags of one agora-bench
// workload, without gflags (every workload of the one binary has its own
// set, and gflags' flags are process-global).
//
//   BenchArgs args("throughput");
//   int agents = 1000;
//   args.Int("agents", &agents, "Simulated agents.");
//   if (absl::Status s = args.Parse(argc, argv); !s.ok()) ...  // names the flag
//
// Booleans take `--quick`, `--quick=true|false`. Durations use the daemons'
// vocabulary (common/flag_values.hpp: "5s", "250ms"; a bare number is
// seconds). `--help` sets help_requested(). Not thread-safe.
#ifndef AGORA_BENCH_FLEET_ARGS_HPP_
#define AGORA_BENCH_FLEET_ARGS_HPP_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace agora::bench {

class BenchArgs {
 public:
  explicit BenchArgs(std::string workload) : workload_(std::move(workload)) {}

  void Int(const std::string& name, int* value, const std::string& help);
  void Double(const std::string& name, double* value, const std::string& help);
  void Bool(const std::string& name, bool* value, const std::string& help);
  void String(const std::string& name, std::string* value, const std::string& help);
  void Duration(const std::string& name, absl::Duration* value, const std::string& help);

  // Parses argv[1..]: INVALID_ARGUMENT "--<flag>: <reason>" for an unknown
  // flag, a missing or malformed value, or a positional argument.
  absl::Status Parse(int argc, char** argv);
  bool help_requested() const { return help_; }
  // One line per flag with its default.
  std::string Usage() const;
  // True if `name` was given on the command line.
  bool Given(const std::string& name) const { return given_.count(name) != 0; }

 private:
  struct Flag {
    bool is_bool = false;
    std::string help;
    std::string default_text;
    std::function<absl::Status(const std::string&)> set;
  };
  void Add(const std::string& name, Flag flag);

  std::string workload_;
  std::map<std::string, Flag> flags_;
  std::map<std::string, bool> given_;
  bool help_ = false;
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_ARGS_HPP_
