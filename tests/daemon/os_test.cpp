// The daemon's OS pieces that can be exercised without privileges: event loop, timers,
// signals, logger, UDP sockets on loopback, and the control protocol over a Unix socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "portunus/daemon/control.h"
#include "portunus/daemon/event_loop.h"
#include "portunus/daemon/log.h"
#include "portunus/daemon/sockets.h"

namespace portunus::daemon {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, TimersFireInOrderAndCancelWorks) {
  EventLoop loop;
  std::vector<int> fired;
  auto now = EventLoop::Clock::now();
  loop.add_timer(now + 20ms, [&] { fired.push_back(2); });
  loop.add_timer(now + 5ms, [&] { fired.push_back(1); });
  auto cancelled = loop.add_timer(now + 10ms, [&] { fired.push_back(99); });
  loop.cancel_timer(cancelled);
  loop.add_timer(now + 30ms, [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_EQ(loop.timer_count(), 0u);
}

TEST(EventLoop, FdHandlerRunsAndMayRemoveItself) {
  EventLoop loop;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  int calls = 0;
  ASSERT_TRUE(loop.add_fd(p[0], EPOLLIN, [&](uint32_t) {
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 1);
    ++calls;
    loop.remove_fd(p[0]);
  }));
  ASSERT_EQ(write(p[1], "x", 1), 1);
  ASSERT_EQ(write(p[1], "y", 1), 1);
  loop.run_once(100ms);
  loop.run_once(20ms);
  EXPECT_EQ(calls, 1);  // removed after the first byte
  close(p[0]);
  close(p[1]);
}

TEST(EventLoop, SignalsArriveAsEvents) {
  EventLoop loop;
  int got = 0;
  ASSERT_TRUE(loop.watch_signals({SIGUSR1}, [&](int s) { got = s; }));
  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  loop.run_once(100ms);
  EXPECT_EQ(got, SIGUSR1);
}

TEST(Logger, ParsesLevelsAndRejectsUnknownNames) {
  Logger l;
  std::string err;
  EXPECT_TRUE(l.configure("default=1,ike=3", &err));
  EXPECT_TRUE(l.enabled(Subsys::Ike, Level::Debug));
  EXPECT_FALSE(l.enabled(Subsys::Net, Level::Info));
  EXPECT_TRUE(l.enabled(Subsys::Net, Level::Warn));
  EXPECT_FALSE(l.configure("foo=1", &err));
  EXPECT_NE(err.find("foo"), std::string::npos);
  EXPECT_FALSE(l.configure("ike=loud", &err));
  EXPECT_FALSE(l.configure("ike", &err));
}

TEST(UdpSocket, PktinfoReportsTheLocalAddressAndReplyComesFromIt) {
  auto a = UdpSocket::open(IpFamily::V4, 0, 0);
  ASSERT_TRUE(a) << a.error().message;
  // Port 0 binds an ephemeral port; learn it from the kernel to send to it.
  sockaddr_in sin{};  // NOLINT
  socklen_t len = sizeof(sin);
  ASSERT_EQ(getsockname(a->fd(), reinterpret_cast<sockaddr*>(&sin), &len), 0);
  uint16_t port = ntohs(sin.sin_port);
  auto b = UdpSocket::open(IpFamily::V4, 0, 0);
  ASSERT_TRUE(b);
  SockAddr to{*IpAddress::parse("127.0.0.1"), port};
  const uint8_t marker[4] = {0, 0, 0, 0};
  const uint8_t body[3] = {1, 2, 3};
  ASSERT_TRUE(b->send(SockAddr{*IpAddress::parse("127.0.0.1"), 0}, to, marker, body));
  uint8_t buf[64];
  std::optional<Received> r;
  for (int i = 0; i < 100 && !r; ++i) {
    r = a->receive(buf);
    if (!r) std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->length, 7u);  // marker and body gathered into one datagram
  EXPECT_EQ(r->local.addr, *IpAddress::parse("127.0.0.1"));
  EXPECT_EQ(r->remote.addr, *IpAddress::parse("127.0.0.1"));
  EXPECT_EQ(buf[4], 1);
  EXPECT_EQ(buf[6], 3);
}

TEST(Control, RequestResponseRoundTrip) {
  if (getuid() != 0) GTEST_SKIP() << "the control socket serves root only";
  std::string path = "/tmp/portunus-ctl-test-" + std::to_string(getpid());
  EventLoop loop;
  ControlServer server(loop, [](const std::string& cmd, const nlohmann::json& args) {
    if (cmd == "echo") return ctl_ok(args);
    return ctl_error(ctl_code::kUnknownCommand, "no such command: " + cmd);
  });
  ASSERT_TRUE(server.listen(path));
  // A second server on the same live socket must refuse rather than steal it.
  ControlServer second(loop, [](const std::string&, const nlohmann::json&) { return ctl_ok(nullptr); });
  EXPECT_FALSE(second.listen(path));
  std::atomic<bool> done{false};
  std::thread client([&] {
    auto r = control_request(path, "echo", {{"x", 7}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE((*r)["ok"].get<bool>());
    EXPECT_EQ((*r)["result"]["x"], 7);
    auto u = control_request(path, "nope", nlohmann::json::object());
    ASSERT_TRUE(u);
    EXPECT_FALSE((*u)["ok"].get<bool>());
    EXPECT_EQ((*u)["code"], "unknown-command");
    done = true;
  });
  for (int i = 0; i < 200 && !done; ++i) loop.run_once(10ms);
  client.join();
  EXPECT_TRUE(done);
}

TEST(Control, ClientReportsMissingDaemon) {
  auto r = control_request("/tmp/portunus-no-such-socket", "status", nlohmann::json::object());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos);
}

}  // namespace
}  // namespace portunus::daemon
