#include "shim/shim_status.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace agora::shim {
namespace {

constexpr std::string_view kHeader = "agora-shim-status 1";
constexpr std::string_view kHeaderPrefix = "agora-shim-status ";
// Far more than any record; a larger file is not one of ours.
constexpr size_t kMaxFileSize = 64 * 1024;

// Parses a decimal number as the formatter writes it (no sign, spaces or
// leading zeros) in [min, max].
bool ParseNumber(std::string_view text, uint64_t min, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return false;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (result > (UINT64_MAX - digit) / 10) return false;
    result = result * 10 + digit;
  }
  if (result < min || result > max) return false;
  *value = result;
  return true;
}

// Splits `line` at single spaces into at most `max_fields` fields (the last one
// keeps any further spaces).
std::vector<std::string_view> SplitFields(std::string_view line, size_t max_fields) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < max_fields) {
    size_t space = line.find(' ');
    if (space == std::string_view::npos) break;
    fields.push_back(line.substr(0, space));
    line.remove_prefix(space + 1);
  }
  fields.push_back(line);
  return fields;
}

bool ParseStamp(const std::vector<std::string_view>& fields, ProcessStamp* stamp) {
  uint64_t pid = 0;
  uint64_t start_time = 0;
  if (fields.size() != 3 || !ParseNumber(fields[1], 1, INT32_MAX, &pid) ||
      !ParseNumber(fields[2], 0, UINT64_MAX, &start_time)) {
    return false;
  }
  stamp->pid = static_cast<pid_t>(pid);
  stamp->start_time = start_time;
  return true;
}

// Parses a terminal line (`exited`, `signaled` or `error`) into `status`.
bool ParseEnd(std::string_view line, ShimStatus* status, std::string* what) {
  std::vector<std::string_view> fields = SplitFields(line, 3);
  uint64_t value = 0;
  uint64_t time_ms = 0;
  if (fields[0] == "exited" || fields[0] == "signaled") {
    bool exited = fields[0] == "exited";
    if (fields.size() != 3 || !ParseNumber(fields[1], exited ? 0 : 1, exited ? 255 : 64, &value) ||
        !ParseNumber(fields[2], 0, INT64_MAX, &time_ms)) {
      *what = exited ? "bad exited record (want 'exited <0-255> <unix_ms>')"
                     : "bad signaled record (want 'signaled <1-64> <unix_ms>')";
      return false;
    }
    status->state = exited ? ShimState::kExited : ShimState::kSignaled;
    status->code = static_cast<int>(value);
    status->end_time_ms = static_cast<int64_t>(time_ms);
    return true;
  }
  if (fields[0] == "error") {
    if (fields.size() != 3 || !ParseNumber(fields[1], 0, INT64_MAX, &time_ms) ||
        fields[2].empty()) {
      *what = "bad error record (want 'error <unix_ms> <message>')";
      return false;
    }
    status->state = ShimState::kError;
    status->end_time_ms = static_cast<int64_t>(time_ms);
    status->message = std::string(fields[2]);
    return true;
  }
  *what = "unknown record '" + std::string(fields[0].substr(0, 32)) + "'";
  return false;
}

}  // namespace

bool ShimStatus::operator==(const ShimStatus& other) const {
  return shim == other.shim && task == other.task && state == other.state && code == other.code &&
         end_time_ms == other.end_time_ms && message == other.message;
}

std::string FormatShimStatus(const ShimStatus& status) {
  std::string text(kHeader);
  text += "\nshim " + std::to_string(status.shim.pid) + " " +
          std::to_string(status.shim.start_time) + "\n";
  if (status.task.has_value()) {
    text += "started " + std::to_string(status.task->pid) + " " +
            std::to_string(status.task->start_time) + "\n";
  }
  std::string time = std::to_string(status.end_time_ms);
  switch (status.state) {
    case ShimState::kStarted:
      break;
    case ShimState::kExited:
      text += "exited " + std::to_string(status.code) + " " + time + "\n";
      break;
    case ShimState::kSignaled:
      text += "signaled " + std::to_string(status.code) + " " + time + "\n";
      break;
    case ShimState::kError: {
      std::string message = status.message.empty() ? "(no message)" : status.message;
      for (char& c : message) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      text += "error " + time + " " + message + "\n";
      break;
    }
  }
  return text;
}

bool ParseShimStatus(std::string_view text, std::string_view path, ShimStatus* status,
                     std::string* error) {
  auto fail = [&](const std::string& what) {
    *error = std::string(path) + ": " + what;
    return false;
  };
  if (text.empty()) return fail("empty status file");
  if (text.back() != '\n') return fail("torn status file (the last line has no newline)");
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines[0] != kHeader) {
    if (lines[0].substr(0, kHeaderPrefix.size()) == kHeaderPrefix) {
      return fail("unsupported status file version '" +
                  std::string(lines[0].substr(kHeaderPrefix.size(), 16)) + "'");
    }
    return fail("not an agora-shim status file (no 'agora-shim-status 1' header)");
  }
  ShimStatus parsed;
  if (lines.size() < 2 || !ParseStamp(SplitFields(lines[1], 4), &parsed.shim) ||
      SplitFields(lines[1], 4)[0] != "shim") {
    return fail("line 2: want 'shim <pid> <starttime>'");
  }
  size_t next = 2;
  if (next < lines.size() && SplitFields(lines[next], 2)[0] == "started") {
    ProcessStamp task;
    if (!ParseStamp(SplitFields(lines[next], 4), &task)) {
      return fail("line 3: want 'started <pid> <starttime>'");
    }
    parsed.task = task;
    ++next;
  }
  if (next < lines.size()) {
    std::string what;
    if (!ParseEnd(lines[next], &parsed, &what)) {
      return fail("line " + std::to_string(next + 1) + ": " + what);
    }
    ++next;
  }
  if (next < lines.size()) {
    return fail("line " + std::to_string(next + 1) + ": unexpected record after the end");
  }
  if (!parsed.task.has_value() && parsed.state != ShimState::kError) {
    return fail(parsed.state == ShimState::kStarted ? "no 'started' or 'error' record"
                                                    : "an exit record without 'started'");
  }
  *status = std::move(parsed);
  return true;
}

ShimStatusRead ReadShimStatusFile(const std::string& path) {
  ShimStatusRead result;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.outcome = errno == ENOENT ? ShimStatusRead::kMissing : ShimStatusRead::kFailed;
    result.error = path + ": cannot open: " + std::strerror(errno);
    return result;
  }
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.error = path + ": cannot read: " + std::strerror(errno);
      close(fd);
      return result;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      close(fd);
      result.error = path + ": not an agora-shim status file (larger than 64 KiB)";
      return result;
    }
  }
  close(fd);
  if (ParseShimStatus(text, path, &result.status, &result.error)) {
    result.outcome = ShimStatusRead::kOk;
  }
  return result;
}

std::string DescribeShimStatus(const ShimStatus& status) {
  switch (status.state) {
    case ShimState::kStarted:
      return "started";
    case ShimState::kExited:
      return "exited " + std::to_string(status.code);
    case ShimState::kSignaled:
      return "signaled " + std::to_string(status.code);
    case ShimState::kError:
      return "error: " + status.message;
  }
  return "unknown";
}

}  // namespace agora::shim
