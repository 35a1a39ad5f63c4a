#include "portunus/daemon/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace portunus::daemon {

namespace {
constexpr std::array<std::string_view, static_cast<size_t>(Subsys::Count)> kNames = {
    "dmn", "ike", "cfg", "net", "esp", "knl", "ctl"};
constexpr std::array<std::string_view, 4> kLevelNames = {"ERR", "WRN", "INF", "DBG"};
}  // namespace

std::string_view subsys_name(Subsys s) { return kNames[static_cast<size_t>(s)]; }

std::optional<Subsys> parse_subsys(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Subsys>(i);
  return std::nullopt;
}

std::optional<Level> parse_level(std::string_view name) {
  if (name == "-1" || name == "silent") return Level::Silent;
  if (name == "0" || name == "error") return Level::Error;
  if (name == "1" || name == "warn") return Level::Warn;
  if (name == "2" || name == "info") return Level::Info;
  if (name == "3" || name == "4" || name == "debug") return Level::Debug;
  return std::nullopt;
}

bool Logger::configure(std::string_view spec, std::string* error) {
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      if (error) *error = fmt::format("log item '{}' is not subsystem=level", item);
      return false;
    }
    std::string_view key = item.substr(0, eq);
    auto level = parse_level(item.substr(eq + 1));
    if (!level) {
      if (error)
        *error = fmt::format("unknown log level in '{}' (use -1..3 or silent/error/warn/info/debug)", item);
      return false;
    }
    if (key == "default" || key == "all") {
      set_all(*level);
    } else if (auto s = parse_subsys(key)) {
      set_level(*s, *level);
    } else {
      if (error)
        *error = fmt::format("unknown log subsystem '{}' (dmn ike cfg net esp knl ctl default)", key);
      return false;
    }
  }
  return true;
}

void Logger::write(Subsys s, Level l, std::string_view line) const {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  localtime_r(&tv.tv_sec, &t);
  auto lvl = kLevelNames[static_cast<size_t>(std::max<int>(0, static_cast<int>(l)))];
  // One write per line so concurrent writers (tests capture several daemons) never interleave.
  std::string out = fmt::format("{:02}:{:02}:{:02}.{:03} [{}] {} {}\n", t.tm_hour, t.tm_min, t.tm_sec,
                                tv.tv_usec / 1000, subsys_name(s), lvl, line);
  ssize_t ignored = ::write(STDERR_FILENO, out.data(), out.size());
  (void)ignored;
}

Logger& logger() {
  static Logger instance;
  return instance;
}

}  // namespace portunus::daemon
