#include "agent/health_probes.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

namespace agora::agent {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// The longest status line read before the answer is declared not HTTP.
constexpr size_t kMaxStatusLine = 4096;

// One probe: a socket to 127.0.0.1 and its timeout. Kept alive by the
// handlers in flight; Finish() reports once and closes both.
struct Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(asio::io_context& io, std::string name, ProbeDone done)
      : socket(io), timer(io), name(std::move(name)), done(std::move(done)) {}

  void Finish(bool ok, std::string what) {
    if (finished) return;
    finished = true;
    error_code ignored;
    timer.cancel();
    socket.close(ignored);
    ProbeDone report = std::move(done);
    report(HealthResult{ok, std::move(what)});
  }

  // Connects (and arms the timeout over the whole attempt); `connected`
  // continues the attempt.
  void Connect(uint32_t port, absl::Duration timeout,
               std::function<void(std::shared_ptr<Attempt>)> connected) {
    auto self = shared_from_this();
    timer.expires_after(absl::ToChronoNanoseconds(timeout));
    timer.async_wait([self, timeout](const error_code& ec) {
      if (!ec)
        self->Finish(false,
                     absl::StrCat(self->name, " timed out after ", absl::FormatDuration(timeout)));
    });
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), static_cast<uint16_t>(port));
    socket.async_connect(endpoint, [self, connected = std::move(connected)](const error_code& ec) {
      if (self->finished) return;
      if (ec) {
        self->Finish(false, absl::StrCat(self->name, ": ", ec.message()));
        return;
      }
      connected(self);
    });
  }

  tcp::socket socket;
  asio::steady_timer timer;
  std::string name;
  ProbeDone done;
  bool finished = false;
  std::string request;
  asio::streambuf response{kMaxStatusLine};
};

// The status code of an HTTP status line ("HTTP/1.1 503 Service
// Unavailable"), or -1.
int StatusCodeOf(const std::string& line) {
  if (line.rfind("HTTP/", 0) != 0) return -1;
  size_t space = line.find(' ');
  if (space == std::string::npos || line.size() < space + 4) return -1;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

void ReadStatusLine(const std::shared_ptr<Attempt>& attempt) {
  asio::async_read_until(
      attempt->socket, attempt->response, "\r\n", [attempt](const error_code& ec, size_t) {
        if (attempt->finished) return;
        if (ec) {
          attempt->Finish(false,
                          absl::StrCat(attempt->name, ": no HTTP status line in the answer (",
                                       ec.message(), ")"));
          return;
        }
        std::istream in(&attempt->response);
        std::string line;
        std::getline(in, line);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        int code = StatusCodeOf(line);
        if (code < 0) {
          attempt->Finish(false, absl::StrCat(attempt->name, ": not an HTTP answer: '",
                                              line.substr(0, 80), "'"));
          return;
        }
        attempt->Finish(code >= 200 && code <= 399,
                        absl::StrCat(attempt->name, " answered ", code));
      });
}

}  // namespace

void ProbeTcp(asio::io_context& io, uint32_t port, absl::Duration timeout, ProbeDone done) {
  auto attempt = std::make_shared<Attempt>(io, absl::StrCat("TCP connect to 127.0.0.1:", port),
                                           std::move(done));
  attempt->Connect(port, timeout, [](std::shared_ptr<Attempt> connected) {
    connected->Finish(true, absl::StrCat(connected->name, " succeeded"));
  });
}

void ProbeHttp(asio::io_context& io, const v1::HealthCheck::HTTPCheckInfo& http,
               absl::Duration timeout, ProbeDone done) {
  std::string path = http.path().empty() ? "/" : http.path();
  std::string host = absl::StrCat("127.0.0.1:", http.port());
  auto attempt =
      std::make_shared<Attempt>(io, absl::StrCat("HTTP GET http://", host, path), std::move(done));
  attempt->request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host,
                                  "\r\nUser-Agent: agora-health-check\r\n"
                                  "Connection: close\r\n\r\n");
  attempt->Connect(http.port(), timeout, [](std::shared_ptr<Attempt> connected) {
    asio::async_write(connected->socket, asio::buffer(connected->request),
                      [connected](const error_code& ec, size_t) {
                        if (connected->finished) return;
                        if (ec) {
                          connected->Finish(false,
                                            absl::StrCat(connected->name, ": ", ec.message()));
                          return;
                        }
                        ReadStatusLine(connected);
                      });
  });
}

}  // namespace agora::agent
