// AllocatorThread: the queue, the thread, and the loop-side books that tell
// stale decisions apart.
#include "master/allocator_thread.hpp"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

namespace agora::master {

// The allocator thread: runs queued messages in order on the allocation it
// owns. Push() from the loop; everything else on the thread.
class AllocatorThread::Worker {
 public:
  explicit Worker(std::unique_ptr<Allocation> allocation)
      : allocation_(std::move(allocation)), thread_([this] { Run(); }) {}

  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_one();
    thread_.join();
  }

  // Queues `message`; with `wake`, wakes the thread to run everything
  // queued. Calls do not wake it: they only have to be applied before the
  // next cycle, and a wake-up per call (a futex call on the loop and a
  // context switch per decline) cost more than the call itself.
  void Push(Message message, bool wake) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(message));
      woken_ = woken_ || wake;
    }
    if (wake) wake_.notify_one();
  }

 private:
  void Run() {
    pthread_setname_np(pthread_self(), "agora-allocator");
    std::deque<Message> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_.load() || woken_; });
        woken_ = false;
        if (stopping_.load()) return;
        batch.swap(queue_);
      }
      for (Message& message : batch) {
        // A stopping master drops what is left: its books go with it.
        if (stopping_.load(std::memory_order_relaxed)) return;
        message(*allocation_);
      }
      batch.clear();
    }
  }

  std::unique_ptr<Allocation> allocation_;  // Allocator thread only.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Message> queue_;          // Guarded by mutex_.
  bool woken_ = false;                 // Guarded by mutex_: a wake-up is due.
  std::atomic<bool> stopping_{false};  // Set under mutex_ (for the wait).
  std::thread thread_;                 // Last: starts once the rest is built.
};

namespace {

// The loop-side object, while it lives: closures posted by the thread check
// it on the loop, where the object is also destroyed.
using Liveness = std::weak_ptr<AllocatorThread*>;

// A copy of `resources` that shares nothing with it. Copies of a Resources
// share its entries until one of them is mutated, and the "am I the only
// owner" check before a mutation is no synchronization between threads: so
// every value handed from one thread to the other is detached first, by
// the sender.
Resources Detached(const Resources& resources) {
  Resources copy;
  for (const ResourceEntry& entry : resources) copy.Add(entry);
  return copy;
}

std::vector<ResourceUse> Detached(const std::vector<ResourceUse>& used) {
  std::vector<ResourceUse> copy;
  copy.reserve(used.size());
  for (const ResourceUse& use : used) {
    copy.push_back(ResourceUse{use.framework_id, use.role, Detached(use.resources)});
  }
  return copy;
}

}  // namespace

AllocatorThread::AllocatorThread(EventLoop* loop, std::unique_ptr<Allocation> allocation,
                                 ErrorSink on_error)
    : loop_(loop),
      self_(std::make_shared<AllocatorThread*>(this)),
      on_error_(std::move(on_error)),
      worker_(std::make_unique<Worker>(std::move(allocation))) {}

AllocatorThread::~AllocatorThread() {
  self_.reset();  // Closures already posted find nothing to run on.
  worker_.reset();
}

uint64_t AllocatorThread::Queue(const char* name, std::function<absl::Status(Allocation&)> call) {
  Liveness alive = self_;
  EventLoop* loop = loop_;
  worker_->Push(
      [call = std::move(call), name, alive, loop](Allocation& allocation) {
        absl::Status status = call(allocation);
        if (status.ok()) return;
        loop->Post([alive, status, name] {
          if (auto self = alive.lock()) (*self)->on_error_(status, name);
        });
      },
      /*wake=*/false);
  return next_sequence_++;
}

void AllocatorThread::StartCycle(absl::Time now, CycleDone done) {
  Liveness alive = self_;
  EventLoop* loop = loop_;
  const uint64_t sequence = next_sequence_++;
  worker_->Push(
      [now, sequence, done = std::move(done), alive, loop](Allocation& allocation) {
        const auto started = std::chrono::steady_clock::now();
        Cycle cycle;
        cycle.sequence = sequence;
        cycle.decisions = allocation.Allocate(now);
        cycle.duration = absl::FromChrono(std::chrono::steady_clock::now() - started);
        for (OfferDecision& decision : cycle.decisions) {
          decision.resources = Detached(decision.resources);
        }
        std::map<std::string, double> shares = allocation.DominantShares();
        // Bulk lane: in order with the work that changed the books meanwhile.
        loop->PostBulk(
            [alive, done, cycle = std::move(cycle), shares = std::move(shares)]() mutable {
              auto self = alive.lock();
              if (!self) return;
              (*self)->shares_ = std::move(shares);
              done(std::move(cycle));
            });
      },
      /*wake=*/true);
}

