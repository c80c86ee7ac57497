#include "cli/run_scheduler.hpp"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/table.hpp"
#include "common/task_state.hpp"

namespace agora::cli {
namespace {

// Thousandths, as the master computes scalars.
int64_t Milli(double value) { return static_cast<int64_t>(std::llround(value * 1000)); }

bool UsableBy(const v1::Resource& resource, const std::string& role) {
  if (resource.revocable() || resource.type() != v1::Resource::SCALAR) return false;
  return resource.reservations().empty() || resource.reservations().rbegin()->role() == role;
}

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource resource;
  resource.set_name(name);
  resource.set_type(v1::Resource::SCALAR);
  resource.set_scalar(value);
  return resource;
}

}  // namespace

int TasksThatFit(const v1::Offer& offer, const std::string& role, double cpus, double mem,
                 int wanted) {
  int64_t have_cpus = 0, have_mem = 0;
  for (const v1::Resource& r : offer.resources()) {
    // Tasks take unreserved resources only (see MakeTask), so count those.
    if (!UsableBy(r, role) || !r.reservations().empty()) continue;
    if (r.name() == "cpus") have_cpus += Milli(r.scalar());
    if (r.name() == "mem") have_mem += Milli(r.scalar());
  }
  int64_t need_cpus = std::max<int64_t>(1, Milli(cpus));
  int64_t need_mem = std::max<int64_t>(1, Milli(mem));
  int64_t fit = std::min(have_cpus / need_cpus, have_mem / need_mem);
  return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(fit, wanted)));
}

std::string RunTaskId(const std::string& name, int index) {
  std::string id;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    id += ok ? c : '_';
  }
  if (id.size() > 200) id.resize(200);
  return absl::StrCat(id, "-", index);
}

RunScheduler::RunScheduler(RunOptions options, std::ostream* out, std::ostream* err)
    : options_(std::move(options)), out_(out), err_(err) {
  for (int i = 0; i < options_.instances; ++i) {
    std::string id = RunTaskId(options_.name, i);
    pending_.push_back(id);
    instance_of_[id] = id;
    attempt_[id] = id;
    latest_[id] = v1::TASK_STATE_UNSPECIFIED;
  }
}

void RunScheduler::registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                              const v1::MasterInfo& master) {
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << "Framework " << framework_id.value() << " registered with master " << master.address()
        << "; launching " << options_.instances << " task(s) of '" << options_.command << "'"
        << std::endl;
}

void RunScheduler::reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) {
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << "Re-registered with master " << master.address() << std::endl;
  // Ask for the state of everything launched; answers arrive as updates.
  driver->reconcileTasks({});
}

void RunScheduler::disconnected(SchedulerDriver* driver) {
  std::lock_guard<std::mutex> lock(mu_);
  *err_ << "Disconnected from the master; reconnecting..." << std::endl;
}

v1::TaskInfo RunScheduler::MakeTask(const std::string& task_id, const v1::Offer& offer) const {
  v1::TaskInfo task;
  task.set_name(options_.name);
  task.mutable_task_id()->set_value(task_id);
  *task.mutable_agent_id() = offer.agent_id();
  *task.add_resources() = Scalar("cpus", options_.cpus);
  *task.add_resources() = Scalar("mem", options_.mem);
  task.mutable_command()->set_shell(true);
  task.mutable_command()->set_value(options_.command);
  v1::HealthCheck* check = nullptr;
  if (!options_.health_cmd.empty() || options_.health_tcp_port != 0 ||
      options_.health_http_port != 0)
    check = task.mutable_health_check();
  if (!options_.health_cmd.empty()) {
    check->set_type(v1::HealthCheck::COMMAND);
    check->mutable_command()->set_shell(true);
    check->mutable_command()->set_value(options_.health_cmd);
  } else if (options_.health_tcp_port != 0) {
    check->set_type(v1::HealthCheck::TCP);
    check->mutable_tcp()->set_port(options_.health_tcp_port);
  } else if (options_.health_http_port != 0) {
    check->set_type(v1::HealthCheck::HTTP);
    check->mutable_http()->set_port(options_.health_http_port);
    check->mutable_http()->set_path(options_.health_http_path);
  }
  return task;
}

