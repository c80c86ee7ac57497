// Sandboxes on disk for GC: the finished marker, a new run clearing it,
// removal that re-checks the marker and takes the empty executor and
// framework dirs, the start-up scan (runs, `latest`, old-layout sandboxes).
#include "agent/sandbox_dirs.hpp"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

namespace fs = std::filesystem;

class SandboxDirsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-sandbox-dirs-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A run `<framework>/<executor>/<run>`; `run` empty: an old-layout
  // sandbox `<framework>/<executor>`.
  std::string MakeSandbox(const std::string& framework, const std::string& executor,
                          const std::string& stdout_text = "output\n",
                          const std::string& run = "r1") {
    std::string path = dir_ + "/sandboxes/" + framework + "/" + executor;
    if (!run.empty()) path += "/" + run;
    fs::create_directories(path);
    std::ofstream(path + "/stdout") << stdout_text;
    return path;
  }

  std::string dir_;
};

const absl::Time kFinished = absl::FromUnixMicros(1'700'000'000'123'456);

TEST_F(SandboxDirsTest, MarkerReadsBackTheFinishTime) {
  std::string sandbox = MakeSandbox("fw", "ex");
  EXPECT_EQ(ReadFinishedMarker(sandbox), std::nullopt);
  ASSERT_TRUE(WriteFinishedMarker(sandbox, kFinished).ok());
  EXPECT_EQ(ReadFinishedMarker(sandbox), kFinished);
}

TEST_F(SandboxDirsTest, MarkerIsNeverWrittenIntoASandboxThatDoesNotExist) {
  absl::Status status = WriteFinishedMarker(dir_ + "/sandboxes/fw/none", kFinished);
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_FALSE(fs::exists(dir_ + "/sandboxes/fw"));
}

TEST_F(SandboxDirsTest, AGarbledMarkerReadsAsNone) {
  std::string sandbox = MakeSandbox("fw", "ex");
  std::ofstream(sandbox + kFinishedMarker) << "2026-13-";
  EXPECT_EQ(ReadFinishedMarker(sandbox), std::nullopt);
}

TEST_F(SandboxDirsTest, ANewRunClearsTheMarkerOfTheLastOne) {
  std::string sandbox = MakeSandbox("fw", "ex");
  ASSERT_TRUE(WriteFinishedMarker(sandbox, kFinished).ok());
  ASSERT_TRUE(PrepareSandbox(sandbox).ok());
  EXPECT_EQ(ReadFinishedMarker(sandbox), std::nullopt);
  EXPECT_TRUE(fs::exists(sandbox + "/stdout"));
  std::string fresh = dir_ + "/sandboxes/fw2/ex/r1";
  ASSERT_TRUE(PrepareSandbox(fresh).ok());
  EXPECT_TRUE(fs::is_directory(fresh));
  EXPECT_EQ(fs::read_symlink(dir_ + "/sandboxes/fw2/ex/latest"), "r1");
}

TEST_F(SandboxDirsTest, ANewRunPointsLatestAtItAndKeepsTheOldRun) {
  std::string first = MakeSandbox("fw", "ex", "first\n", "r1");
  ASSERT_TRUE(PrepareSandbox(first).ok());
  ASSERT_TRUE(WriteFinishedMarker(first, kFinished).ok());
  std::string second = dir_ + "/sandboxes/fw/ex/r2";
  ASSERT_TRUE(PrepareSandbox(second).ok());
  EXPECT_EQ(fs::read_symlink(dir_ + "/sandboxes/fw/ex/latest"), "r2");
  EXPECT_EQ(ReadFinishedMarker(first), kFinished);  // Still collectable.
  ASSERT_TRUE(RemoveFinishedSandbox(dir_ + "/sandboxes", first, kFinished).ok());
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(fs::is_directory(second));
  EXPECT_EQ(fs::read_symlink(dir_ + "/sandboxes/fw/ex/latest"), "r2");
  ASSERT_TRUE(WriteFinishedMarker(second, kFinished).ok());
  ASSERT_TRUE(RemoveFinishedSandbox(dir_ + "/sandboxes", second, kFinished).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/sandboxes/fw"));  // latest went with its run.
  EXPECT_TRUE(fs::exists(dir_ + "/sandboxes"));
}

TEST_F(SandboxDirsTest, AnOldLayoutSandboxIsScannedAndRemovedAsOneRun) {
  std::string old = MakeSandbox("fw", "ex", "old\n", "");
  ASSERT_TRUE(WriteFinishedMarker(old, kFinished).ok());
  std::vector<ScannedSandbox> found = ScanSandboxes(dir_ + "/sandboxes");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, old);
  EXPECT_EQ(found[0].executor_id, "ex");
  EXPECT_EQ(found[0].finished, kFinished);
  ASSERT_TRUE(RemoveFinishedSandbox(dir_ + "/sandboxes", old, kFinished).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/sandboxes/fw"));
  EXPECT_TRUE(fs::exists(dir_ + "/sandboxes"));
}

TEST_F(SandboxDirsTest, ANewRunInAnOldLayoutSandboxStopsItsRemoval) {
  std::string old = MakeSandbox("fw", "ex", "old\n", "");
  ASSERT_TRUE(WriteFinishedMarker(old, kFinished).ok());
  std::string run = old + "/r1";
  ASSERT_TRUE(PrepareSandbox(run).ok());
  absl::Status removed = RemoveFinishedSandbox(dir_ + "/sandboxes", old, kFinished);
  EXPECT_TRUE(absl::IsFailedPrecondition(removed)) << removed;
  EXPECT_TRUE(fs::is_directory(run));
  EXPECT_TRUE(fs::exists(old + "/stdout"));
  std::vector<ScannedSandbox> found = ScanSandboxes(dir_ + "/sandboxes");
  ASSERT_EQ(found.size(), 2u);  // The old sandbox and the run; not `latest`.
  std::sort(found.begin(), found.end(),
            [](const ScannedSandbox& a, const ScannedSandbox& b) { return a.path < b.path; });
  EXPECT_EQ(found[0].path, old);
  EXPECT_EQ(found[1].path, run);
}

TEST_F(SandboxDirsTest, RemovesAFinishedSandboxAndItsNowEmptyFrameworkDir) {
  std::string first = MakeSandbox("fw", "a");
  std::string second = MakeSandbox("fw", "b");
  ASSERT_TRUE(WriteFinishedMarker(first, kFinished).ok());
  ASSERT_TRUE(WriteFinishedMarker(second, kFinished).ok());
  ASSERT_TRUE(RemoveFinishedSandbox(dir_ + "/sandboxes", first, kFinished).ok());
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(fs::exists(dir_ + "/sandboxes/fw"));  // b is still there.
  ASSERT_TRUE(RemoveFinishedSandbox(dir_ + "/sandboxes", second, kFinished).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/sandboxes/fw"));
  EXPECT_TRUE(fs::exists(dir_ + "/sandboxes"));
}

TEST_F(SandboxDirsTest, LeavesASandboxWhoseMarkerChangedOrIsGone) {
  std::string sandbox = MakeSandbox("fw", "ex");
  ASSERT_TRUE(WriteFinishedMarker(sandbox, kFinished + absl::Seconds(5)).ok());
  absl::Status changed = RemoveFinishedSandbox(dir_ + "/sandboxes", sandbox, kFinished);
  EXPECT_TRUE(absl::IsFailedPrecondition(changed)) << changed;
  ASSERT_TRUE(PrepareSandbox(sandbox).ok());  // A new run.
  absl::Status reused =
      RemoveFinishedSandbox(dir_ + "/sandboxes", sandbox, kFinished + absl::Seconds(5));
  EXPECT_TRUE(absl::IsFailedPrecondition(reused)) << reused;
  EXPECT_TRUE(fs::exists(sandbox + "/stdout"));
  absl::Status gone =
      RemoveFinishedSandbox(dir_ + "/sandboxes", dir_ + "/sandboxes/fw/other", kFinished);
  EXPECT_TRUE(absl::IsNotFound(gone)) << gone;
}

TEST_F(SandboxDirsTest, ScanFindsEverySandboxWithItsMarkerAndSize) {
  std::string marked = MakeSandbox("fw", "marked", std::string(10000, 'x'));
  std::string unmarked = MakeSandbox("fw2", "unmarked");
  ASSERT_TRUE(WriteFinishedMarker(marked, kFinished).ok());
  std::vector<ScannedSandbox> found = ScanSandboxes(dir_ + "/sandboxes");
  ASSERT_EQ(found.size(), 2u);
  std::sort(found.begin(), found.end(),
            [](const ScannedSandbox& a, const ScannedSandbox& b) { return a.path < b.path; });
  EXPECT_EQ(found[0].framework_id, "fw");
  EXPECT_EQ(found[0].executor_id, "marked");
  EXPECT_EQ(found[0].path, marked);
  EXPECT_EQ(found[0].finished, kFinished);
  EXPECT_GE(found[0].bytes, 10000u);
  EXPECT_FALSE(found[0].live);
  EXPECT_EQ(found[1].path, unmarked);
  EXPECT_EQ(found[1].finished, std::nullopt);
  EXPECT_GT(found[1].bytes, 0u);
}

TEST_F(SandboxDirsTest, StatDiskNamesThePathItCannotMeasure) {
  auto space = StatDisk(dir_);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->free_bytes, space->total_bytes);
  auto missing = StatDisk(dir_ + "/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), ::testing::HasSubstr(dir_ + "/missing"));
}

}  // namespace
}  // namespace agora::agent
