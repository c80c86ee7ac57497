#include "cli/args.hpp"

#include <cmath>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/master_detector.hpp"
#include "common/validation.hpp"

namespace agora::cli {
namespace {

struct CommandName {
  const char* name;
  Command command;
};
constexpr CommandName kCommands[] = {
    {"run", Command::kRun},       {"tasks", Command::kTasks},
    {"agents", Command::kAgents}, {"frameworks", Command::kFrameworks},
    {"offers", Command::kOffers}, {"cluster", Command::kCluster},
    {"logs", Command::kLogs},
};

const char* NameOf(Command command) {
  for (const CommandName& c : kCommands) {
    if (c.command == command) return c.name;
  }
  return "?";
}

ParseResult Error(std::string message, std::optional<Command> command = std::nullopt) {
  ParseResult result;
  result.exit_code = 2;
  std::string help = command.has_value() ? absl::StrCat("agora ", NameOf(*command), " --help")
                                         : std::string("agora --help");
  result.text = absl::StrCat("agora: ", message, "\nTry '", help, "'.\n");
  return result;
}

ParseResult Help(std::string text) {
  ParseResult result;
  result.exit_code = 0;
  result.text = std::move(text);
  return result;
}

std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) return std::nullopt;
  return value;
}

// `agora logs --tail`: "N" lines, or "NB", "NKiB", "NMiB" bytes.
bool ParseTail(const std::string& text, LogsOptions* logs) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int64_t n = 0;
  if (digits == 0 || !absl::SimpleAtoi(text.substr(0, digits), &n)) return false;
  const std::string unit = text.substr(digits);
  const int64_t scale = unit.empty()    ? 0
                        : unit == "B"   ? 1
                        : unit == "KiB" ? 1 << 10
                        : unit == "MiB" ? 1 << 20
                                        : -1;
  if (scale < 0 || n > (int64_t{1} << 40)) return false;
  logs->tail_lines = scale == 0 ? n : -1;
  logs->tail_bytes = scale == 0 ? -1 : n * scale;
  return true;
}

// Splits "--flag=value" / "--flag value"; advances `i` past a consumed value.
struct Flag {
  std::string name;
  std::optional<std::string> value;
};

}  // namespace

std::string MainHelp() {
  return R"(Usage: agora [--master MASTER] COMMAND [OPTIONS]

Talk to an Agora master: run a one-shot job or list what the cluster holds.

Commands:
  cluster      Show the leading master, every master, and cluster totals
  run          Run a shell command as K tasks and wait for them to finish
  tasks        List tasks (active and completed)
  agents       List agents and their resources
  frameworks   List frameworks
  offers       List outstanding offers
  logs         Print a task's stdout or stderr (read from its agent's sandbox)

Global options:
  --master MASTER     Where the master is (default: $AGORA_MASTER, else 127.0.0.1:5050):
                        HOST:PORT                   one master's gRPC address
                        HOST:PORT,HOST:PORT,...     masters tried in turn until one
                                                    answers (a standby redirects to the leader)
                        zk://HOST:PORT[,...]/PATH   the leader elected in ZooKeeper under PATH
  --json              Print list results as JSON (protobuf JSON mapping)
  --help              Show help (also: agora COMMAND --help)

Exit codes: 0 success, 1 failure (unreachable master, failed tasks), 2 bad arguments.
)";
}

