#include "common/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace agora {
namespace {

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string MetricsText::EscapeLabelValue(absl::string_view value) {
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

std::string MetricsText::FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Counters past a million must not turn into "1.23457e+06".
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // The shortest of %.15g and %.17g that reads back as the same double.
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", value);
  if (std::strtod(buffer, nullptr) != value) std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

void MetricsText::Declare(absl::string_view name, absl::string_view help, absl::string_view type) {
  if (!declared_.insert(std::string(name)).second) return;
  absl::StrAppend(&text_, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ", type,
                  "\n");
}

void MetricsText::Sample(absl::string_view name, double value, const Labels& labels) {
  absl::StrAppend(&text_, name);
  if (!labels.empty()) {
    text_ += "{";
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&text_, i ? "," : "", labels[i].first, "=\"",
                      EscapeLabelValue(labels[i].second), "\"");
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

void MetricsText::Histogram(absl::string_view name, absl::string_view help,
                            const agora::Histogram& histogram, const Labels& labels) {
  Declare(name, help, "histogram");
  const std::string bucket = absl::StrCat(name, "_bucket");
  Labels with_le = labels;
  with_le.emplace_back("le", "");
  for (size_t i = 0; i <= histogram.bounds().size(); ++i) {
    with_le.back().second =
        i < histogram.bounds().size() ? FormatValue(histogram.bounds()[i]) : "+Inf";
    Sample(bucket, static_cast<double>(histogram.CumulativeCount(i)), with_le);
  }
  Sample(absl::StrCat(name, "_sum"), histogram.sum(), labels);
  Sample(absl::StrCat(name, "_count"), static_cast<double>(histogram.count()), labels);
}

}  // namespace agora
