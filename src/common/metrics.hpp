// MetricsText: renders counters, gauges, histograms and summaries in the
// Prometheus text exposition format (version 0.0.4). A value type filled by a
// daemon from a snapshot of its figures, then rendered off its event loop.
//
// Each family gets one HELP and one TYPE line, on its first sample; the
// samples of a family must be added one after the other (the format wants
// them grouped). Label values are escaped (backslash, double quote,
// newline), HELP texts too (backslash, newline). Integral values are
// written as integers, others with full double precision.
#ifndef AGORA_COMMON_METRICS_HPP_
#define AGORA_COMMON_METRICS_HPP_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/histogram.hpp"

namespace agora {

class MetricsText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Each family is declared (HELP/TYPE) on its first sample.
  void Counter(absl::string_view name, absl::string_view help, double value,
               const Labels& labels = {});
  void Gauge(absl::string_view name, absl::string_view help, double value,
             const Labels& labels = {});
  // A summary without quantiles: name_sum and name_count.
  void Summary(absl::string_view name, absl::string_view help, double sum, double count);
  // name_bucket{le="..."} for every bound and +Inf (cumulative), name_sum
  // and name_count; `labels` come before le.
  void Histogram(absl::string_view name, absl::string_view help, const agora::Histogram& histogram,
                 const Labels& labels = {});

  // The escaped form of a label value, and of a sample value.
  static std::string EscapeLabelValue(absl::string_view value);
  static std::string FormatValue(double value);

  // Content-Type of the rendering.
  static constexpr absl::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
  const std::string& text() const { return text_; }

 private:
  void Declare(absl::string_view name, absl::string_view help, absl::string_view type);
  void Sample(absl::string_view name, double value, const Labels& labels);

  std::string text_;
  std::set<std::string> declared_;
};

}  // namespace agora

#endif  // AGORA_COMMON_METRICS_HPP_
