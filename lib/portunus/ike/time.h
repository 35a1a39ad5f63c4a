#pragma once
// Time as the sans-IO IKE engine sees it: the caller passes the current Instant into every
// call (the daemon reads a monotonic clock, tests advance a simulated one), so nothing in
// ike/ ever reads a clock itself.
#include <chrono>

namespace portunus::ike {

using Duration = std::chrono::milliseconds;
// Monotonic time; only differences are meaningful. Tests start from Instant{} (zero).
using Instant = std::chrono::time_point<std::chrono::steady_clock, Duration>;

}  // namespace portunus::ike
