#include "common/metrics.hpp"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace agora {
namespace {

std::string EscapeLabel(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return absl::StrCat(value);
}

}  // namespace

void MetricsText::Declare(absl::string_view name, absl::string_view help, absl::string_view type) {
  if (!declared_.insert(std::string(name)).second) return;
  absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void MetricsText::Sample(absl::string_view name, double value, const Labels& labels) {
  absl::StrAppend(&text_, name);
  if (!labels.empty()) {
    text_ += "{";
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&text_, i ? "," : "", labels[i].first, "=\"", EscapeLabel(labels[i].second),
                      "\"");
    }
    text_ += "}";
  }
  absl::StrAppend(&text_, " ", FormatValue(value), "\n");
}

void MetricsText::Counter(absl::string_view name, absl::string_view help, double value,
                          const Labels& labels) {
  Declare(name, help, "counter");
  Sample(name, value, labels);
}

void MetricsText::Gauge(absl::string_view name, absl::string_view help, double value,
                        const Labels& labels) {
  Declare(name, help, "gauge");
  Sample(name, value, labels);
}

void MetricsText::Summary(absl::string_view name, absl::string_view help, double sum,
                          double count) {
  Declare(name, help, "summary");
  Sample(absl::StrCat(name, "_sum"), sum, {});
  Sample(absl::StrCat(name, "_count"), count, {});
}

}  // namespace agora
