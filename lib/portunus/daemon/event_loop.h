#pragma once
// A single-threaded epoll loop with one-shot timers and signals delivered through a
// signalfd, so every handler runs on the loop thread and nothing needs a lock.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "portunus/base/error.h"

namespace portunus::daemon {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdHandler = std::function<void(uint32_t epoll_events)>;
  using TimerId = uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool ok() const { return epfd_ >= 0; }

  // `events` are EPOLLIN/EPOLLOUT...; the handler may remove its own fd.
  Result<void> add_fd(int fd, uint32_t events, FdHandler handler);
  Result<void> modify_fd(int fd, uint32_t events);
  void remove_fd(int fd);

  TimerId add_timer(Clock::time_point when, std::function<void()> cb);
  void cancel_timer(TimerId id);
  size_t timer_count() const { return timers_.size(); }

  // Blocks the signals for the process and delivers them through a signalfd.
  Result<void> watch_signals(const std::vector<int>& signals, std::function<void(int)> handler);

  // Runs until stop(); returns after the current iteration.
  void run();
  // One iteration: waits at most `max_wait` (or until the next timer), dispatches.
  void run_once(std::chrono::milliseconds max_wait);
  void stop() { running_ = false; }

 private:
  void fire_due_timers();

  int epfd_ = -1;
  int sigfd_ = -1;
  bool running_ = false;
  // Handlers are shared_ptr so that a handler removing its fd does not destroy itself mid-call.
  std::unordered_map<int, std::shared_ptr<FdHandler>> fds_;
  std::multimap<Clock::time_point, std::pair<TimerId, std::function<void()>>> timers_;
  std::unordered_map<TimerId, decltype(timers_)::iterator> timer_index_;
  TimerId next_timer_ = 1;
};

}  // namespace portunus::daemon
