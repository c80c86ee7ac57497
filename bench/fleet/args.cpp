#include "fleet/args.hpp"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/flag_values.hpp"

namespace agora::bench {
namespace {

absl::Status Bad(const std::string& name, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", reason));
}

}  // namespace

void BenchArgs::Add(const std::string& name, Flag flag) { flags_[name] = std::move(flag); }

void BenchArgs::Int(const std::string& name, int* value, const std::string& help) {
  Add(name, Flag{false, help, std::to_string(*value), [name, value](const std::string& text) {
                   if (!absl::SimpleAtoi(text, value))
                     return Bad(name, absl::StrCat("'", text, "' is not an integer"));
                   return absl::OkStatus();
                 }});
}

void BenchArgs::Double(const std::string& name, double* value, const std::string& help) {
  Add(name,
      Flag{false, help, absl::StrFormat("%g", *value), [name, value](const std::string& text) {
             if (!absl::SimpleAtod(text, value))
               return Bad(name, absl::StrCat("'", text, "' is not a number"));
             return absl::OkStatus();
           }});
}

void BenchArgs::Bool(const std::string& name, bool* value, const std::string& help) {
  Add(name, Flag{true, help, *value ? "true" : "false", [name, value](const std::string& text) {
                   if (!absl::SimpleAtob(text, value))
                     return Bad(name, absl::StrCat("'", text, "' is not true or false"));
                   return absl::OkStatus();
                 }});
}

void BenchArgs::String(const std::string& name, std::string* value, const std::string& help) {
  Add(name, Flag{false, help, *value, [value](const std::string& text) {
                   *value = text;
                   return absl::OkStatus();
                 }});
}

void BenchArgs::Duration(const std::string& name, absl::Duration* value, const std::string& help) {
  Add(name, Flag{false, help, FormatDurationValue(*value), [name, value](const std::string& text) {
                   auto parsed = ParseDurationValue(name, text);
                   if (!parsed.ok()) return Bad(name, std::string(parsed.status().message()));
                   *value = *parsed;
                   return absl::OkStatus();
                 }});
}

absl::Status BenchArgs::Parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--") && !absl::ConsumePrefix(&body, "-")) {
      return absl::InvalidArgumentError(
          absl::StrCat(workload_, ": unexpected argument '", arg, "' (flags are --name=value)"));
    }
    std::string name(body.substr(0, body.find('=')));
    bool has_value = body.find('=') != absl::string_view::npos;
    std::string value = has_value ? std::string(body.substr(body.find('=') + 1)) : "";
    if (name == "help" || name == "h") {
      help_ = true;
      continue;
    }
    auto flag = flags_.find(name);
    if (flag == flags_.end()) {
      return Bad(name, absl::StrCat("unknown flag of '", workload_, "' (see --help)"));
    }
    if (!has_value) {
      if (flag->second.is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return Bad(name, "missing value");
      }
    }
    if (absl::Status status = flag->second.set(value); !status.ok()) return status;
    given_[name] = true;
  }
  return absl::OkStatus();
}

std::string BenchArgs::Usage() const {
  std::string out = absl::StrCat("Flags of 'agora-bench ", workload_, "':\n");
  for (const auto& [name, flag] : flags_) {
    absl::StrAppend(&out, absl::StrFormat("  --%-18s %s (default: %s)\n", name, flag.help,
                                          flag.default_text.empty() ? "\"\"" : flag.default_text));
  }
  return out;
}

}  // namespace agora::bench
