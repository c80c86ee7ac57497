// MetricsText: renders counters, gauges and summaries in the Prometheus text
// exposition format (version 0.0.4). A value type filled by a daemon from a
// snapshot of its figures, then rendered off its event loop.
#ifndef AGORA_COMMON_METRICS_HPP_
#define AGORA_COMMON_METRICS_HPP_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

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
