// agora-bench-scale: the B-scale benchmark on its own, until the
// `agora-bench` dispatcher runs it as `agora-bench scale`.
#include "fleet/scale.hpp"
#include "glog/logging.h"

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;
  google::InitGoogleLogging(argv[0]);
  return agora::bench::RunScale(argc, argv);
}
