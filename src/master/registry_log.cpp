#include "master/registry_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora::master {
namespace {

constexpr size_t kHeaderBytes = 12;  // Length, payload CRC, header CRC.

// What to do about a registry that does not check out.
constexpr absl::string_view kRemedy =
    "; the master will not start on a registry that may have lost committed changes: restore "
    "<work_dir>/registry from a backup, or move it aside to start with an empty registry (every "
    "agent and framework then registers anew)";

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    table[i] = crc;
  }
  return table;
}

void PutFixed32(uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint32_t GetFixed32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return value;
}

bool AllZero(absl::string_view data) {
  for (char c : data) {
    if (c != 0) return false;
  }
  return true;
}

// The whole file; NOT_FOUND if it does not exist.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return absl::NotFoundError(path);
    return ErrnoError("open", path);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return ErrnoError("read", path);
  return buffer.str();
}

absl::Status Corrupt(const std::string& path, size_t offset, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("registry log ", path, " is corrupt at byte ", offset, ": ", what, kRemedy));
}

}  // namespace

uint32_t Crc32c(absl::string_view data) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : data) crc = table[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

void AppendLogRecord(const internal::RegistryLogRecord& record, std::string* out) {
  const size_t start = out->size();
  out->resize(start + kHeaderBytes);
  record.AppendToString(out);
  char* header = out->data() + start;
  absl::string_view payload(out->data() + start + kHeaderBytes, out->size() - start - kHeaderBytes);
  PutFixed32(static_cast<uint32_t>(payload.size()), header);
  PutFixed32(Crc32c(payload), header + 4);
  PutFixed32(Crc32c(absl::string_view(header, 8)), header + 8);
}

absl::StatusOr<RegistryLog> ParseRegistryLog(const std::string& path, absl::string_view data) {
  RegistryLog log;
  size_t offset = 0;
  while (offset < data.size()) {
    absl::string_view rest = data.substr(offset);
    // A crash during the last append leaves it cut short, or zeros.
    if (rest.size() < kHeaderBytes || AllZero(rest)) {
      log.torn_tail = true;
      break;
    }
    const char* header = rest.data();
    if (GetFixed32(header + 8) != Crc32c(rest.substr(0, 8))) {
      return Corrupt(path, offset, "bad record header checksum");
    }
    const size_t length = GetFixed32(header);
    if (length > rest.size() - kHeaderBytes) {
      log.torn_tail = true;  // Cut short.
      break;
    }
    absl::string_view payload = rest.substr(kHeaderBytes, length);
    const bool last = kHeaderBytes + length == rest.size();
    if (GetFixed32(header + 4) != Crc32c(payload)) {
      if (last) {
        log.torn_tail = true;  // Its blocks were not all written.
        break;
      }
      return Corrupt(path, offset, "bad record checksum, with more records after it");
    }
    internal::RegistryLogRecord record;
    if (!record.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      return Corrupt(path, offset, "the record is not a RegistryLogRecord");
    }
    if (!log.records.empty() && record.sequence() != log.records.back().sequence() + 1) {
      return Corrupt(
          path, offset,
          absl::StrCat("sequence ", record.sequence(), " follows ", log.records.back().sequence()));
    }
    log.records.push_back(std::move(record));
    log.offsets.push_back(offset);
    offset += kHeaderBytes + length;
  }
  log.valid_bytes = offset;
  return log;
}

std::string SnapshotPath(const std::string& dir) { return dir + "/snapshot.pb"; }
std::string LogPath(const std::string& dir) { return dir + "/log"; }
std::string LegacyRegistryPath(const std::string& dir) { return dir + "/registry.pb"; }

absl::StatusOr<LoadedRegistry> LoadRegistryDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", dir, ": ", ec.message()));
  LoadedRegistry loaded;
  internal::Registry base;
  auto snapshot = ReadWholeFile(SnapshotPath(dir));
  if (snapshot.ok()) {
    internal::RegistrySnapshot parsed;
    if (!parsed.ParseFromString(*snapshot)) {
      return absl::DataLossError(
          absl::StrCat("registry snapshot ", SnapshotPath(dir), " is corrupt", kRemedy));
    }
    loaded.sequence = parsed.sequence();
    base = std::move(*parsed.mutable_registry());
    loaded.snapshot_bytes = snapshot->size();
  } else if (absl::IsNotFound(snapshot.status())) {
    auto legacy = ReadWholeFile(LegacyRegistryPath(dir));
    if (legacy.ok()) {
      if (!base.ParseFromString(*legacy)) {
        return absl::DataLossError(
            absl::StrCat("registry file ", LegacyRegistryPath(dir), " is corrupt", kRemedy));
      }
      LOG(INFO) << "Loading " << LegacyRegistryPath(dir)
                << " (written before the registry log) as the snapshot";
      loaded.legacy = true;
      loaded.snapshot_bytes = legacy->size();
    } else if (!absl::IsNotFound(legacy.status())) {
      return legacy.status();
    }
  } else {
    return snapshot.status();
  }
  loaded.state = IndexedRegistry(std::move(base));

  const std::string path = LogPath(dir);
  auto data = ReadWholeFile(path);
  if (absl::IsNotFound(data.status())) return loaded;
  if (!data.ok()) return data.status();
  auto log = ParseRegistryLog(path, *data);
  if (!log.ok()) return log.status();
  for (size_t i = 0; i < log->records.size(); ++i) {
    const internal::RegistryLogRecord& record = log->records[i];
    if (record.sequence() <= loaded.sequence) continue;  // In the snapshot already.
    if (record.sequence() != loaded.sequence + 1) {
      return Corrupt(path, log->offsets[i],
                     absl::StrCat("sequence ", record.sequence(), " follows ", loaded.sequence,
                                  " (of the snapshot or the record before)"));
    }
    for (const auto& op : record.operations()) loaded.state.Apply(op);
    loaded.sequence = record.sequence();
  }
  if (log->torn_tail) {
    LOG(WARNING) << "Registry log " << path << ": dropping a torn last record at byte "
                 << log->valid_bytes << " (" << data->size() - log->valid_bytes
                 << " bytes; a crash during its write, so it was never acknowledged)";
    if (::truncate(path.c_str(), static_cast<off_t>(log->valid_bytes)) != 0) {
      return ErrnoError("truncate", path);
    }
  }
  loaded.log_bytes = log->valid_bytes;
  loaded.log_records = log->records.size();
  return loaded;
}

