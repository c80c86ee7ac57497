// A task's record in TaskBook (task_book.hpp) whose fields all live in one
// protobuf arena, created with the record and freed with it as a block.
//
// Why: a task's record (its TaskInfo, resources, latest status and up to
// TaskBook::kMaxStatusesPerTask statuses) is some 60 small heap objects.
// Building it on the launch path and destroying it when the bounded
// completed history drops it (long after, so its memory is cold) freed each
// object on its own: ~Task was ~10 % of the master core's CPU per task
// (bench/master_task_cycle_bench). In an arena the objects are bump-allocated
// next to each other, and the record goes with one free of its blocks (and
// the destructors of the strings too long to be inline).
//
// An arena never frees before it goes, so a record that keeps changing (a
// long-running task's status updates) grows: TaskBook copies such a record
// into a fresh arena now and then (TaskRecordGrown).
//
// The record is an ordinary v1::Task to everyone who reads it, on any
// thread; like any task of the book it changes only on the master's loop.
#ifndef AGORA_MASTER_TASK_RECORD_HPP_
#define AGORA_MASTER_TASK_RECORD_HPP_

#include <memory>

#include "agora/v1/common.pb.h"

namespace agora::master {

// An empty task in a fresh arena of its own, alive while a pointer is.
std::shared_ptr<v1::Task> NewTaskRecord();

// A copy of `task` in a fresh arena of its own.
std::shared_ptr<v1::Task> CopyTaskRecord(const v1::Task& task);

// True if `task` is an arena record that holds far more memory than a fresh
// copy would (what it lost to replaced statuses): over 16 KiB and over 16
// times its serialized size. Cheap below 16 KiB. Sets the task's cached
// size: call it only on a record no other thread reads.
bool TaskRecordGrown(const v1::Task& task);

}  // namespace agora::master

#endif  // AGORA_MASTER_TASK_RECORD_HPP_
