// MasterDetector::Create's three forms (host:port, a list, zk://) and their
// errors, list rotation, and the election znode's MasterInfo JSON. The zk://
// detector's behaviour against a real ZooKeeper is in
// tests/system/zk/zk_master_detector_test.cpp.
#include "common/master_detector.hpp"

#include "common/master_info_json.hpp"
#include "common/validation.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(MasterDetectorTest, FixedAddressIsTheLeader) {
  auto detector = MasterDetector::Create("127.0.0.1:5050");
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->CurrentLeader().value(), "127.0.0.1:5050");
  EXPECT_EQ((*detector)->CurrentLeader().value(), "127.0.0.1:5050");
  EXPECT_EQ((*detector)->Describe(), "master at 127.0.0.1:5050");
  EXPECT_FALSE((*detector)->CurrentLeaderInfo().has_value());
}

TEST(MasterDetectorTest, RejectsMalformedAddressesNamingTheProblem) {
  EXPECT_EQ(MasterDetector::Create("").status().message(),
            "master: must not be empty; expected host:port, host:port,host:port or "
            "zk://host:port/path");
  EXPECT_EQ(MasterDetector::Create("localhost").status().message(),
            "master: 'localhost' is not of the form host:port");
  EXPECT_EQ(MasterDetector::Create("localhost:0").status().message(),
            "master: 'localhost:0' has no valid port (1-65535)");
  EXPECT_EQ(MasterDetector::Create("localhost:70000").status().message(),
            "master: 'localhost:70000' has no valid port (1-65535)");
  EXPECT_FALSE(MasterDetector::Create(":5050").ok());
  EXPECT_FALSE(MasterDetector::Create("host:abc").ok());
  EXPECT_EQ(MasterDetector::Create("localhost").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(MasterDetector::Create("localhost").status()), "master");
}

TEST(MasterDetectorTest, ListNamesEachMasterInTurn) {
  auto detector = MasterDetector::Create("m1:5050,m2:5051,m3:5052");
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->Describe(), "masters m1:5050,m2:5051,m3:5052");
  std::vector<std::string> seen;
  for (int i = 0; i < 7; ++i) seen.push_back((*detector)->CurrentLeader().value());
  EXPECT_EQ(seen, (std::vector<std::string>{"m1:5050", "m2:5051", "m3:5052", "m1:5050", "m2:5051",
                                            "m3:5052", "m1:5050"}));
  EXPECT_FALSE((*detector)->CurrentLeaderInfo().has_value());
}

TEST(MasterDetectorTest, ListErrorsNameTheBadEntry) {
  EXPECT_EQ(MasterDetector::Create("m1:5050,,m3:5052").status().message(),
            "master[1]: empty entry in the list 'm1:5050,,m3:5052'; expected host:port");
  EXPECT_EQ(MasterDetector::Create("m1:5050,m2:5051,").status().message(),
            "master[2]: empty entry in the list 'm1:5050,m2:5051,'; expected host:port");
  EXPECT_EQ(MasterDetector::Create("m1:5050,m2").status().message(),
            "master[1]: 'm2' is not of the form host:port");
  EXPECT_EQ(MasterDetector::Create("m1:0,m2:5051").status().message(),
            "master[0]: 'm1:0' has no valid port (1-65535)");
  EXPECT_EQ(MasterDetector::Create("m1:5050,m2:70000").status().message(),
            "master[1]: 'm2:70000' has no valid port (1-65535)");
}

TEST(MasterDetectorTest, ValidateNamesTheCallersField) {
  EXPECT_TRUE(MasterDetector::Validate("--master", "m1:5050").ok());
  EXPECT_TRUE(MasterDetector::Validate("--master", "m1:5050,m2:5050").ok());
  EXPECT_TRUE(MasterDetector::Validate("--master", "zk://z1:2181,z2:2181/agora").ok());
  EXPECT_EQ(MasterDetector::Validate("AGORA_MASTER", "m1").message(),
            "AGORA_MASTER: 'm1' is not of the form host:port");
  absl::Status zk = MasterDetector::Validate("--master", "zk://z1:2181");
  EXPECT_EQ(zk.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(zk), "--master");
  EXPECT_EQ(zk.message(),
            "--master: 'zk://z1:2181' has no path (expected zk://host:port[,host:port]/path)");
}

TEST(MasterDetectorTest, RejectsBadZooKeeperUrls) {
  for (const char* spec :
       {"zk://z1:2181", "zk://z1:2181/", "zk:///agora", "zk://z1/agora", "zk://z1:2181,/agora"}) {
    auto detector = MasterDetector::Create(spec);
    EXPECT_EQ(detector.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_NE(detector.status().message().find("master: 'zk://"), std::string::npos)
        << detector.status();
  }
}

TEST(MasterDetectorTest, ZooKeeperDetectorKnowsNoLeaderBeforeItsFirstAnswer) {
  // Nothing listens on port 1: the session never connects.
  auto detector = MasterDetector::Create("zk://127.0.0.1:1/agora");
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->Describe(), "leading master in zk://127.0.0.1:1/agora");
  absl::StatusOr<std::string> leader = (*detector)->CurrentLeader();
  EXPECT_EQ(leader.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(leader.status().message(), "no leading master known yet in zk://127.0.0.1:1/agora");
  EXPECT_FALSE((*detector)->CurrentLeaderInfo().has_value());
}

TEST(MasterInfoJsonTest, RoundTripsEveryFieldWithProtoFieldNames) {
  v1::MasterInfo info;
  info.set_id("master-1");
  info.set_address("10.0.0.1:5050");
  info.set_hostname("m1.example");
  info.mutable_version()->set_version("0.1.0");
  info.set_start_time(1700000000.5);
  info.set_elected_time(1700000001.25);
  info.set_http_address("10.0.0.1:5051");
  std::string json = MasterInfoToJson(info);
  EXPECT_NE(json.find("\"http_address\":\"10.0.0.1:5051\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"elected_time\":"), std::string::npos) << json;
  absl::StatusOr<v1::MasterInfo> parsed = MasterInfoFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->SerializeAsString(), info.SerializeAsString());
}

TEST(MasterInfoJsonTest, IgnoresUnknownFieldsFromNewerMasters) {
  auto parsed = MasterInfoFromJson(R"({"id":"m","address":"h:1","future_field":3})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->address(), "h:1");
}

TEST(MasterInfoJsonTest, RejectsWhatIsNotAMasterInfoWithAnAddress) {
  EXPECT_EQ(MasterInfoFromJson("").status().message(), "master info: empty (expected JSON)");
  absl::Status garbage = MasterInfoFromJson("not json").status();
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.message().find("master info: not a MasterInfo in JSON"), std::string::npos)
      << garbage;
  EXPECT_FALSE(MasterInfoFromJson(R"({"address": 5})").ok());
  EXPECT_EQ(MasterInfoFromJson(R"({"id":"m"})").status().message(),
            "master info: address: must not be empty; expected host:port");
  EXPECT_EQ(MasterInfoFromJson(R"({"id":"m","address":"nowhere"})").status().message(),
            "master info: address: 'nowhere' is not of the form host:port");
}

}  // namespace
}  // namespace agora
