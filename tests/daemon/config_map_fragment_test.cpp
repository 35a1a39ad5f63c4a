// swanctl `fragmentation` onto the engine's ConnectionConfig (RFC 7383 sending policy).
#include <gtest/gtest.h>

#include "portunus/daemon/config_map.h"

namespace portunus::daemon {
namespace {

TEST(ConfigMap, FragmentationMapsOntoTheEngine) {
  const std::pair<const char*, ike::Fragmentation> cases[] = {{"yes", ike::Fragmentation::Yes},
                                                              {"accept", ike::Fragmentation::Accept},
                                                              {"force", ike::Fragmentation::Force},
                                                              {"no", ike::Fragmentation::No},
                                                              {nullptr, ike::Fragmentation::Yes}};
  for (const auto& [value, expect] : cases) {
    std::string text = "connections {\n  h {\n    local_addrs = 192.0.2.1\n    remote_addrs = 192.0.2.2\n";
    if (value) text += std::string("    fragmentation = ") + value + "\n";
    text += "    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n  }\n}\n";
    auto cfg = config::load_swanctl_text(text);
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto ec = to_engine_config(*cfg);
    ASSERT_TRUE(ec) << ec.error().message;
    ASSERT_EQ(ec->connections.size(), 1u);
    EXPECT_EQ(ec->connections[0].fragmentation, expect) << (value ? value : "(default)");
    EXPECT_EQ(ec->connections[0].fragment_size, 0u);  // the engine-wide size
    EXPECT_EQ(ec->fragment_size, 1280u);
  }
}

}  // namespace
}  // namespace portunus::daemon
