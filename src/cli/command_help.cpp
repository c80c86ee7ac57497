// The texts derived from the command table: `--help` of agora, of a
// group and of each command, and the bash completion script.
#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command_specs.hpp"

namespace agora::cli {
namespace {

// "  --flag VALUE        help" with continuation lines indented.
std::string OptionLine(const FlagSpec& flag) {
  std::string left =
      absl::StrCat("  ", flag.name, flag.value ? " " : "", flag.value ? flag.value : "");
  std::string out;
  bool first = true;
  for (absl::string_view line : absl::StrSplit(flag.help, '\n')) {
    std::string pad = first ? left : "";
    pad.resize(std::max<size_t>(pad.size() + 2, 26), ' ');
    absl::StrAppend(&out, pad, line, "\n");
    first = false;
  }
  return out;
}

// Bash words: the options of `spec` plus the global ones.
std::string OptionWords(const CommandSpec& spec) {
  std::vector<std::string> words(spec.flags.begin(), spec.flags.end());
  words.push_back("--master");
  words.push_back("--help");
  return absl::StrJoin(words, " ");
}

}  // namespace

std::string MainHelp() {
  std::string commands;
  for (const CommandSpec& spec : CommandSpecs()) {
    std::string left = absl::StrCat("  ", spec.name, *spec.arguments ? " " : "", spec.arguments);
    left.resize(std::max<size_t>(left.size() + 2, 30), ' ');
    absl::StrAppend(&commands, left, spec.summary, "\n");
  }
  return absl::StrCat(
      "Usage: agora [--master MASTER] COMMAND [ARGUMENTS] [OPTIONS]\n\n"
      "Talk to an Agora master: show what the cluster holds, administer it, or run\n"
      "a one-shot job.\n\nCommands:\n",
      commands,
      "\nGlobal options:\n"
      "  --master MASTER     Where the master is (default: $AGORA_MASTER, else 127.0.0.1:5050):\n"
      "                        HOST:PORT                   one master's gRPC address\n"
      "                        HOST:PORT,HOST:PORT,...     masters tried in turn until one\n"
      "                                                    answers (a standby redirects to the "
      "leader)\n"
      "                        zk://HOST:PORT[,...]/PATH   the leader elected in ZooKeeper under "
      "PATH\n"
      "  --json              Print results as JSON (every command that shows something)\n"
      "  --help              Show help (also: agora COMMAND --help)\n\n"
      "Tables fit the terminal ($COLUMNS or its width) and use colour only on a\n"
      "terminal, never with NO_COLOR set.\n\n"
      "Exit codes: 0 success; 1 failure (unreachable master, error from the master,\n"
      "failed tasks of 'run'); 2 bad arguments; 3 no such agent, framework, task or role.\n");
}

std::string CommandHelp(Command command) {
  const CommandSpec& spec = SpecOf(command);
  std::string options;
  for (const char* name : spec.flags) absl::StrAppend(&options, OptionLine(*FindFlag(name)));
  absl::StrAppend(&options, OptionLine(*FindFlag("--master")), OptionLine(*FindFlag("--help")));
  return absl::StrCat("Usage: agora ", spec.name, *spec.arguments ? " " : "", spec.arguments,
                      spec.flags.empty() ? "" : " [OPTIONS]", "\n\n", spec.description,
                      "\n\nOptions:\n", options);
}

std::string GroupHelp(const std::string& group) {
  std::string text = absl::StrCat("Usage: agora ", group, " COMMAND\n\nCommands:\n");
  for (const CommandSpec& spec : CommandSpecs()) {
    if (absl::StartsWith(spec.name, group + " ")) {
      std::string left = absl::StrCat("  ", spec.name, *spec.arguments ? " " : "", spec.arguments);
      left.resize(std::max<size_t>(left.size() + 2, 30), ' ');
      absl::StrAppend(&text, left, spec.summary, "\n");
    }
  }
  return text;
}

std::string CompletionScript() {
  std::vector<std::string> top;
  std::set<std::string> seen;
  std::string cases;
  std::string group_cases;
  for (const CommandSpec& spec : CommandSpecs()) {
    std::vector<std::string> words = absl::StrSplit(spec.name, ' ');
    if (seen.insert(words[0]).second) top.push_back(words[0]);
    absl::StrAppend(&cases, "    \"", spec.name, "\") opts=\"", OptionWords(spec), "\" ;;\n");
  }
  for (const std::string& group : CommandGroups()) {
    std::vector<std::string> subs;
    for (const CommandSpec& spec : CommandSpecs()) {
      std::vector<std::string> words = absl::StrSplit(spec.name, ' ');
      if (words.size() > 1 && words[0] == group) subs.push_back(words[1]);
    }
    absl::StrAppend(&group_cases, "    ", group, ") COMPREPLY=($(compgen -W \"",
                    absl::StrJoin(subs, " "), " --help\" -- \"$cur\")); return 0 ;;\n");
  }
  std::vector<std::string> valued;
  for (const FlagSpec& flag : FlagSpecs()) {
    if (flag.value != nullptr) valued.push_back(flag.name);
  }
  const std::string valued_pattern = absl::StrJoin(valued, "|");
  return absl::StrCat(
      "# bash completion for agora. Generated from the CLI's command table\n"
      "# (src/cli/command_specs.cpp): do not edit; regenerate with\n"
      "#   agora completion > scripts/agora-completion.bash\n"
      "# Install: copy to /etc/bash_completion.d/agora, or: source <(agora completion)\n"
      "_agora() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local cmd=\"\" opts=\"\" i w\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=\"${COMP_WORDS[i]}\"\n"
      "    case \"$w\" in -*) continue ;; esac\n"
      "    case \"${COMP_WORDS[i-1]}\" in ",
      valued_pattern,
      ") continue ;; esac\n"
      "    if [[ -z \"$cmd\" ]]; then cmd=\"$w\"\n"
      "    elif [[ \"$cmd\" != *\" \"* ]]; then\n"
      "      case \"$cmd\" in ",
      absl::StrJoin(CommandGroups(), "|"),
      ") cmd=\"$cmd $w\" ;; esac\n"
      "    fi\n"
      "  done\n"
      "  case \"$prev\" in ",
      valued_pattern,
      ") return 0 ;; esac\n"
      "  case \"$cmd\" in\n"
      "    \"\") COMPREPLY=($(compgen -W \"",
      absl::StrJoin(top, " "), " --master --help\" -- \"$cur\")); return 0 ;;\n", group_cases,
      cases,
      "    *) return 0 ;;\n"
      "  esac\n"
      "  [[ \"$cur\" == -* ]] && COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
      "  return 0\n"
      "}\n"
      "complete -F _agora agora\n");
}

}  // namespace agora::cli
