// The Portunus-specific connection key minimal_initiator (RFC 7815): parsed, dumped only when
// set, rejected with its location when malformed, and mapped onto the engine.
#include <gtest/gtest.h>

#include "portunus/config/swanctl.h"
#include "portunus/daemon/config_map.h"

namespace portunus::daemon {
namespace {

std::string connection_with(const std::string& line) {
  return "connections {\n  h {\n    local_addrs = 192.0.2.1\n    remote_addrs = 192.0.2.2\n" + line +
         "    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n  }\n}\n";
}

TEST(ConfigMap, MinimalInitiatorKeyMapsOntoTheEngine) {
  const std::pair<const char*, bool> cases[] = {{"yes", true}, {"no", false}, {nullptr, false}};
  for (const auto& [value, expect] : cases) {
    auto cfg = config::load_swanctl_text(
        connection_with(value ? std::string("    minimal_initiator = ") + value + "\n" : std::string()));
    ASSERT_TRUE(cfg) << cfg.error().message;
    EXPECT_EQ(cfg->connections.at(0).minimal_initiator, expect);
    auto ec = to_engine_config(*cfg);
    ASSERT_TRUE(ec) << ec.error().message;
    EXPECT_EQ(ec->connections.at(0).minimal_initiator, expect) << (value ? value : "(default)");
    // The dump names the key only when it is set, and reads back to the same configuration.
    const std::string dumped = config::dump_swanctl(*cfg, true);
    EXPECT_EQ(dumped.find("minimal_initiator") != std::string::npos, expect) << dumped;
    auto again = config::load_swanctl_text(dumped);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->connections.at(0).minimal_initiator, expect);
  }
}

TEST(ConfigMap, MalformedMinimalInitiatorNamesTheKey) {
  auto cfg = config::load_swanctl_text(connection_with("    minimal_initiator = perhaps\n"));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("connections.h.minimal_initiator"), std::string::npos)
      << cfg.error().message;
}

}  // namespace
}  // namespace portunus::daemon
