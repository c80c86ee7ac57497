#include "common/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxRequestBytes = 64 * 1024;

// One connection: read a request, write the response, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::map<std::string, HttpServer::Handler>* routes)
      : stream_(std::move(socket)), routes_(routes) {}

  void Run() {
    parser_.body_limit(kMaxRequestBytes);
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return;  // Client went away or sent garbage: just close.
    const auto& request = parser_.get();
    HttpResponse result;
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      result = HttpResponse{405, "text/plain; charset=utf-8", "only GET is supported\n"};
    } else {
      std::string target(request.target());
      target = target.substr(0, target.find('?'));
      auto route = routes_->find(target);
      if (route == routes_->end()) {
        result = HttpResponse{404, "text/plain; charset=utf-8",
                              absl::StrCat("no such path: ", target, "\n")};
      } else {
        result = route->second();
      }
    }
    response_.result(static_cast<http::status>(result.status));
    response_.version(request.version());
    response_.set(http::field::content_type, result.content_type);
    response_.set(http::field::connection, "close");
    if (request.method() != http::verb::head) response_.body() = std::move(result.body);
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
  const std::map<std::string, HttpServer::Handler>* routes_;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  tcp protocol = tcp::v4();
  std::map<std::string, Handler> routes;
  std::thread thread;
  int port = 0;
  bool stopped = false;

  // Waits for the listening socket to become readable, then accepts with
  // accept4(SOCK_CLOEXEC): a connection's descriptor is close-on-exec from
  // its first instant, so a process the daemon spawns meanwhile (an executor,
  // a task) never inherits it.
  void Accept() {
    acceptor.async_wait(tcp::acceptor::wait_read, [this](beast::error_code ec) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        LOG(WARNING) << "HTTP accept failed: " << ec.message();
        Accept();
        return;
      }
      while (true) {
        int fd =
            ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK) {
            LOG(WARNING) << "HTTP accept failed: " << std::strerror(errno);
          }
          break;
        }
        tcp::socket socket(io);
        beast::error_code assign_ec;
        socket.assign(protocol, fd, assign_ec);
        if (assign_ec) {
          ::close(fd);
          continue;
        }
        std::make_shared<Session>(std::move(socket), &routes)->Run();
      }
      Accept();
    });
  }
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& ip, int port, std::map<std::string, Handler> routes) {
  auto impl = std::make_unique<Impl>();
  impl->routes = std::move(routes);
  beast::error_code ec;
  auto address = asio::ip::make_address(ip, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("ip: not an address: ", ip));
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  // Opened close-on-exec (Asio's open() is not): children never hold the
  // port after this daemon restarts.
  const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", ip, ":", port,
                                               ": socket: ", std::strerror(errno)));
  }
  impl->protocol = endpoint.protocol();
  impl->acceptor.assign(endpoint.protocol(), fd, ec);
  if (ec) ::close(fd);
  if (!ec) impl->acceptor.native_non_blocking(true, ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", ip, ":", port, ": ", ec.message()));
  }
  const tcp::endpoint bound = impl->acceptor.local_endpoint(ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", ip, ":", port, ": ", ec.message()));
  }
  impl->port = bound.port();
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace agora
