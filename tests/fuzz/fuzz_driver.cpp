// request_fuzz: a randomized property driver for the request fuzz target,
// for builds without libFuzzer (g++, the ASan/UBSan pass). It feeds valid
// seed requests, their mutations (bit flips, byte edits, truncation, splices)
// and random bytes to FuzzOneInput for a bounded time, from a fixed seed.
//
//   request_fuzz [--seconds=5] [--seed=20261130] [--strict] [--input_hex=HEX]
//
// On a property violation the target aborts; the SIGABRT handler first
// prints the seed, the input number and the input in hex, which
// --input_hex replays alone. The run is deterministic for a seed up to the
// number of inputs the time bound allows.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "agora/v1/scheduler.pb.h"
#include "tests/fuzz/request_fuzz_target.hpp"

namespace {

using agora::fuzz::FuzzOneInput;

uint64_t seed = 20261130;
long input_number = 0;
std::string current;

void DumpInput(int) {
  std::fprintf(stderr, "request_fuzz: failing input #%ld (seed=%llu): --input_hex=", input_number,
               static_cast<unsigned long long>(seed));
  for (unsigned char c : current) std::fprintf(stderr, "%02x", c);
  std::fprintf(stderr, "\n");
  signal(SIGABRT, SIG_DFL);
}

std::string Input(uint8_t target, uint8_t flags, const std::string& payload) {
  return std::string(1, static_cast<char>(target)) + std::string(1, static_cast<char>(flags)) +
         payload;
}

agora::v1::TaskInfo Task(const std::string& id) {
  agora::v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_command()->set_shell(true);
  task.mutable_command()->set_value("true");
  auto* cpus = task.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(agora::v1::Resource::SCALAR);
  cpus->set_scalar(0.5);
  auto* ports = task.add_resources();
  ports->set_name("ports");
  ports->set_type(agora::v1::Resource::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(10);
  range->set_end(12);
  return task;
}

// Valid inputs of every target: the starting points of mutation.
std::vector<std::string> Seeds() {
  using namespace agora::v1;
  std::vector<std::string> seeds;
  for (const char* text : {"cpus:2;mem:1024", "cpus(eng/batch):1.5;ports:[31000-31010,40000-40000]",
                           "disk:{a,b,c};gpus:1;cpus(*):0.001", ""}) {
    seeds.push_back(Input(0, 0, text));
  }
  seeds.push_back(Input(1, 0, Task("t").SerializeAsString()));
  AcceptRequest accept;
  accept.add_offer_ids()->set_value("offer-1");
  auto* launch = accept.add_operations();
  launch->set_type(Offer::Operation::LAUNCH);
  *launch->mutable_launch()->add_task_infos() = Task("t1");
  *launch->mutable_launch()->add_task_infos() = Task("t2");
  seeds.push_back(Input(2, 3, accept.SerializeAsString()));
  DeclineRequest decline;
  decline.add_offer_ids()->set_value("offer-1");
  decline.mutable_filters()->set_refuse_seconds(10);
  seeds.push_back(Input(3, 3, decline.SerializeAsString()));
  ReviveRequest revive;
  revive.add_roles("*");
  seeds.push_back(Input(4, 1, revive.SerializeAsString()));
  seeds.push_back(Input(5, 1, revive.SerializeAsString()));
  KillRequest kill;
  kill.mutable_task_id()->set_value("t1");
  seeds.push_back(Input(6, 1, kill.SerializeAsString()));
  AcknowledgeRequest ack;
  ack.mutable_agent_id()->set_value("a1");
  ack.mutable_task_id()->set_value("t1");
  ack.set_uuid("0123456789abcdef");
  auto* entry = ack.add_acknowledgements();
  entry->mutable_agent_id()->set_value("a1");
  entry->mutable_task_id()->set_value("t2");
  entry->set_uuid("fedcba9876543210");
  seeds.push_back(Input(7, 1, ack.SerializeAsString()));
  ReconcileRequest reconcile;
  reconcile.add_tasks()->mutable_task_id()->set_value("t1");
  seeds.push_back(Input(8, 1, reconcile.SerializeAsString()));
  MessageRequest message;
  message.mutable_executor_id()->set_value("e1");
  message.mutable_agent_id()->set_value("a1");
  message.set_data("hi");
  seeds.push_back(Input(9, 1, message.SerializeAsString()));
  ShutdownRequest shutdown;
  shutdown.mutable_executor_id()->set_value("e1");
  shutdown.mutable_agent_id()->set_value("a1");
  seeds.push_back(Input(10, 1, shutdown.SerializeAsString()));
  UpdateFrameworkRequest update;
  update.mutable_framework_info()->set_name("fuzz");
  update.mutable_framework_info()->set_user("fuzz");
  update.mutable_framework_info()->add_roles("*");
  seeds.push_back(Input(11, 1, update.SerializeAsString()));
  return seeds;
}

std::string Mutate(std::string input, const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < rounds; ++i) {
    // Bytes 0 and 1 (target, flags) mutate too, but rarely.
    const size_t from = input.size() > 2 && rng() % 8 != 0 ? 2 : 0;
    switch (rng() % 6) {
      case 0:  // flip a bit
        if (input.size() > from) input[from + pick(input.size() - from)] ^= 1 << (rng() % 8);
        break;
      case 1:  // set a byte to an interesting value
        if (input.size() > from) {
          static constexpr unsigned char kValues[] = {0,   1,   0x7f, 0x80, 0xff, ':',  ';', '[',
                                                      '(', '-', ',',  '{',  '.',  0x0a, 0x12};
          input[from + pick(input.size() - from)] =
              static_cast<char>(kValues[pick(sizeof kValues)]);
        }
        break;
      case 2:  // insert a random byte
        input.insert(input.begin() + from + pick(input.size() - from + 1),
                     static_cast<char>(rng()));
        break;
      case 3:  // erase a run
        if (input.size() > from) {
          size_t at = from + pick(input.size() - from);
          input.erase(at, 1 + pick(std::min<size_t>(8, input.size() - at)));
        }
        break;
      case 4:  // truncate
        input.resize(from + pick(input.size() - from + 1));
        break;
      case 5: {  // splice in part of another seed
        const std::string& other = seeds[pick(seeds.size())];
        size_t at = other.size() > 2 ? 2 + pick(other.size() - 2) : 0;
        input.insert(from + pick(input.size() - from + 1), other.substr(at, 1 + pick(32)));
        break;
      }
    }
  }
  return input;
}

std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  bool strict = false;
  std::string replay;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--seconds=", 0) == 0) {
      seconds = std::stod(arg.substr(10));
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::stoull(arg.substr(7));
    } else if (arg == "--strict") {
      strict = true;
    } else if (arg.rfind("--input_hex=", 0) == 0) {
      replay = FromHex(arg.substr(12));
    } else {
      std::fprintf(stderr, "usage: %s [--seconds=S] [--seed=N] [--strict] [--input_hex=HEX]\n",
                   argv[0]);
      return 2;
    }
  }
  agora::fuzz::SetStrict(strict);
  signal(SIGABRT, DumpInput);
  if (!replay.empty()) {
    current = replay;
    FuzzOneInput(reinterpret_cast<const uint8_t*>(current.data()), current.size());
    std::printf("request_fuzz: replayed input passes\n");
    return 0;
  }
  std::printf("request_fuzz: seed=%llu seconds=%g strict=%d\n",
              static_cast<unsigned long long>(seed), seconds, strict);
  std::mt19937_64 rng(seed);
  const std::vector<std::string> seeds = Seeds();
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  auto slowest = Clock::duration::zero();
  while (Clock::now() < deadline) {
    ++input_number;
    const uint64_t kind = rng() % 16;
    if (input_number <= static_cast<long>(seeds.size())) {
      current = seeds[input_number - 1];
    } else if (kind == 0) {  // random bytes
      current.assign(2 + rng() % 64, '\0');
      for (char& c : current) c = static_cast<char>(rng());
    } else {
      current = Mutate(seeds[rng() % seeds.size()], seeds, rng);
    }
    const auto start = Clock::now();
    FuzzOneInput(reinterpret_cast<const uint8_t*>(current.data()), current.size());
    slowest = std::max(slowest, Clock::now() - start);
  }
  const auto& stats = agora::fuzz::Stats();
  const double slowest_ms = std::chrono::duration<double, std::milli>(slowest).count();
  std::printf(
      "request_fuzz: %ld inputs, %ld scheduler calls reached the core (%ld on a held offer), %ld "
      "INVALID_ARGUMENT (%ld without a FieldViolation), slowest input %.1f ms\n",
      stats.inputs, stats.calls, stats.held_offers_used, stats.invalid_argument,
      stats.missing_field_violation, slowest_ms);
  for (const std::string& kind : stats.missing_kinds) {
    std::printf("request_fuzz: INVALID_ARGUMENT without a FieldViolation: %s\n", kind.c_str());
  }
  // A hang shows up as a ctest timeout; a call that takes a second is a bug
  // too (every call is a few microseconds of work on the loop).
  if (slowest_ms > 2000) {
    std::fprintf(stderr, "request_fuzz: an input took %.0f ms\n", slowest_ms);
    return 1;
  }
  return 0;
}