bool AllocatorThread::Booked(const OfferDecision& decision, const Cycle& cycle) const {
  // Added before the cycle was queued, and not removed since.
  auto added_before = [&cycle](const auto& books, const std::string& id) {
    auto it = books.find(id);
    return it != books.end() && it->second < cycle.sequence;
  };
  return added_before(agents_added_, decision.agent_id) &&
         added_before(frameworks_added_, decision.framework_id);
}

std::vector<OfferDecision> AllocatorThread::Allocate(absl::Time now) {
  std::promise<std::pair<std::vector<OfferDecision>, std::map<std::string, double>>> result;
  auto ready = result.get_future();
  next_sequence_++;
  worker_->Push(
      [now, &result](Allocation& allocation) {
        auto decisions = allocation.Allocate(now);
        for (OfferDecision& decision : decisions) decision.resources = Detached(decision.resources);
        result.set_value({std::move(decisions), allocation.DominantShares()});
      },
      /*wake=*/true);
  auto [decisions, shares] = ready.get();
  shares_ = std::move(shares);
  return std::move(decisions);
}

// ---------------------------------------------------------------------------
// The queued calls. Arguments are copied into the message: the loop's
// values may change before the thread runs it.

absl::Status AllocatorThread::AddAgent(const std::string& agent_id, const Resources& total,
                                       const std::vector<ResourceUse>& used) {
  agents_added_[agent_id] = Queue("AddAgent", [agent_id, total = Detached(total),
                                               used = Detached(used)](Allocation& allocation) {
    return allocation.AddAgent(agent_id, total, used);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::RemoveAgent(const std::string& agent_id) {
  agents_added_.erase(agent_id);
  Queue("RemoveAgent",
        [agent_id](Allocation& allocation) { return allocation.RemoveAgent(agent_id); });
  return absl::OkStatus();
}

absl::Status AllocatorThread::SetAgentActive(const std::string& agent_id, bool active) {
  Queue("SetAgentActive", [agent_id, active](Allocation& allocation) {
    return allocation.SetAgentActive(agent_id, active);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::AddFramework(const std::string& framework_id,
                                           const std::vector<std::string>& roles,
                                           const std::set<std::string>& suppressed_roles) {
  frameworks_added_[framework_id] =
      Queue("AddFramework", [framework_id, roles, suppressed_roles](Allocation& allocation) {
        return allocation.AddFramework(framework_id, roles, suppressed_roles);
      });
  return absl::OkStatus();
}

absl::Status AllocatorThread::UpdateFramework(const std::string& framework_id,
                                              const std::vector<std::string>& roles,
                                              const std::set<std::string>& suppressed_roles) {
  Queue("UpdateFramework", [framework_id, roles, suppressed_roles](Allocation& allocation) {
    return allocation.UpdateFramework(framework_id, roles, suppressed_roles);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::RemoveFramework(const std::string& framework_id) {
  frameworks_added_.erase(framework_id);
  Queue("RemoveFramework", [framework_id](Allocation& allocation) {
    return allocation.RemoveFramework(framework_id);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::SetFrameworkActive(const std::string& framework_id, bool active) {
  Queue("SetFrameworkActive", [framework_id, active](Allocation& allocation) {
    return allocation.SetFrameworkActive(framework_id, active);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::Suppress(const std::string& framework_id,
                                       const std::set<std::string>& roles) {
  Queue("Suppress", [framework_id, roles](Allocation& allocation) {
    return allocation.Suppress(framework_id, roles);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::Revive(const std::string& framework_id,
                                     const std::set<std::string>& roles) {
  Queue("Revive", [framework_id, roles](Allocation& allocation) {
    return allocation.Revive(framework_id, roles);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::Recover(const std::string& framework_id, const std::string& agent_id,
                                      const std::string& role, const Resources& resources,
                                      std::optional<absl::Duration> refuse, absl::Time now) {
  Queue("Recover", [framework_id, agent_id, role, resources = Detached(resources), refuse,
                    now](Allocation& allocation) {
    return allocation.Recover(framework_id, agent_id, role, resources, refuse, now);
  });
  return absl::OkStatus();
}

absl::Status AllocatorThread::UpdateQuota(const std::string& role, const Resources& guarantee,
                                          const Resources& limit) {
  Queue("UpdateQuota",
        [role, guarantee = Detached(guarantee), limit = Detached(limit)](Allocation& allocation) {
          return allocation.UpdateQuota(role, guarantee, limit);
        });
  return absl::OkStatus();
}

absl::Status AllocatorThread::UpdateWeights(const std::map<std::string, double>& weights) {
  Queue("UpdateWeights",
        [weights](Allocation& allocation) { return allocation.UpdateWeights(weights); });
  return absl::OkStatus();
}

}  // namespace agora::master