void RunScheduler::resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const v1::Offer& offer : offers) {
    int count = TasksThatFit(offer, options_.role, options_.cpus, options_.mem,
                             static_cast<int>(pending_.size()));
    if (count == 0) {
      v1::Filters filters;
      filters.set_refuse_seconds(pending_.empty() ? 60 : 1);
      driver->declineOffer(offer.id(), filters);
      continue;
    }
    std::vector<v1::TaskInfo> tasks;
    for (int i = 0; i < count; ++i) {
      tasks.push_back(MakeTask(pending_.front(), offer));
      pending_.pop_front();
    }
    driver->launchTasks({offer.id()}, tasks);
  }
  if (pending_.empty() && !suppressed_) {
    suppressed_ = true;
    driver->suppressOffers();
  }
}

void RunScheduler::statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto instance = instance_of_.find(status.task_id().value());
  if (instance == instance_of_.end()) return;  // Not ours (e.g. an old framework's task).
  const std::string id = instance->second;
  // An update of an earlier launch of a task that was retried.
  if (attempt_[id] != status.task_id().value()) return;
  auto it = latest_.find(id);
  if (IsTerminalState(it->second)) return;  // Already final; a duplicate.
  if (it->second == status.state() && status.state() != v1::TASK_STATE_UNSPECIFIED) return;
  *out_ << FormatUpdateLine(status) << std::endl;
  it->second = status.state();
  if (status.state() == v1::TASK_DROPPED && drops_[id]++ < kMaxDropRetries) {
    // Never ran: try again on another offer, under a fresh id.
    it->second = v1::TASK_STATE_UNSPECIFIED;
    std::string retry = absl::StrCat(id, "-retry", drops_[id]);
    instance_of_[retry] = id;
    attempt_[id] = retry;
    pending_.push_back(retry);
    if (suppressed_) {
      suppressed_ = false;
      driver->reviveOffers();
    }
    return;
  }
  if (!IsTerminalState(status.state())) return;
  final_message_[id] = status.message();
  if (++terminal_ == options_.instances) MarkFinishedLocked();
}

void RunScheduler::error(SchedulerDriver* driver, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  *err_ << "agora: the master ended the framework: " << message << std::endl;
  failed_ = true;
  MarkFinishedLocked();
}

void RunScheduler::callFailed(SchedulerDriver* driver, const std::string& call,
                              const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  *err_ << "agora: the master rejected " << call << ": " << message << std::endl;
}

void RunScheduler::MarkFinishedLocked() {
  finished_ = true;
  cv_.notify_all();
}

bool RunScheduler::WaitFinished(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [this] { return finished_ || interrupted_; };
  if (timeout == absl::InfiniteDuration()) {
    cv_.wait(lock, done);
  } else {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), done);
  }
  return finished_;
}

void RunScheduler::Interrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

int RunScheduler::ExitCode() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_ || !finished_) return 1;
  for (const auto& [id, state] : latest_) {
    if (state != v1::TASK_FINISHED) return 1;
  }
  return 0;
}

std::string RunScheduler::Summary() const {
  std::lock_guard<std::mutex> lock(mu_);
  int finished = 0;
  std::vector<std::string> others;
  for (const auto& [id, state] : latest_) {
    if (state == v1::TASK_FINISHED) {
      ++finished;
    } else {
      others.push_back(absl::StrCat(id, " ",
                                    state == v1::TASK_STATE_UNSPECIFIED
                                        ? "NOT LAUNCHED"
                                        : std::string(ShortStateName(state))));
    }
  }
  std::string summary = absl::StrCat(finished, " of ", latest_.size(), " task(s) finished");
  if (!others.empty()) {
    size_t shown = std::min<size_t>(others.size(), 10);
    absl::StrAppend(
        &summary, "; not finished: ", absl::StrJoin(others.begin(), others.begin() + shown, ", "));
    if (shown < others.size())
      absl::StrAppend(&summary, ", ... (", others.size() - shown, " more)");
  }
  return summary;
}

}  // namespace agora::cli
