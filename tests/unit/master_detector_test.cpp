#include "common/master_detector.hpp"

#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(MasterDetectorTest, FixedAddressIsTheLeader) {
  auto detector = MasterDetector::Create("127.0.0.1:5050");
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->CurrentLeader().value(), "127.0.0.1:5050");
  EXPECT_EQ((*detector)->Describe(), "master at 127.0.0.1:5050");
}

TEST(MasterDetectorTest, RejectsMalformedAddressesNamingTheProblem) {
  EXPECT_EQ(MasterDetector::Create("").status().message(),
            "master: must not be empty; expected host:port");
  EXPECT_EQ(MasterDetector::Create("localhost").status().message(),
            "master: 'localhost' is not of the form host:port");
  EXPECT_EQ(MasterDetector::Create("localhost:0").status().message(),
            "master: 'localhost:0' has no valid port (1-65535)");
  EXPECT_FALSE(MasterDetector::Create("localhost:99999").ok());
  EXPECT_FALSE(MasterDetector::Create(":5050").ok());
  EXPECT_FALSE(MasterDetector::Create("host:abc").ok());
}

TEST(MasterDetectorTest, ZooKeeperSpecIsRefusedUntilSupported) {
  auto detector = MasterDetector::Create("zk://127.0.0.1:2181/agora");
  EXPECT_EQ(detector.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace agora
