// Scans of /proc for the processes tests leave behind or look for: live
// processes by command line, an agora-executor by its executor id, and a
// process's open descriptors.
#ifndef AGORA_TESTS_SUPPORT_PROCESS_SCAN_HPP_
#define AGORA_TESTS_SUPPORT_PROCESS_SCAN_HPP_

#include <sys/types.h>

#include <string>
#include <vector>

namespace agora::testing {

// Live (not zombie) processes whose command line starts with `marker`
// ("sleep 3001" finds the task's sleep, not the shell or the framework that
// carry it in their arguments).
std::vector<pid_t> LiveProcessesWith(const std::string& marker);
// The process serving executor `executor_id` (agora-executor, or the
// agora-shim of a command task run by the built-in executor), or -1.
pid_t ExecutorPid(const std::string& executor_id);
// Live processes whose environment has `name`=value with value starting
// with `prefix` (tasks inherit their executor's AGORA_SANDBOX).
std::vector<pid_t> ProcessesWithEnvironmentPrefix(const std::string& name,
                                                  const std::string& prefix);
// Open descriptors of `pid` (numbers from /proc/PID/fd).
std::vector<int> OpenDescriptors(pid_t pid);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_PROCESS_SCAN_HPP_
