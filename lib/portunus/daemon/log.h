#pragma once
// Logging to stderr, one line per event, by subsystem and level (strongSwan's model, so
// people who know charon's logs read ours). Nothing logged here may contain key material:
// callers pass SPIs, names, addresses and counters, never SecureBytes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace portunus::daemon {

enum class Subsys : uint8_t { Dmn, Ike, Cfg, Net, Esp, Knl, Ctl, Count };
// Higher is chattier. Error and Warn always carry a reason; Debug may be per packet.
enum class Level : int8_t { Silent = -1, Error = 0, Warn = 1, Info = 2, Debug = 3 };

std::string_view subsys_name(Subsys s);
std::optional<Subsys> parse_subsys(std::string_view name);
std::optional<Level> parse_level(std::string_view name);

class Logger {
 public:
  Logger() { levels_.fill(Level::Info); }
  void set_level(Subsys s, Level l) { levels_[static_cast<size_t>(s)] = l; }
  void set_all(Level l) { levels_.fill(l); }
  bool enabled(Subsys s, Level l) const { return l <= levels_[static_cast<size_t>(s)]; }
  // Parses "ike=3,net=1,default=2" (as --log); an error names the bad item.
  bool configure(std::string_view spec, std::string* error);
  void write(Subsys s, Level l, std::string_view line) const;

 private:
  std::array<Level, static_cast<size_t>(Subsys::Count)> levels_{};
};

Logger& logger();

template <class... Args>
void log(Subsys s, Level l, fmt::format_string<Args...> f, Args&&... args) {
  if (!logger().enabled(s, l)) return;
  logger().write(s, l, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace portunus::daemon
