// The `agora` command table: every subcommand, its positional arguments and
// the options it accepts, with the texts `--help` prints. The parser
// (args.cpp), the help texts and the bash completion script are all derived
// from this one table, so they cannot disagree.
#ifndef AGORA_CLI_COMMAND_SPECS_HPP_
#define AGORA_CLI_COMMAND_SPECS_HPP_

#include <string>
#include <vector>

namespace agora::cli {

enum class Command {
  kRun,
  kCluster,
  kAgents,
  kAgent,
  kFrameworks,
  kFramework,
  kTasks,
  kTask,
  kOffers,
  kRoles,
  kQuotaGet,
  kQuotaSet,
  kQuotaRemove,
  kWeightsGet,
  kWeightsSet,
  kDrain,
  kDeactivate,
  kReactivate,
  kMarkGone,
  kTeardown,
  kKill,
  kWatch,
  kLogs,
  kCompletion,
};

// One option. `value` names its argument ("ID"); nullptr for a switch.
struct FlagSpec {
  const char* name;
  const char* value;
  const char* help;
  // May be given more than once (values accumulate); otherwise the last wins.
  bool repeatable = false;
};

struct CommandSpec {
  Command command;
  // What the user types: "tasks", or "quota set" for a command of a group.
  const char* name;
  // Positional arguments, as shown in the usage line ("AGENT", "ROLE=WEIGHT...").
  const char* arguments;
  int min_arguments;
  int max_arguments;  // -1: no bound.
  // Options besides the global --master and --help.
  std::vector<const char*> flags;
  const char* summary;
  const char* description;
};

// Every command, in the order `agora --help` lists them.
const std::vector<CommandSpec>& CommandSpecs();
const CommandSpec& SpecOf(Command command);
// Every option, global ones (--master, --help) included; nullptr if unknown.
const FlagSpec* FindFlag(const std::string& name);
const std::vector<FlagSpec>& FlagSpecs();
// The first words of multi-word commands ("quota", "weights").
std::vector<std::string> CommandGroups();

// Help texts (stdout, exit 0).
std::string MainHelp();
std::string CommandHelp(Command command);
// "agora quota --help": the group's commands.
std::string GroupHelp(const std::string& group);

// The bash completion script (scripts/agora-completion.bash is this text;
// a unit test keeps them equal; `agora completion` prints it).
std::string CompletionScript();

}  // namespace agora::cli

#endif  // AGORA_CLI_COMMAND_SPECS_HPP_
