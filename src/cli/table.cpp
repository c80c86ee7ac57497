#include "cli/table.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/task_state.hpp"

namespace agora::cli {
namespace {

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

constexpr size_t kMinColumn = 5;
constexpr char kBold[] = "\033[1m";
constexpr char kReset[] = "\033[0m";

// Column widths that fit `limit` (0: natural widths).
std::vector<size_t> ColumnWidths(const Table& table, size_t limit) {
  std::vector<size_t> widths(table.headers.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i >= widths.size()) widths.resize(i + 1, 0);
      widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
    }
  };
  measure(table.headers);
  for (const auto& row : table.rows) measure(row);
  if (limit == 0 || widths.empty()) return widths;
  std::vector<size_t> floors;
  for (size_t w : widths) floors.push_back(std::min(w, kMinColumn));
  size_t total = 2 * (widths.size() - 1);
  for (size_t w : widths) total += w;
  // Shrink the widest column (the rightmost of equals) one step at a time.
  while (total > limit) {
    size_t widest = widths.size();
    for (size_t i = 0; i < widths.size(); ++i) {
      if (widths[i] > floors[i] && (widest == widths.size() || widths[i] >= widths[widest])) {
        widest = i;
      }
    }
    if (widest == widths.size()) break;
    --widths[widest];
    --total;
  }
  return widths;
}

}  // namespace

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Elide(const std::string& text, size_t width) {
  if (DisplayWidth(text) <= width) return text;
  if (width == 0) return "";
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if ((c & 0xC0) != 0x80 && ++chars == width) break;
    out += text[i];
  }
  return out + "\u2026";
}

const char* StatusColour(const std::string& word) {
  static const char* kGreen[] = {"RUNNING", "FINISHED", "ACTIVE"};
  static const char* kRed[] = {"FAILED",           "LOST",        "ERROR",  "GONE",
                               "GONE_BY_OPERATOR", "UNREACHABLE", "DROPPED"};
  static const char* kYellow[] = {"STAGING", "STARTING",    "KILLING",      "KILLED",    "DRAINING",
                                  "DRAINED", "DEACTIVATED", "DISCONNECTED", "RECOVERING"};
  for (const char* w : kGreen) {
    if (word == w) return "\033[32m";
  }
  for (const char* w : kRed) {
    if (word == w) return "\033[31m";
  }
  for (const char* w : kYellow) {
    if (word == w) return "\033[33m";
  }
  return "";
}

std::string FormatTable(const Table& table, const TableStyle& style) {
  const std::vector<size_t> widths = ColumnWidths(table, style.width);
  // Columns at their floor may still be too wide: cut the line there.
  const size_t limit = style.width > 0 ? style.width : std::numeric_limits<size_t>::max();
  auto render = [&](const std::vector<std::string>& cells, bool header) {
    std::string line;
    size_t used = 0;
    size_t pending_spaces = 0;  // Padding is written only before a next cell.
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = Elide(i < cells.size() ? cells[i] : "", widths[i]);
      if (i > 0) pending_spaces += 2;
      if (!cell.empty()) {
        if (used + pending_spaces >= limit) break;
        const std::string shown = Elide(cell, limit - used - pending_spaces);
        line.append(pending_spaces, ' ');
        used += pending_spaces + DisplayWidth(shown);
        pending_spaces = 0;
        const char* colour = "";
        if (style.colour) {
          colour = header ? kBold
                          : (static_cast<int>(i) == table.status_column ? StatusColour(cell) : "");
        }
        absl::StrAppend(&line, colour, shown, *colour ? kReset : "");
        if (shown != cell) break;
      }
      pending_spaces += widths[i] - DisplayWidth(cell);
    }
    return line + "\n";
  };
  std::string out = render(table.headers, true);
  for (const auto& row : table.rows) out += render(row, false);
  return out;
}

std::string FormatScalar(double value) {
  std::string text = absl::StrFormat("%.3f", value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

std::string FormatResources(const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  std::map<std::string, double> scalars;
  std::map<std::string, std::vector<std::string>> others;
  for (const v1::Resource& r : resources) {
    switch (r.type()) {
      case v1::Resource::SCALAR:
        scalars[r.name()] += r.scalar();
        break;
      case v1::Resource::RANGES:
        for (const v1::Range& range : r.ranges().range()) {
          others[r.name()].push_back(absl::StrCat(range.begin(), "-", range.end()));
        }
        break;
      case v1::Resource::SET:
        for (const std::string& item : r.set().item()) others[r.name()].push_back(item);
        break;
      default:
        break;
    }
  }
  std::vector<std::string> parts;
  for (const auto& [name, value] : scalars) {
    parts.push_back(absl::StrCat(name, ":", FormatScalar(value)));
  }
  for (const auto& [name, items] : others) {
    parts.push_back(absl::StrCat(name, ":[", absl::StrJoin(items, ","), "]"));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

std::string FormatUpdateLine(const v1::TaskStatus& status) {
  std::string line = absl::StrFormat("%-20s %-12s %s", status.task_id().value(),
                                     std::string(ShortStateName(status.state())),
                                     OrDash(status.agent_id().value()));
  if (!status.message().empty()) absl::StrAppend(&line, "  ", status.message());
  return line;
}

}  // namespace agora::cli
