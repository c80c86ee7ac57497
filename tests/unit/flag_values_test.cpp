// The duration and size vocabulary of every daemon flag.
#include "common/flag_values.hpp"

#include "common/validation.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

absl::Duration Duration(absl::string_view text) {
  auto parsed = ParseDurationValue("timeout", text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : absl::InfiniteDuration();
}

std::string DurationError(absl::string_view text, absl::Duration bare_unit = absl::Seconds(1)) {
  auto parsed = ParseDurationValue("offer_timeout", text, bare_unit);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << *parsed;
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(FlagValuesTest, DurationsAcceptEveryUnit) {
  EXPECT_EQ(Duration("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(Duration("90s"), absl::Seconds(90));
  EXPECT_EQ(Duration("2m"), absl::Minutes(2));
  EXPECT_EQ(Duration("1h"), absl::Hours(1));
  EXPECT_EQ(Duration("7days"), absl::Hours(7 * 24));
  EXPECT_EQ(Duration("1d"), absl::Hours(24));
  EXPECT_EQ(Duration("2weeks"), absl::Hours(14 * 24));
  EXPECT_EQ(Duration("15us"), absl::Microseconds(15));
  EXPECT_EQ(Duration("100ns"), absl::Nanoseconds(100));
  EXPECT_EQ(Duration("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(Duration("0.1s"), absl::Milliseconds(100));
  EXPECT_EQ(Duration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(Duration(" 5s "), absl::Seconds(5));
  EXPECT_EQ(Duration("0"), absl::ZeroDuration());
}

TEST(FlagValuesTest, BareNumbersAreSecondsForBackwardCompatibility) {
  EXPECT_EQ(Duration("60"), absl::Seconds(60));
  EXPECT_EQ(Duration("0.3"), absl::Milliseconds(300));
  auto millis = ParseDurationValue("x", "40", absl::Milliseconds(1));
  ASSERT_TRUE(millis.ok());
  EXPECT_EQ(*millis, absl::Milliseconds(40));
}

TEST(FlagValuesTest, BadDurationsNameTheFlagAndTheReason) {
  EXPECT_EQ(DurationError("-5s"), "offer_timeout: '-5s' is negative; durations must be >= 0");
  EXPECT_EQ(DurationError("abc"),
            "offer_timeout: 'abc' is not a duration such as 250ms, 90s, 2m or 7days");
  EXPECT_EQ(DurationError("5x"),
            "offer_timeout: '5x' has an unknown unit 'x' (use one of ns, us, ms, s, m, h, days, "
            "weeks)");
  EXPECT_EQ(DurationError(""),
            "offer_timeout: '' is empty; expected a duration such as 250ms, 90s, 2m or 7days");
  EXPECT_EQ(DurationError("1.2.3s"), "offer_timeout: '1.2.3s' has a malformed number '1.2.3'");
  EXPECT_EQ(DurationError("1m30"), "offer_timeout: '1m30' has '30' without a unit");
  EXPECT_EQ(DurationError("5", absl::ZeroDuration()),
            "offer_timeout: '5' has no unit (use one of ns, us, ms, s, m, h, days, weeks)");
  EXPECT_EQ(Duration("200weeks0s"), absl::Hours(200 * 7 * 24));
  EXPECT_NE(DurationError("10000weeks").find("longer than 100 years"), std::string::npos);
  EXPECT_NE(DurationError("inf").find("is not a duration"), std::string::npos);
  auto status = ParseDurationValue("offer_timeout", "-1").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "offer_timeout");
}

int64_t Size(absl::string_view text) {
  auto parsed = ParseSizeValue("max_message_bytes", text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : -1;
}

std::string SizeError(absl::string_view text) {
  auto parsed = ParseSizeValue("max_message_bytes", text);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << *parsed;
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(FlagValuesTest, SizesAcceptBinaryAndDecimalUnits) {
  EXPECT_EQ(Size("4096"), 4096);
  EXPECT_EQ(Size("100B"), 100);
  EXPECT_EQ(Size("512KiB"), 512 * 1024);
  EXPECT_EQ(Size("64MiB"), 64 << 20);
  EXPECT_EQ(Size("1GiB"), int64_t{1} << 30);
  EXPECT_EQ(Size("2TiB"), int64_t{2} << 40);
  EXPECT_EQ(Size("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(Size("10MB"), 10'000'000);
  EXPECT_EQ(Size("1KB"), 1000);
  EXPECT_EQ(Size("3GB"), 3'000'000'000);
}

TEST(FlagValuesTest, BadSizesNameTheFlagAndTheReason) {
  EXPECT_EQ(SizeError("-1"), "max_message_bytes: '-1' is negative; sizes must be >= 0");
  EXPECT_EQ(SizeError("64mib"),
            "max_message_bytes: '64mib' has an unknown unit 'mib' (use one of B, KiB, MiB, GiB, "
            "TiB, KB, MB, GB, TB; units are case-sensitive)");
  EXPECT_NE(SizeError("64k").find("unknown unit 'k'"), std::string::npos);
  EXPECT_EQ(SizeError("1.5"), "max_message_bytes: '1.5' is not a whole number of bytes");
  EXPECT_EQ(SizeError("1MiB2KiB"),
            "max_message_bytes: '1MiB2KiB' is not a size such as 4096, 512KiB or 64MiB");
  EXPECT_EQ(SizeError("99999999TiB"), "max_message_bytes: '99999999TiB' is too large");
}

TEST(FlagValuesTest, FormattingReadsBack) {
  for (absl::Duration d : {absl::ZeroDuration(), absl::Milliseconds(250), absl::Seconds(90),
                           absl::Hours(7 * 24), absl::Minutes(90) + absl::Microseconds(3)}) {
    auto back = ParseDurationValue("x", FormatDurationValue(d));
    ASSERT_TRUE(back.ok()) << FormatDurationValue(d);
    EXPECT_EQ(*back, d) << FormatDurationValue(d);
  }
  EXPECT_EQ(FormatDurationValue(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(FormatDurationValue(absl::Hours(7 * 24)), "7days");
  EXPECT_EQ(FormatSizeValue(16 << 20), "16MiB");
  EXPECT_EQ(FormatSizeValue(1500), "1500B");
  EXPECT_EQ(Size(FormatSizeValue(16 << 20)), 16 << 20);
}

}  // namespace
}  // namespace agora
