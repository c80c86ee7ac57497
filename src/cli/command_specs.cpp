// The command table itself; the texts derived from it are in
// command_help.cpp.
#include "cli/command_specs.hpp"

#include <set>

#include "absl/strings/str_split.h"

namespace agora::cli {
namespace {

// Options shown by every command's help (handled by the parser itself).
constexpr const char* kMasterHelp =
    "HOST:PORT, HOST:PORT,HOST:PORT,... or zk://HOST:PORT[,...]/PATH\n"
    "(default: $AGORA_MASTER, else 127.0.0.1:5050; see agora --help)";

const std::vector<FlagSpec> kFlags = {
    {"--master", "MASTER", kMasterHelp},
    {"--help", nullptr, "Show this help"},
    {"--json", nullptr, "Print the master's answer as JSON (protobuf JSON mapping)"},
    {"--all", nullptr, "Include completed (terminal) tasks"},
    {"--active", nullptr, "Only tasks that are not terminal (the default; kept for scripts)"},
    {"--framework", "ID", "Only this framework's"},
    {"--agent", "ID", "Only tasks on this agent"},
    {"--state", "STATE", "Only tasks in STATE (RUNNING, FINISHED...; repeat or comma-separate)",
     true},
    {"--guarantee", "RESOURCES", "Resources set aside for the role, e.g. 'cpus:2;mem:1024'"},
    {"--limit", "RESOURCES", "The most the role may use, e.g. 'cpus:8;mem:8192'"},
    {"--force", nullptr, "Set the guarantee even if the cluster cannot satisfy it now"},
    {"--grace", "DURATION",
     "Time between the kill and SIGKILL: 30s, 500ms, 2m (a bare number is seconds)"},
    {"--mark-gone", nullptr, "Mark the agent gone once it is drained"},
    {"--yes", nullptr, "Confirm an irreversible change"},
    {"--types", "TYPES",
     "Only these event types, comma-separated: TASK_ADDED, TASK_UPDATED, AGENT_ADDED,\n"
     "AGENT_UPDATED, AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED,\n"
     "FRAMEWORK_REMOVED, HEARTBEAT",
     true},
    {"--stderr", nullptr, "The task's stderr instead of its stdout"},
    {"-f", nullptr, "Same as --follow"},
    {"--follow", nullptr,
     "Keep printing what the task writes until it has ended and\n"
     "the file stops growing (or Ctrl-C)"},
    {"--tail", "N",
     "Only the last N lines (looks at most 1 MiB back);\n"
     "NB, NKiB, NMiB: only the last N bytes, KiB or MiB"},
    {"--command", "CMD", "Shell command each task runs (required)"},
    {"--name", "NAME", "Framework name, also the task id prefix (default: agora-run)"},
    {"--cpus", "N", "CPUs per task, > 0 (default: 0.1)"},
    {"--mem", "MB", "Memory per task in MiB, > 0 (default: 32)"},
    {"--instances", "K", "Number of tasks, 1-100000 (default: 1)"},
    {"--role", "ROLE", "Role to run under (default: *)"},
    {"--timeout", "SECONDS", "Give up (and tear down) after this long; 0 = never (default: 0)"},
    {"--health-cmd", "CMD",
     "Health check: a shell command in the task's sandbox, exit 0 = healthy"},
    {"--health-tcp", "PORT", "Health check: a TCP connect to 127.0.0.1:PORT"},
    {"--health-http", "PORT[/PATH]",
     "Health check: GET http://127.0.0.1:PORT/PATH, 200-399 = healthy"},
};

const std::vector<CommandSpec> kSpecs = {
    {Command::kCluster,
     "cluster",
     "",
     0,
     0,
     {"--json"},
     "Show the leading master, every master, and cluster totals",
     "Shows the leading master and every master contending with it (replicated\n"
     "masters: the leader and its standbys), the numbers of agents, frameworks\n"
     "and tasks, and allocated/total resources."},
    {Command::kAgents,
     "agents",
     "",
     0,
     0,
     {"--json"},
     "List agents and their resources",
     "Lists agents with their status, allocated/total resources and task counts."},
    {Command::kAgent,
     "agent",
     "AGENT",
     1,
     1,
     {"--json"},
     "Show one agent and its tasks",
     "Shows one agent: status, addresses, total/allocated/offered resources, and\n"
     "the tasks running on it. Exit code 3 if the master knows no such agent."},
    {Command::kFrameworks,
     "frameworks",
     "",
     0,
     0,
     {"--json"},
     "List frameworks",
     "Lists frameworks with their roles, connection state and allocation."},
    {Command::kFramework,
     "framework",
     "FRAMEWORK",
     1,
     1,
     {"--json"},
     "Show one framework and its tasks",
     "Shows one framework (also one torn down recently): roles, connection,\n"
     "failover deadline, allocated/offered resources and its active tasks.\n"
     "Exit code 3 if the master knows no such framework."},
    {Command::kTasks,
     "tasks",
     "",
     0,
     0,
     {"--all", "--active", "--framework", "--agent", "--state", "--json"},
     "List tasks (active; --all adds completed)",
     "Lists active tasks with their state, framework, agent and resources;\n"
     "--all adds completed tasks from the master's bounded history. The filters\n"
     "are applied by the master. Asking for a terminal --state implies --all."},
    {Command::kTask,
     "task",
     "TASK",
     1,
     1,
     {"--framework", "--json"},
     "Show one task and its status history",
     "Shows one task (active or completed) and every status update it went\n"
     "through, oldest first. --framework picks one when several frameworks use\n"
     "the id. Exit code 3 if the master knows no such task."},
    {Command::kOffers,
     "offers",
     "",
     0,
     0,
     {"--json"},
     "List outstanding offers",
     "Lists outstanding offers: which agent's resources are offered to whom."},
    {Command::kRoles,
     "roles",
     "",
     0,
     0,
     {"--json"},
     "List roles: weight, quota, allocation",
     "Lists the roles the master knows with their weight, quota guarantee and\n"
     "limit, allocated and offered resources, frameworks and dominant share."},
    {Command::kQuotaGet,
     "quota get",
     "",
     0,
     0,
     {"--json"},
     "Show every role's quota",
     "Shows the quota (guarantee and limit) of every role that has one."},
    {Command::kQuotaSet,
     "quota set",
     "ROLE",
     1,
     1,
     {"--guarantee", "--limit", "--force"},
     "Set a role's quota guarantee and limit",
     "Replaces ROLE's quota. The master refuses a guarantee the cluster cannot\n"
     "satisfy unless --force is given. RESOURCES are scalars in the agent flag\n"
     "syntax: 'cpus:2;mem:1024'. At least one of --guarantee and --limit."},
    {Command::kQuotaRemove,
     "quota remove",
     "ROLE",
     1,
     1,
     {},
     "Remove a role's quota",
     "Removes ROLE's quota (guarantee and limit). Never refused for lack of\n"
     "capacity (sent with force)."},
    {Command::kWeightsGet,
     "weights get",
     "",
     0,
     0,
     {"--json"},
     "Show role weights",
     "Shows the weight of every role that has one set (others weigh 1)."},
    {Command::kWeightsSet,
     "weights set",
     "ROLE=WEIGHT...",
     1,
     -1,
     {},
     "Set role weights",
     "Sets the weight of each ROLE (a positive number; a role with weight 2 gets\n"
     "twice the share of a role with weight 1). Example: agora weights set eng=2 ops=0.5"},
    {Command::kDrain,
     "drain",
     "AGENT",
     1,
     1,
     {"--grace", "--mark-gone"},
     "Stop offers from an agent and kill its tasks",
     "Drains AGENT: it gets no new offers, its outstanding offers are rescinded\n"
     "and every task on it is killed (with --grace as the kill grace period,\n"
     "else each task's kill policy). The agent is DRAINING until no task is\n"
     "left, then DRAINED; --mark-gone then marks it gone. 'agora reactivate'\n"
     "ends draining."},
    {Command::kDeactivate,
     "deactivate",
     "AGENT",
     1,
     1,
     {},
     "Stop offers from an agent",
     "Deactivates AGENT: no new offers, outstanding offers rescinded; tasks keep\n"
     "running. 'agora reactivate' ends it."},
    {Command::kReactivate,
     "reactivate",
     "AGENT",
     1,
     1,
     {},
     "End draining or deactivation",
     "Makes a deactivated, draining or drained AGENT active again."},
    {Command::kMarkGone,
     "mark-gone",
     "AGENT",
     1,
     1,
     {"--yes"},
     "Declare an agent permanently gone (needs --yes)",
     "Marks AGENT gone for good: its tasks become GONE_BY_OPERATOR and it may\n"
     "never re-register. Irreversible: asks for --yes."},
    {Command::kTeardown,
     "teardown",
     "FRAMEWORK",
     1,
     1,
     {},
     "Kill a framework's tasks and remove it",
     "Tears FRAMEWORK down: every task of it is killed and it is removed."},
    {Command::kKill,
     "kill",
     "TASK",
     1,
     1,
     {"--framework", "--grace"},
     "Kill one task",
     "Kills TASK as its framework's Kill would; the framework gets the update.\n"
     "--framework is needed only when several frameworks use the task id."},
    {Command::kWatch,
     "watch",
     "",
     0,
     0,
     {"--types", "--json"},
     "Print cluster events as they happen (Ctrl-C ends)",
     "Prints one line per cluster event (a snapshot summary first, then task,\n"
     "agent and framework changes) until Ctrl-C; --json prints each event as\n"
     "one JSON object per line."},
    {Command::kLogs,
     "logs",
     "TASK",
     1,
     1,
     {"--stderr", "-f", "--follow", "--tail"},
     "Print a task's stdout or stderr (read from its agent's sandbox)",
     "Prints the stdout (or stderr) of task TASK, running or finished, read from its\n"
     "sandbox on the agent that ran it (the master says which one). Works as long as\n"
     "the sandbox exists on the agent."},
    {Command::kRun,
     "run",
     "",
     0,
     0,
     {"--command", "--name", "--cpus", "--mem", "--instances", "--role", "--timeout",
      "--health-cmd", "--health-tcp", "--health-http"},
     "Run a shell command as K tasks and wait for them to finish",
     "Registers a one-shot framework, launches the command as INSTANCES tasks on\n"
     "offered resources, prints every task state change (task, state, agent,\n"
     "message), and exits 0 if every task FINISHED, non-zero otherwise. The\n"
     "framework is torn down on exit and on Ctrl-C (SIGINT/SIGTERM), which kills\n"
     "tasks still running."},
    {Command::kCompletion,
     "completion",
     "",
     0,
     0,
     {},
     "Print the bash completion script",
     "Prints the bash completion script. Install it with\n"
     "  agora completion > /etc/bash_completion.d/agora\n"
     "or load it in the current shell with: source <(agora completion)"},
};

}  // namespace

const std::vector<CommandSpec>& CommandSpecs() { return kSpecs; }
const std::vector<FlagSpec>& FlagSpecs() { return kFlags; }

const CommandSpec& SpecOf(Command command) {
  for (const CommandSpec& spec : kSpecs) {
    if (spec.command == command) return spec;
  }
  return kSpecs.front();
}

const FlagSpec* FindFlag(const std::string& name) {
  for (const FlagSpec& flag : kFlags) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

std::vector<std::string> CommandGroups() {
  std::set<std::string> groups;
  for (const CommandSpec& spec : kSpecs) {
    std::vector<std::string> words = absl::StrSplit(spec.name, ' ');
    if (words.size() > 1) groups.insert(words[0]);
  }
  return {groups.begin(), groups.end()};
}

}  // namespace agora::cli
