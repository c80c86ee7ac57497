// RotatingLog and LogCopier on a temp dir: where bytes land, what rotation
// keeps, the bound on disk.
#include "shim/shim_logs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace agora::shim {
namespace {

class ShimLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-shim-logs-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/stdout";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool Exists(const std::string& path) { return std::filesystem::exists(path); }

  void Write(RotatingLog& log, const std::string& text) {
    std::string error;
    ASSERT_TRUE(log.Write(text.data(), text.size(), &error)) << error;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(ShimLogsTest, AppendsBelowTheCapWithoutRotating) {
  { std::ofstream(path_) << "old\n"; }
  RotatingLog log(path_, 100, 3);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  EXPECT_EQ(log.size(), 4u);
  Write(log, "a\n");
  Write(log, "b\n");
  EXPECT_EQ(Read(path_), "old\na\nb\n");
  EXPECT_FALSE(Exists(path_ + ".1"));
}

TEST_F(ShimLogsTest, RotatesAfterTheLastWholeLineThatFits) {
  RotatingLog log(path_, 10, 3);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  Write(log, "1234\n");
  Write(log, "5678\n9");  // 11 bytes would not fit: "5678\n" fills the file exactly
  EXPECT_EQ(Read(path_ + ".1"), "1234\n5678\n");
  EXPECT_EQ(Read(path_), "9");
  Write(log, "abc\ndefghi\n");  // "9abc\n" + "defghi\n" > 10: cut after "abc\n"
  EXPECT_EQ(Read(path_ + ".2"), "1234\n5678\n");
  EXPECT_EQ(Read(path_ + ".1"), "9abc\n");
  EXPECT_EQ(Read(path_), "defghi\n");
  EXPECT_FALSE(Exists(path_ + ".3"));
}

TEST_F(ShimLogsTest, SplitsALineLongerThanTheRoomAndDropsTheOldestFile) {
  RotatingLog log(path_, 4, 2);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  Write(log, "abcdefghij");  // no newline: files fill up exactly
  EXPECT_EQ(Read(path_ + ".1"), "efgh");
  EXPECT_EQ(Read(path_), "ij");
  EXPECT_FALSE(Exists(path_ + ".2"));
}

TEST_F(ShimLogsTest, OneFileIsTruncatedInPlace) {
  RotatingLog log(path_, 6, 1);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  Write(log, "first\n");
  // Full: truncated; "second" fills it again and is truncated in turn.
  Write(log, "second\n");
  EXPECT_EQ(Read(path_), "\n");
  Write(log, "x\n");
  EXPECT_EQ(Read(path_), "\nx\n");
  EXPECT_FALSE(Exists(path_ + ".1"));
}

TEST_F(ShimLogsTest, AFileAlreadyOverTheCapRotatesOnTheFirstWrite) {
  { std::ofstream(path_) << "0123456789ABC"; }
  RotatingLog log(path_, 10, 2);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  Write(log, "new\n");
  EXPECT_EQ(Read(path_ + ".1"), "0123456789ABC");
  EXPECT_EQ(Read(path_), "new\n");
}

TEST_F(ShimLogsTest, NeverKeepsMoreThanMaxSizeTimesMaxFiles) {
  RotatingLog log(path_, 1000, 4);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  std::string line;
  for (int i = 0; i < 5000; ++i) {
    line = "line " + std::to_string(i) + "\n";
    Write(log, line);
  }
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_LE(entry.file_size(), 1000u) << entry.path();
    total += entry.file_size();
  }
  EXPECT_LE(total, 4000u);
  EXPECT_GT(total, 2900u);
  EXPECT_FALSE(Exists(path_ + ".4"));
  std::string current = Read(path_);
  EXPECT_EQ(current.substr(current.size() - line.size()), "line 4999\n");
  // Every file starts at a line.
  EXPECT_EQ(Read(path_ + ".3").rfind("line ", 0), 0u);
}

TEST_F(ShimLogsTest, OpenAndRotationErrorsNameThePath) {
  RotatingLog missing(dir_ + "/no/stdout", 10, 2);
  std::string error;
  EXPECT_FALSE(missing.Open(&error));
  EXPECT_EQ(error, "cannot open log file " + dir_ + "/no/stdout: No such file or directory");
}

TEST_F(ShimLogsTest, CopierCopiesAPipeAndDrainsWhatIsLeftAfterExit) {
  RotatingLog log(path_, 8, 3);
  std::string error;
  ASSERT_TRUE(log.Open(&error)) << error;
  int ends[2];
  ASSERT_EQ(pipe2(ends, O_CLOEXEC), 0);
  LogCopier copier;
  copier.Add(ends[0], &log);
  ASSERT_EQ(write(ends[1], "one\ntwo\n", 8), 8);
  copier.Pump(ends[0]);
  EXPECT_EQ(Read(path_), "one\ntwo\n");
  ASSERT_EQ(write(ends[1], "three\n", 6), 6);
  // A writer still holds the pipe: the drain stops when it is empty.
  copier.DrainAfterExit();
  EXPECT_EQ(Read(path_ + ".1"), "one\ntwo\n");
  EXPECT_EQ(Read(path_), "three\n");
  ASSERT_EQ(copier.OpenPipes().size(), 1u);
  close(ends[1]);
  copier.DrainAfterExit();  // EOF closes it
  EXPECT_TRUE(copier.OpenPipes().empty());
  EXPECT_EQ(copier.first_error(), "");
}

}  // namespace
}  // namespace agora::shim
