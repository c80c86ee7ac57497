// `agora watch`: the master's Watch stream, one line per event (or one JSON
// object per line) flushed as it arrives, until the stream ends or Ctrl-C
// (SIGINT's default action ends the process).
#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "cli/output.hpp"
#include "cli/show_views.hpp"

namespace agora::cli {

int RunWatchCommand(const CliOptions& options) {
  // No deadline on the stream; the leader lookup still times out.
  OperatorClient client(options.master);
  v1::WatchRequest request;
  for (v1::WatchEvent::Type type : options.watch_types) request.add_types(type);
  const bool show_heartbeats = std::find(options.watch_types.begin(), options.watch_types.end(),
                                         v1::WatchEvent::HEARTBEAT) != options.watch_types.end();
  int printed = kExitOk;
  absl::Status status = client.Watch(request, [&](const v1::WatchEvent& event) {
    if (options.json) {
      printed = PrintJson(event, /*one_line=*/true);
      return printed == kExitOk;
    }
    if (event.type() == v1::WatchEvent::HEARTBEAT && !show_heartbeats) return true;
    std::cout << WatchLine(event) << std::endl;
    return true;
  });
  if (printed != kExitOk) return printed;
  if (!status.ok()) return ReportCallError(client, "Watch", status);
  std::cerr << "agora: the master at " << client.master() << " ended the event stream" << std::endl;
  return kExitFailure;
}

}  // namespace agora::cli
