// Arena task records (task_record.hpp).
#include "master/task_record.hpp"

#include <google/protobuf/arena.h>

#include <cstddef>
#include <cstdint>

namespace agora::master {
namespace {

// The first block is inline in the holder, so a record costs one
// allocation until it outgrows it; later blocks come from the heap. A
// launched task with three statuses takes ~2.7 KB of arena plus the arena's
// own header and ~30 string cleanup entries (its heap form: ~3 KB, before
// malloc's rounding): 2 or 3 KiB made it take a second block (of twice the
// first's size) and doubled the master's RSS per record.
// 3,968 bytes: the holder (block, Arena, shared_ptr's count) is then just
// under 4 KiB, a malloc size class (4 KiB of block took 5 KiB).
constexpr size_t kFirstBlock = 3968;
constexpr size_t kNextBlock = 4096;
// Below this an arena is not worth a look; past it, a record holding over
// 16 times its wire size (memory takes some 3 to 5 times) has mostly lost
// memory to replaced statuses.
constexpr uint64_t kMinGrown = 16384;
constexpr uint64_t kGrownRatio = 16;

google::protobuf::ArenaOptions OptionsFor(char* block) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = kFirstBlock;
  options.start_block_size = kNextBlock;
  options.max_block_size = 16 * kNextBlock;
  return options;
}

struct Holder {
  Holder() : arena(OptionsFor(block)) {}
  alignas(std::max_align_t) char block[kFirstBlock];
  google::protobuf::Arena arena;  // After `block`: destroyed before it.
};

}  // namespace

std::shared_ptr<v1::Task> NewTaskRecord() {
  auto holder = std::make_shared<Holder>();
  v1::Task* task = google::protobuf::Arena::CreateMessage<v1::Task>(&holder->arena);
  return std::shared_ptr<v1::Task>(std::move(holder), task);
}

std::shared_ptr<v1::Task> CopyTaskRecord(const v1::Task& task) {
  std::shared_ptr<v1::Task> copy = NewTaskRecord();
  copy->CopyFrom(task);
  return copy;
}

bool TaskRecordGrown(const v1::Task& task) {
  google::protobuf::Arena* arena = task.GetArena();
  if (arena == nullptr) return false;
  const uint64_t used = arena->SpaceUsed();  // O(blocks).
  return used >= kMinGrown && used > kGrownRatio * task.ByteSizeLong();
}

}  // namespace agora::master
