#include "shim/shim_status.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::shim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

ShimStatus Started() {
  ShimStatus status;
  status.shim = {100, 5000};
  status.task = ProcessStamp{101, 5001};
  return status;
}

ShimStatus Exited(int code) {
  ShimStatus status = Started();
  status.state = ShimState::kExited;
  status.code = code;
  status.end_time_ms = 1764495600123;
  return status;
}

std::string ParseError(std::string_view text) {
  ShimStatus status;
  std::string error;
  EXPECT_FALSE(ParseShimStatus(text, "/sandbox/.agora-status", &status, &error)) << text;
  EXPECT_THAT(error, StartsWith("/sandbox/.agora-status: "));
  return error;
}

TEST(ShimStatusTest, FormatsOneLinePerRecord) {
  EXPECT_EQ(FormatShimStatus(Started()), "agora-shim-status 1\nshim 100 5000\nstarted 101 5001\n");
  EXPECT_EQ(FormatShimStatus(Exited(3)),
            "agora-shim-status 1\nshim 100 5000\nstarted 101 5001\nexited 3 1764495600123\n");
  ShimStatus signaled = Started();
  signaled.state = ShimState::kSignaled;
  signaled.code = 9;
  signaled.end_time_ms = 7;
  EXPECT_EQ(FormatShimStatus(signaled),
            "agora-shim-status 1\nshim 100 5000\nstarted 101 5001\nsignaled 9 7\n");
}

TEST(ShimStatusTest, ErrorMessageStaysOnOneLine) {
  ShimStatus status;
  status.shim = {100, 5000};
  status.state = ShimState::kError;
  status.end_time_ms = 42;
  status.message = "cannot enter sandbox /a\nb: No such file or directory";
  EXPECT_EQ(FormatShimStatus(status),
            "agora-shim-status 1\nshim 100 5000\n"
            "error 42 cannot enter sandbox /a b: No such file or directory\n");
}

TEST(ShimStatusTest, EveryRecordRoundTrips) {
  ShimStatus error_before_start;
  error_before_start.shim = {7, 8};
  error_before_start.state = ShimState::kError;
  error_before_start.end_time_ms = 99;
  error_before_start.message = "cannot run /bin/sh: No such file or directory";
  ShimStatus error_after_start = Started();
  error_after_start.state = ShimState::kError;
  error_after_start.message = "cannot read the task's start time";
  ShimStatus signaled = Started();
  signaled.state = ShimState::kSignaled;
  signaled.code = 15;
  for (const ShimStatus& original :
       {Started(), Exited(0), Exited(255), signaled, error_before_start, error_after_start}) {
    std::string text = FormatShimStatus(original);
    ShimStatus parsed;
    std::string error;
    ASSERT_TRUE(ParseShimStatus(text, "f", &parsed, &error)) << error << "\n" << text;
    EXPECT_EQ(parsed, original) << text;
  }
}

TEST(ShimStatusTest, TornOrEmptyFileIsAnErrorNamingTheFile) {
  EXPECT_THAT(ParseError(""), HasSubstr("empty status file"));
  std::string full = FormatShimStatus(Exited(3));
  // Every strict prefix that does not end at a line break is torn.
  for (size_t size = 1; size < full.size(); ++size) {
    if (full[size - 1] == '\n') continue;
    EXPECT_THAT(ParseError(full.substr(0, size)), HasSubstr("torn status file"));
  }
}

TEST(ShimStatusTest, HeaderOnlyOrShimOnlyIsIncomplete) {
  EXPECT_THAT(ParseError("agora-shim-status 1\n"), HasSubstr("line 2: want 'shim"));
  EXPECT_THAT(ParseError("agora-shim-status 1\nshim 1 2\n"),
              HasSubstr("no 'started' or 'error' record"));
}

TEST(ShimStatusTest, UnknownFilesAndVersionsAreRejected) {
  EXPECT_THAT(ParseError("hello world\n"), HasSubstr("not an agora-shim status file"));
  EXPECT_THAT(ParseError("agora-shim-status 2\nshim 1 2\n"),
              HasSubstr("unsupported status file version '2'"));
  EXPECT_THAT(ParseError(std::string("\0\0\0\n", 4)), HasSubstr("not an agora-shim status file"));
}

