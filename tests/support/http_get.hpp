// HttpGet: a minimal blocking HTTP/1.1 GET for tests of the daemons' HTTP
// endpoints (/health, /metrics, /state).
#ifndef AGORA_TESTS_SUPPORT_HTTP_GET_HPP_
#define AGORA_TESTS_SUPPORT_HTTP_GET_HPP_

#include <string>

namespace agora::testing {

// The whole response (status line, headers and body) from 127.0.0.1:port,
// or an empty string if the connection fails; what arrived if the server
// stops answering for 2 s.
std::string HttpGet(int port, const std::string& path);

// The value of the Prometheus sample whose line starts with `series` (e.g.
// `agora_master_messages_received_total{kind="agent_heartbeat"}`), or 0.
double MetricValue(const std::string& metrics_text, const std::string& series);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_HTTP_GET_HPP_
