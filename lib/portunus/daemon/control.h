#pragma once
// The control socket (docs/control-protocol.md): a Unix stream socket, mode 0600, that only
// root may use (SO_PEERCRED checked too, in case the mode is loosened). One request per
// connection: a JSON object on one line, answered by one JSON object on one line.
//
//   request:  {"command": "status", "args": {...}}
//   response: {"ok": true, "result": ...}  or  {"ok": false, "error": "text", "code": "..."}
#include <functional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "portunus/base/error.h"
#include "portunus/daemon/event_loop.h"
#include "portunus/daemon/sockets.h"

namespace portunus::daemon {

inline constexpr const char* kDefaultControlSocket = "/run/portunusd.ctl";
inline constexpr size_t kMaxControlRequest = 1 << 20;

// Error codes of the protocol (stable; portunusctl maps them to exit codes).
namespace ctl_code {
inline constexpr const char* kBadRequest = "bad-request";
inline constexpr const char* kUnknownCommand = "unknown-command";
inline constexpr const char* kNotFound = "not-found";  // unknown connection, SA, ...
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kDenied = "denied";
}  // namespace ctl_code

nlohmann::json ctl_ok(nlohmann::json result);
nlohmann::json ctl_error(const std::string& code, const std::string& message);

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const std::string& command, const nlohmann::json& args)>;
  ControlServer(EventLoop& loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}
  ~ControlServer();
  Result<void> listen(const std::string& path);
  const std::string& path() const { return path_; }

 private:
  struct Client {
    Fd fd;
    std::string buffer;
  };
  void on_accept();
  void on_readable(int fd);
  void finish(int fd, const nlohmann::json& response);

  EventLoop& loop_;
  Handler handler_;
  Fd listen_fd_;
  std::string path_;
  std::unordered_map<int, Client> clients_;
};

// Client side (portunusctl): connects, sends, reads the one-line answer.
Result<nlohmann::json> control_request(const std::string& path, const std::string& command,
                                       const nlohmann::json& args, int timeout_ms = 30000);

}  // namespace portunus::daemon