TEST(ShimStatusTest, MalformedRecordsNameTheLine) {
  const std::string head = "agora-shim-status 1\nshim 1 2\n";
  EXPECT_THAT(ParseError(head + "started 0 5\n"), HasSubstr("line 3: want 'started"));
  EXPECT_THAT(ParseError(head + "started -4 5\n"), HasSubstr("line 3"));
  EXPECT_THAT(ParseError(head + "started 4 5 6\n"), HasSubstr("line 3"));
  EXPECT_THAT(ParseError(head + "started 4 5\nexited 256 1\n"),
              HasSubstr("line 4: bad exited record"));
  EXPECT_THAT(ParseError(head + "started 4 5\nexited +3 1\n"), HasSubstr("line 4"));
  EXPECT_THAT(ParseError(head + "started 4 5\nexited 3\n"), HasSubstr("line 4"));
  EXPECT_THAT(ParseError(head + "started 4 5\nexited 03 1\n"), HasSubstr("line 4"));
  EXPECT_THAT(ParseError(head + "started 4 5\nsignaled 0 1\n"),
              HasSubstr("line 4: bad signaled record"));
  EXPECT_THAT(ParseError(head + "started 4 5\nexited 99999999999999999999999 1\n"),
              HasSubstr("line 4"));
  EXPECT_THAT(ParseError(head + "error 12\n"), HasSubstr("line 3: bad error record"));
  EXPECT_THAT(ParseError(head + "started 4 5\nrunning 1\n"),
              HasSubstr("line 4: unknown record 'running'"));
  EXPECT_THAT(ParseError(head + "exited 0 1\n"), HasSubstr("an exit record without 'started'"));
  EXPECT_THAT(ParseError(head + "started 4 5\nexited 0 1\nexited 0 1\n"),
              HasSubstr("line 5: unexpected record after the end"));
  EXPECT_THAT(ParseError(head + "started 4 5\n\n"), HasSubstr("line 4: unknown record ''"));
  EXPECT_THAT(ParseError("agora-shim-status 1\nshin 1 2\nstarted 4 5\n"), HasSubstr("line 2"));
}

TEST(ShimStatusTest, MutatedFilesNeverCrashAndErrorsNameTheFile) {
  const unsigned seed = 20261130;
  std::mt19937 random(seed);
  const std::string valid = FormatShimStatus(Exited(3));
  const std::string alphabet = "0123456789 \nexitdsgnaler-+x\0";
  for (int round = 0; round < 20000; ++round) {
    std::string text = valid;
    int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = random() % (text.size() + 1);
      char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          text.insert(at, 1, c);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = c;
          break;
      }
    }
    ShimStatus status;
    std::string error;
    if (ParseShimStatus(text, "f", &status, &error)) {
      // Whatever parses must be a record the formatter writes back the same.
      EXPECT_EQ(FormatShimStatus(status), text) << "seed " << seed << " round " << round;
    } else {
      EXPECT_THAT(error, StartsWith("f: ")) << "seed " << seed << " round " << round;
    }
  }
}

TEST(ShimStatusTest, ReadsFilesAndTellsMissingFromDamaged) {
  char pattern[] = "/tmp/agora-shim-status-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string path = std::string(pattern) + "/.agora-status";

  ShimStatusRead missing = ReadShimStatusFile(path);
  EXPECT_EQ(missing.outcome, ShimStatusRead::kMissing);
  EXPECT_THAT(missing.error, HasSubstr(path));

  auto write = [&](const std::string& text) {
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
  };
  write(FormatShimStatus(Exited(3)));
  ShimStatusRead ok = ReadShimStatusFile(path);
  ASSERT_EQ(ok.outcome, ShimStatusRead::kOk) << ok.error;
  EXPECT_EQ(ok.status, Exited(3));
  EXPECT_EQ(DescribeShimStatus(ok.status), "exited 3");

  write("agora-shim-status 1\nshim 1 2\nstar");
  ShimStatusRead torn = ReadShimStatusFile(path);
  EXPECT_EQ(torn.outcome, ShimStatusRead::kFailed);
  EXPECT_EQ(torn.error, path + ": torn status file (the last line has no newline)");

  write(std::string(100 * 1024, 'x'));
  ShimStatusRead huge = ReadShimStatusFile(path);
  EXPECT_EQ(huge.outcome, ShimStatusRead::kFailed);
  EXPECT_THAT(huge.error, HasSubstr("larger than 64 KiB"));

  unlink(path.c_str());
  rmdir(pattern);
}

}  // namespace
}  // namespace agora::shim
