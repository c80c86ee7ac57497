// The generic half of the parser: words and options against the command
// table. What each option's value means is in option_values.cpp.
#include "cli/args.hpp"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/option_values.hpp"
#include "common/master_detector.hpp"

namespace agora::cli {
namespace {

ParseResult Error(const std::string& message, const std::string& help_target) {
  ParseResult result;
  result.exit_code = kExitUsage;
  std::string help =
      help_target.empty() ? "agora --help" : absl::StrCat("agora ", help_target, " --help");
  result.text = absl::StrCat("agora: ", message, "\nTry '", help, "'.\n");
  return result;
}

ParseResult Help(std::string text) {
  ParseResult result;
  result.exit_code = kExitOk;
  result.text = std::move(text);
  return result;
}

const CommandSpec* SpecNamed(const std::string& name) {
  for (const CommandSpec& spec : CommandSpecs()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

bool IsGroup(const std::string& word) {
  std::vector<std::string> groups = CommandGroups();
  return std::find(groups.begin(), groups.end(), word) != groups.end();
}

// The commands that accept `flag`, for "only valid for" messages.
std::vector<std::string> CommandsAccepting(const std::string& flag) {
  std::vector<std::string> names;
  for (const CommandSpec& spec : CommandSpecs()) {
    if (std::find(spec.flags.begin(), spec.flags.end(), flag) != spec.flags.end()) {
      names.push_back(absl::StrCat("'", spec.name, "'"));
    }
  }
  return names;
}

struct GivenOption {
  std::string name;
  std::string value;  // Empty for a switch.
};

}  // namespace

ParseResult ParseCommandLine(const std::vector<std::string>& args, const EnvGetter& getenv) {
  CliOptions options;
  if (const char* env = getenv ? getenv("AGORA_MASTER") : nullptr; env != nullptr && *env) {
    options.master = env;
  }
  std::vector<std::string> words;
  std::vector<GivenOption> given;
  bool help = false;
  bool master_from_flag = false;
  // For error messages before the command is known: its first word.
  auto target = [&words]() -> std::string {
    if (words.empty()) return "";
    if (IsGroup(words[0]) && words.size() > 1 && SpecNamed(words[0] + " " + words[1]))
      return words[0] + " " + words[1];
    return SpecNamed(words[0]) != nullptr || IsGroup(words[0]) ? words[0] : "";
  };

  // The first bad option, reported once the command (and its help) is known.
  std::optional<std::string> option_error;
  auto fail = [&option_error](std::string message) {
    if (!option_error.has_value()) option_error = std::move(message);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      words.push_back(arg);
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help = true;
      continue;
    }
    size_t eq = arg.find('=');
    GivenOption option{arg.substr(0, eq), ""};
    // Short options ("-f") are found like long ones when the table has them.
    const FlagSpec* flag = FindFlag(option.name);
    if (flag == nullptr) {
      fail(absl::StrCat("unknown option '", option.name, "'"));
    } else if (flag->value == nullptr) {
      if (eq != std::string::npos) {
        fail(absl::StrCat(option.name, " takes no value (got '", arg.substr(eq + 1), "')"));
      }
    } else if (eq != std::string::npos) {
      option.value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      option.value = args[++i];
    } else {
      fail(absl::StrCat(option.name, " needs a value (", flag->value, ")"));
    }
    given.push_back(std::move(option));
  }
  // Help wins over a bad option; the rest of the line is still read so the
  // error points at the command's help.
  if (option_error.has_value() && !help) return Error(*option_error, target());

  // The command: one word, or two for a group ("quota set").
  if (words.empty()) return help ? Help(MainHelp()) : Error("no command given", "");
  const CommandSpec* spec = nullptr;
  size_t consumed = 1;
  if (IsGroup(words[0])) {
    if (words.size() < 2) {
      if (help) return Help(GroupHelp(words[0]));
      return Error(
          absl::StrCat("'", words[0], "' needs a command: see 'agora ", words[0], " --help'"),
          words[0]);
    }
    spec = SpecNamed(words[0] + " " + words[1]);
    if (spec == nullptr) {
      return Error(absl::StrCat("unknown command '", words[0], " ", words[1], "'"), words[0]);
    }
    consumed = 2;
  } else {
    spec = SpecNamed(words[0]);
    if (spec == nullptr) return Error(absl::StrCat("unknown command '", words[0], "'"), "");
  }
  if (help) return Help(CommandHelp(spec->command));
  options.command = spec->command;
  options.arguments.assign(words.begin() + consumed, words.end());
  const int count = static_cast<int>(options.arguments.size());
  if (count < spec->min_arguments) {
    return Error(absl::StrCat(spec->name, ": ", spec->arguments, " is required (usage: agora ",
                              spec->name, " ", spec->arguments, ")"),
                 spec->name);
  }
  if (spec->max_arguments >= 0 && count > spec->max_arguments) {
    return Error(absl::StrCat("unexpected argument '", options.arguments[spec->max_arguments],
                              "' for '", spec->name, "'"),
                 spec->name);
  }

  std::set<std::string> seen;
  for (const GivenOption& option : given) {
    if (option.name == "--master") {
      options.master = option.value;
      master_from_flag = true;
      continue;
    }
    if (std::find(spec->flags.begin(), spec->flags.end(), option.name) == spec->flags.end()) {
      std::vector<std::string> accepting = CommandsAccepting(option.name);
      return Error(
          accepting.size() == 1
              ? absl::StrCat("option '", option.name, "' is only valid for ", accepting.front())
              : absl::StrCat("option '", option.name, "' is not valid for '", spec->name, "'"),
          spec->name);
    }
    if (absl::Status s = ApplyOption(option.name, option.value, &options); !s.ok()) {
      return Error(std::string(s.message()), spec->name);
    }
    seen.insert(option.name);
  }
  if (absl::Status s = CheckCommand(seen, &options); !s.ok()) {
    return Error(std::string(s.message()), spec->name);
  }
  const char* source = master_from_flag ? "--master" : "AGORA_MASTER";
  if (!master_from_flag && options.master == kDefaultMaster) source = "--master";
  if (absl::Status s = MasterDetector::Validate(source, options.master); !s.ok()) {
    return Error(std::string(s.message()), spec->name);
  }
  ParseResult result;
  result.proceed = true;
  result.options = std::move(options);
  return result;
}

}  // namespace agora::cli