RegistryLogWriter::RegistryLogWriter(std::string dir, LoadedRegistry loaded, Options options)
    : dir_(std::move(dir)),
      path_(LogPath(dir_)),
      options_(options),
      replica_(std::move(loaded.state)),
      sequence_(loaded.sequence),
      snapshot_bytes_(loaded.snapshot_bytes),
      log_records_(loaded.log_records),
      good_bytes_(loaded.log_bytes),
      legacy_(loaded.legacy) {}

RegistryLogWriter::~RegistryLogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status RegistryLogWriter::OpenLog() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("open", path_);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoError("fstat", path_);
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  // A torn tail was cut at recovery; anything past good_bytes_ is not ours.
  cut_back_ = static_cast<uint64_t>(st.st_size) != good_bytes_;
  // The name must be durable before a record in it counts as such.
  stats_.fsyncs++;
  return FsyncDir(dir_);
}

absl::Status RegistryLogWriter::Append(const std::vector<internal::Operation>& operations) {
  if (fd_ < 0) {
    if (auto status = OpenLog(); !status.ok()) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return status;
    }
  } else {
    // Writes into a log that was moved or removed would be acknowledged and
    // then missing at the next start.
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) return ErrnoError("stat", path_);
    if (st.st_dev != dev_ || st.st_ino != ino_) {
      return absl::InternalError(
          absl::StrCat("registry log ", path_, " was replaced while the master ran"));
    }
  }
  if (cut_back_) {
    if (::ftruncate(fd_, static_cast<off_t>(good_bytes_)) != 0) {
      return ErrnoError("ftruncate", path_);
    }
    cut_back_ = false;
  }
  internal::RegistryLogRecord record;
  record.set_sequence(sequence_ + 1);
  for (const auto& op : operations) *record.add_operations() = op;
  std::string data;
  AppendLogRecord(record, &data);
  if (auto status = PwriteAll(fd_, data, good_bytes_, path_); !status.ok()) {
    cut_back_ = true;
    return status;
  }
  stats_.bytes += data.size();
  stats_.fsyncs++;
  if (::fdatasync(fd_) != 0) {
    cut_back_ = true;
    return ErrnoError("fdatasync", path_);
  }
  good_bytes_ += data.size();
  sequence_++;
  log_records_++;
  for (const auto& op : operations) replica_.Apply(op);
  stats_.batches++;
  stats_.operations += operations.size();
  return absl::OkStatus();
}

bool RegistryLogWriter::CompactionDue() const {
  return log_records_ >= options_.compact_min_records &&
         static_cast<double>(good_bytes_) >=
             options_.compact_ratio * static_cast<double>(snapshot_bytes_);
}

absl::Status RegistryLogWriter::Compact() {
  internal::RegistrySnapshot snapshot;
  snapshot.set_sequence(sequence_);
  *snapshot.mutable_registry() = replica_.registry();
  const std::string bytes = snapshot.SerializeAsString();
  stats_.bytes += bytes.size();
  stats_.fsyncs += 2;  // The file and the directory.
  if (auto status = AtomicWriteFile(SnapshotPath(dir_), bytes); !status.ok()) return status;
  snapshot_bytes_ = bytes.size();
  stats_.compactions++;
  if (legacy_) {
    // snapshot.pb wins over registry.pb from now on, durable or not.
    if (::unlink(LegacyRegistryPath(dir_).c_str()) != 0 && errno != ENOENT) {
      LOG(WARNING) << "Cannot delete " << LegacyRegistryPath(dir_) << ": " << std::strerror(errno);
    }
    legacy_ = false;
  }
  // A crash before this leaves records the snapshot holds: skipped by
  // sequence at recovery.
  if (::ftruncate(fd_, 0) != 0) return ErrnoError("ftruncate", path_);
  stats_.fsyncs++;
  if (::fdatasync(fd_) != 0) {
    cut_back_ = true;  // Cut to 0 before the next append.
    good_bytes_ = 0;
    return ErrnoError("fdatasync", path_);
  }
  good_bytes_ = 0;
  log_records_ = 0;
  VLOG(1) << "Registry compacted: snapshot of sequence " << sequence_ << ", " << bytes.size()
          << " bytes";
  return absl::OkStatus();
}

}  // namespace agora::master