std::string CommandHelp(Command command) {
  switch (command) {
    case Command::kRun:
      return R"(Usage: agora run --command CMD [OPTIONS]

Registers a one-shot framework, launches the command as INSTANCES tasks on
offered resources, prints every task state change (task, state, agent,
message), and exits 0 if every task FINISHED, non-zero otherwise. The
framework is torn down on exit and on Ctrl-C (SIGINT/SIGTERM), which kills
tasks still running.

Options:
  --command CMD       Shell command each task runs (required)
  --name NAME         Framework name, also the task id prefix (default: agora-run)
  --cpus N            CPUs per task, > 0 (default: 0.1)
  --mem MB            Memory per task in MiB, > 0 (default: 32)
  --instances K       Number of tasks, 1-100000 (default: 1)
  --role ROLE         Role to run under (default: *)
  --timeout SECONDS   Give up (and tear down) after this long; 0 = never (default: 0)
  --master MASTER     HOST:PORT, HOST:PORT,HOST:PORT,... or zk://HOST:PORT[,...]/PATH
                      (default: $AGORA_MASTER, else 127.0.0.1:5050; see agora --help)
)";
    case Command::kTasks:
      return R"(Usage: agora tasks [--active] [--json] [--master MASTER]

Lists tasks with their state, framework, agent and resources.

Options:
  --active            Only tasks that are not terminal
  --json              Print the GetTasks response as JSON
)";
    case Command::kAgents:
      return R"(Usage: agora agents [--json] [--master MASTER]

Lists agents with their status, allocated/total resources and task counts.
)";
    case Command::kFrameworks:
      return R"(Usage: agora frameworks [--json] [--master MASTER]

Lists frameworks with their roles, connection state and allocation.
)";
    case Command::kCluster:
      return R"(Usage: agora cluster [--json] [--master MASTER]

Shows the leading master and every master contending with it (replicated
masters: the leader and its standbys, from the election in ZooKeeper), the
numbers of agents, frameworks and tasks, and allocated/total resources.
)";
    case Command::kOffers:
      return R"(Usage: agora offers [--json] [--master MASTER]

Lists outstanding offers: which agent's resources are offered to whom.
)";
    case Command::kLogs:
      return R"(Usage: agora logs TASK [--stderr] [-f] [--tail N] [--master MASTER]

Prints the stdout (or stderr) of task TASK, running or finished, read from its
sandbox on the agent that ran it (the master says which one). Works as long as
the sandbox exists on the agent.

Options:
  --stderr            The task's stderr instead of its stdout
  -f, --follow        Keep printing what the task writes until it has ended and
                      the file stops growing (or Ctrl-C)
  --tail N            Only the last N lines (looks at most 1 MiB back)
  --tail NB|NKiB|NMiB Only the last N bytes, KiB or MiB

Exit codes: 0 printed, 1 no such task, unreachable master or agent, or the
sandbox is gone; 2 bad arguments.
)";
  }
  return MainHelp();
}

