// Prometheus text rendering: histograms, escaping, number formatting.
#include "common/metrics.hpp"

#include <cmath>
#include <limits>

#include "common/histogram.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(HistogramTest, CountsObservationsInCumulativeLeBuckets) {
  Histogram histogram({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 3.0, 11.0}) histogram.Observe(v);
  EXPECT_EQ(histogram.CumulativeCount(0), 2u);  // 0.05, 0.1 (le is inclusive)
  EXPECT_EQ(histogram.CumulativeCount(1), 4u);  // + 0.5, 1.0
  EXPECT_EQ(histogram.CumulativeCount(2), 5u);  // + 3.0
  EXPECT_EQ(histogram.CumulativeCount(3), 6u);  // +Inf: + 11.0
  EXPECT_EQ(histogram.count(), 6u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 15.65);
}

TEST(HistogramTest, IgnoresNaN) {
  Histogram histogram({1});
  histogram.Observe(std::nan(""));
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.sum(), 0);
}

TEST(MetricsTextTest, RendersAHistogramWithBucketsSumAndCount) {
  Histogram histogram({0.25, 1});
  histogram.Observe(0.2);
  histogram.Observe(0.5);
  histogram.Observe(2);
  MetricsText out;
  out.Histogram("x_seconds", "How long x took.", histogram, {{"kind", "a"}});
  EXPECT_EQ(out.text(),
            "# HELP x_seconds How long x took.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{kind=\"a\",le=\"0.25\"} 1\n"
            "x_seconds_bucket{kind=\"a\",le=\"1\"} 2\n"
            "x_seconds_bucket{kind=\"a\",le=\"+Inf\"} 3\n"
            "x_seconds_sum{kind=\"a\"} 2.7\n"
            "x_seconds_count{kind=\"a\"} 3\n");
}

TEST(MetricsTextTest, EscapesLabelValuesAndHelp) {
  MetricsText out;
  out.Gauge("g", "Line one\nback\\slash", 1, {{"role", "a\"b\\c\nd"}});
  EXPECT_EQ(out.text(),
            "# HELP g Line one\\nback\\\\slash\n"
            "# TYPE g gauge\n"
            "g{role=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(MetricsText::EscapeLabelValue("plain/role"), "plain/role");
}

TEST(MetricsTextTest, DeclaresEachFamilyOnce) {
  MetricsText out;
  out.Counter("c_total", "Things.", 1, {{"k", "a"}});
  out.Counter("c_total", "", 2, {{"k", "b"}});
  EXPECT_EQ(out.text(),
            "# HELP c_total Things.\n# TYPE c_total counter\nc_total{k=\"a\"} 1\n"
            "c_total{k=\"b\"} 2\n");
}

TEST(MetricsTextTest, FormatsLargeCountersExactlyAndFractionsShortest) {
  EXPECT_EQ(MetricsText::FormatValue(1234567), "1234567");
  EXPECT_EQ(MetricsText::FormatValue(12345678901234.0), "12345678901234");
  EXPECT_EQ(MetricsText::FormatValue(0.0001), "0.0001");
  EXPECT_EQ(MetricsText::FormatValue(2.5), "2.5");
  EXPECT_EQ(MetricsText::FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(MetricsText::FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(MetricsText::FormatValue(std::nan("")), "NaN");
}

}  // namespace
}  // namespace agora
