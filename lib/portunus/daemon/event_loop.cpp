#include "portunus/daemon/event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace portunus::daemon {

EventLoop::EventLoop() { epfd_ = epoll_create1(EPOLL_CLOEXEC); }

EventLoop::~EventLoop() {
  if (sigfd_ >= 0) close(sigfd_);
  if (epfd_ >= 0) close(epfd_);
}

Result<void> EventLoop::add_fd(int fd, uint32_t events, FdHandler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    return make_error(std::string("epoll_ctl add: ") + std::strerror(errno));
  fds_[fd] = std::make_shared<FdHandler>(std::move(handler));
  return {};
}

Result<void> EventLoop::modify_fd(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0)
    return make_error(std::string("epoll_ctl mod: ") + std::strerror(errno));
  return {};
}

void EventLoop::remove_fd(int fd) {
  if (fds_.erase(fd) != 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::add_timer(Clock::time_point when, std::function<void()> cb) {
  TimerId id = next_timer_++;
  auto it = timers_.emplace(when, std::make_pair(id, std::move(cb)));
  timer_index_[id] = it;
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  timers_.erase(it->second);
  timer_index_.erase(it);
}

Result<void> EventLoop::watch_signals(const std::vector<int>& signals, std::function<void(int)> handler) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    return make_error(std::string("sigprocmask: ") + std::strerror(errno));
  sigfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd_ < 0) return make_error(std::string("signalfd: ") + std::strerror(errno));
  int fd = sigfd_;
  return add_fd(fd, EPOLLIN, [fd, handler = std::move(handler)](uint32_t) {
    signalfd_siginfo info{};
    while (read(fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info)))
      handler(static_cast<int>(info.ssi_signo));
  });
}

void EventLoop::fire_due_timers() {
  auto now = Clock::now();
  // Collect first: a callback may add or cancel timers.
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.mapped().first);
    node.mapped().second();
  }
}

void EventLoop::run_once(std::chrono::milliseconds max_wait) {
  auto wait = max_wait;
  if (!timers_.empty()) {
    auto until =
        std::chrono::duration_cast<std::chrono::milliseconds>(timers_.begin()->first - Clock::now()) +
        std::chrono::milliseconds(1);
    wait = std::clamp(until, std::chrono::milliseconds(0), max_wait);
  }
  std::array<epoll_event, 32> events{};
  int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), static_cast<int>(wait.count()));
  for (int i = 0; i < n; ++i) {
    auto it = fds_.find(events[i].data.fd);
    if (it == fds_.end()) continue;
    auto handler = it->second;  // keeps it alive if the handler removes its fd
    (*handler)(events[i].events);
  }
  fire_due_timers();
}

void EventLoop::run() {
  running_ = true;
  while (running_) run_once(std::chrono::milliseconds(1000));
}

}  // namespace portunus::daemon