ParseResult ParseCommandLine(const std::vector<std::string>& args, const EnvGetter& getenv) {
  CliOptions options;
  if (const char* env = getenv ? getenv("AGORA_MASTER") : nullptr; env != nullptr && *env) {
    options.master = env;
  }
  std::optional<Command> command;
  bool help = false;
  bool master_from_flag = false;
  bool saw_command_flag = false;
  std::vector<std::string> run_only_flags;
  std::vector<std::string> logs_only_flags;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "-")) {
      if (command == Command::kLogs && options.logs.task_id.empty()) {
        options.logs.task_id = arg;
        continue;
      }
      if (command.has_value()) {
        return Error(absl::StrCat("unexpected argument '", arg, "' for '", NameOf(*command), "'"),
                     command);
      }
      for (const CommandName& c : kCommands) {
        if (arg == c.name) command = c.command;
      }
      if (!command.has_value()) return Error(absl::StrCat("unknown command '", arg, "'"), command);
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help = true;
      continue;
    }
    if (arg == "-f" || arg == "--follow" || arg == "--stderr") {
      logs_only_flags.push_back(arg);
      (arg == "--stderr" ? options.logs.stderr_file : options.logs.follow) = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return Error(absl::StrCat("unknown option '", arg, "'"), command);
    }
    Flag flag;
    size_t eq = arg.find('=');
    flag.name = arg.substr(0, eq);
    if (eq != std::string::npos) flag.value = arg.substr(eq + 1);

    // Boolean flags.
    if (flag.name == "--json" || flag.name == "--active") {
      if (flag.value.has_value()) {
        return Error(absl::StrCat(flag.name, " takes no value (got '", *flag.value, "')"), command);
      }
      if (flag.name == "--json") options.json = true;
      if (flag.name == "--active") options.active_only = true;
      continue;
    }
    static const char* kValued[] = {"--master", "--name",      "--command", "--cpus",
                                    "--mem",    "--instances", "--role",    "--timeout"};
    bool known = flag.name == "--tail";
    for (const char* name : kValued) known = known || flag.name == name;
    if (!known) return Error(absl::StrCat("unknown option '", flag.name, "'"), command);
    if (!flag.value.has_value()) {
      if (i + 1 >= args.size()) return Error(absl::StrCat(flag.name, " needs a value"), command);
      flag.value = args[++i];
    }
    const std::string& value = *flag.value;
    if (flag.name == "--master") {
      options.master = value;
      master_from_flag = true;
      continue;
    }
    if (flag.name == "--tail") {
      logs_only_flags.push_back(flag.name);
      if (!ParseTail(value, &options.logs)) {
        return Error(absl::StrCat("--tail: '", value,
                                  "' is not a number of lines (N) or bytes (NB, NKiB, NMiB)"),
                     command);
      }
      continue;
    }
    run_only_flags.push_back(flag.name);
    RunOptions& run = options.run;
    if (flag.name == "--name") {
      if (absl::Status s = ValidateText("--name", value, 255, true); !s.ok()) {
        return Error(std::string(s.message()), command);
      }
      run.name = value;
    } else if (flag.name == "--command") {
      if (value.empty()) return Error("--command: must not be empty", command);
      run.command = value;
      saw_command_flag = true;
    } else if (flag.name == "--cpus" || flag.name == "--mem") {
      std::optional<double> number = ParseNumber(value);
      if (!number.has_value() || *number <= 0) {
        return Error(absl::StrCat(flag.name, ": '", value, "' is not a positive number"), command);
      }
      (flag.name == "--cpus" ? run.cpus : run.mem) = *number;
    } else if (flag.name == "--instances") {
      int instances = 0;
      if (!absl::SimpleAtoi(value, &instances) || instances < 1 || instances > 100000) {
        return Error(
            absl::StrCat("--instances: '", value, "' is not a whole number in [1, 100000]"),
            command);
      }
      run.instances = instances;
    } else if (flag.name == "--role") {
      if (absl::Status s = ValidateRole("--role", value); !s.ok()) {
        return Error(std::string(s.message()), command);
      }
      run.role = value;
    } else if (flag.name == "--timeout") {
      std::optional<double> number = ParseNumber(value);
      if (!number.has_value() || *number < 0) {
        return Error(absl::StrCat("--timeout: '", value, "' is not a number of seconds >= 0"),
                     command);
      }
      run.timeout_seconds = *number;
    }
  }

  if (help) return Help(command.has_value() ? CommandHelp(*command) : MainHelp());
  if (!command.has_value()) return Error("no command given", command);
  options.command = *command;
  if (options.command != Command::kRun && !run_only_flags.empty()) {
    return Error(absl::StrCat("option '", run_only_flags.front(), "' is only valid for 'run'"),
                 command);
  }
  if (options.command == Command::kRun) {
    if (!saw_command_flag) return Error("run: --command is required", command);
    if (options.json) return Error("--json is not valid for 'run'", command);
  }
  if (options.command != Command::kLogs && !logs_only_flags.empty()) {
    return Error(absl::StrCat("option '", logs_only_flags.front(), "' is only valid for 'logs'"),
                 command);
  }
  if (options.command == Command::kLogs) {
    if (options.logs.task_id.empty()) return Error("logs: TASK is required", command);
    if (options.json) return Error("--json is not valid for 'logs'", command);
  }
  if (options.active_only && options.command != Command::kTasks) {
    return Error("--active is only valid for 'tasks'", command);
  }
  const char* source = master_from_flag ? "--master" : "AGORA_MASTER";
  if (!master_from_flag && options.master == kDefaultMaster) source = "--master";
  if (absl::Status s = MasterDetector::Validate(source, options.master); !s.ok()) {
    return Error(std::string(s.message()), command);
  }
  ParseResult result;
  result.proceed = true;
  result.options = std::move(options);
  return result;
}

}  // namespace agora::cli
