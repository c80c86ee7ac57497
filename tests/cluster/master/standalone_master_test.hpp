// StandaloneMasterTest: the base of the master's cluster-test fixtures. A real
// in-process Master (standalone, local registry) on loopback with a fresh
// work dir per test, kept for inspection when the test fails.
//
// A fixture changes options_ (in its constructor or SetUp) before it calls
// StartMaster(); calling StartMaster() again restarts the master on the
// same work dir, as a restarted agora-master would (a new port each time).
#ifndef AGORA_TESTS_CLUSTER_MASTER_STANDALONE_MASTER_TEST_HPP_
#define AGORA_TESTS_CLUSTER_MASTER_STANDALONE_MASTER_TEST_HPP_

#include <gtest/gtest.h>

#include <memory>

#include "master/master.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::master {

class StandaloneMasterTest : public ::testing::Test {
 protected:
  StandaloneMasterTest() {
    options_.work_dir = dir_.path();
    options_.port = 0;
    options_.http_port = 0;
    options_.allocation_interval = absl::Milliseconds(20);
  }
  void TearDown() override { master_.reset(); }

  void StartMaster() {
    master_.reset();
    auto master = Master::Start(options_);
    ASSERT_TRUE(master.ok()) << master.status();
    master_ = std::move(*master);
  }

  agora::testing::TempDir dir_;  // Outlives master_ (declared first).
  MasterOptions options_;
  std::unique_ptr<Master> master_;
};

}  // namespace agora::master

#endif  // AGORA_TESTS_CLUSTER_MASTER_STANDALONE_MASTER_TEST_HPP_
