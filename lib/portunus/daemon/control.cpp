#include "portunus/daemon/control.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "portunus/daemon/log.h"

namespace portunus::daemon {

nlohmann::json ctl_ok(nlohmann::json result) { return {{"ok", true}, {"result", std::move(result)}}; }

nlohmann::json ctl_error(const std::string& code, const std::string& message) {
  return {{"ok", false}, {"code", code}, {"error", message}};
}

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path)) return make_error(fmt::format("socket path too long: {}", path));
  std::memcpy(sa.sun_path, path.data(), path.size());
  return sa;
}

// Writes everything, waiting for the peer at most `timeout_ms` in total per poll.
bool write_all(int fd, const std::string& data, int timeout_ms) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
  }
  return true;
}

}  // namespace

ControlServer::~ControlServer() {
  for (auto& [fd, c] : clients_) loop_.remove_fd(fd);
  if (listen_fd_.valid()) {
    loop_.remove_fd(listen_fd_.get());
    ::unlink(path_.c_str());
  }
}

Result<void> ControlServer::listen(const std::string& path) {
  auto sa = unix_address(path);
  if (!sa) return make_error(sa.error().message);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(fmt::format("control socket: {}", std::strerror(errno)));
  // A stale socket from a daemon that died: remove it, but never steal a live one.
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof(*sa)) == 0)
    return make_error(fmt::format("another portunusd is listening on {}", path));
  ::unlink(path.c_str());
  mode_t old = ::umask(0077);  // root-only from the first moment, not after a chmod
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof(*sa));
  ::umask(old);
  if (rc != 0) return make_error(fmt::format("bind {}: {}", path, std::strerror(errno)));
  ::chmod(path.c_str(), 0600);
  if (::listen(fd.get(), 16) != 0)
    return make_error(fmt::format("listen {}: {}", path, std::strerror(errno)));
  listen_fd_ = std::move(fd);
  path_ = path;
  return loop_.add_fd(listen_fd_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

void ControlServer::on_accept() {
  for (;;) {
    int cfd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    Fd owned(cfd);
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
      log(Subsys::Ctl, Level::Warn, "refused control connection from uid {}", cred.uid);
      std::string line = ctl_error(ctl_code::kDenied, "the control socket is for root only").dump() + "\n";
      write_all(cfd, line, 100);
      continue;
    }
    if (!loop_.add_fd(cfd, EPOLLIN, [this, cfd](uint32_t) { on_readable(cfd); })) continue;
    clients_[cfd] = Client{std::move(owned), {}};
  }
}

void ControlServer::on_readable(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      loop_.remove_fd(fd);
      clients_.erase(it);
      return;
    }
    if (n < 0) return;  // wait for the rest of the line
    it->second.buffer.append(buf, static_cast<size_t>(n));
    if (it->second.buffer.size() > kMaxControlRequest) {
      finish(fd, ctl_error(ctl_code::kBadRequest, "request too large"));
      return;
    }
    size_t nl = it->second.buffer.find('\n');
    if (nl == std::string::npos) continue;
    nlohmann::json response;
    auto request = nlohmann::json::parse(it->second.buffer.substr(0, nl), nullptr, false);
    if (request.is_discarded() || !request.is_object() || !request.contains("command") ||
        !request["command"].is_string()) {
      response = ctl_error(ctl_code::kBadRequest, "expected one JSON object with a \"command\" string");
    } else {
      nlohmann::json args = request.value("args", nlohmann::json::object());
      if (!args.is_object()) args = nlohmann::json::object();
      std::string command = request["command"].get<std::string>();
      log(Subsys::Ctl, Level::Info, "request '{}'", command);
      try {
        response = handler_(command, args);
      } catch (const std::exception& e) {
        // nlohmann throws on a wrongly typed argument: that is the client's mistake.
        response = ctl_error(ctl_code::kBadRequest, e.what());
      }
    }
    finish(fd, response);
    return;
  }
}

void ControlServer::finish(int fd, const nlohmann::json& response) {
  write_all(fd, response.dump() + "\n", 2000);
  loop_.remove_fd(fd);
  clients_.erase(fd);
}

Result<nlohmann::json> control_request(const std::string& path, const std::string& command,
                                       const nlohmann::json& args, int timeout_ms) {
  auto sa = unix_address(path);
  if (!sa) return make_error(sa.error().message);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(fmt::format("socket: {}", std::strerror(errno)));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof(*sa)) != 0)
    return make_error(fmt::format("cannot connect to {}: {}", path, std::strerror(errno)));
  nlohmann::json req = {{"command", command}, {"args", args}};
  if (!write_all(fd.get(), req.dump() + "\n", timeout_ms)) return make_error("sending the request failed");
  std::string answer;
  char buf[65536];
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return make_error("the daemon did not answer in time");
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.find('\n') != std::string::npos) break;
  }
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("the daemon sent an unreadable answer");
  return j;
}

}  // namespace portunus::daemon
