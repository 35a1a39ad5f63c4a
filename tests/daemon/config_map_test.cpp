#include "portunus/daemon/config_map.h"

#include <gtest/gtest.h>

namespace portunus::daemon {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TEST(ConfigMap, DemoConfigMapsOntoTheEngine) {
  auto cfg = config::load_swanctl_file(std::string(PORTUNUS_SOURCE_DIR) + "/examples/config/demo-left.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto ec = to_engine_config(*cfg);
  ASSERT_TRUE(ec) << ec.error().message;
  ASSERT_EQ(ec->connections.size(), 1u);
  const auto& c = ec->connections[0];
  EXPECT_EQ(c.name, "demo");
  EXPECT_EQ(c.local_addrs, std::vector<IpAddress>{ip("192.0.2.1")});
  EXPECT_EQ(c.remote_addrs, std::vector<IpAddress>{ip("192.0.2.2")});
  EXPECT_EQ(c.local.id, "left@portunus.example");
  EXPECT_EQ(c.remote.id, "right@portunus.example");
  EXPECT_EQ(c.dpd_delay, std::chrono::seconds(30));
  ASSERT_FALSE(c.ike_proposals.empty());
  ASSERT_EQ(c.children.size(), 1u);
  const auto& k = c.children[0];
  EXPECT_EQ(k.start_action, ike::StartAction::Trap);
  EXPECT_EQ(k.dpd_action, ike::CloseAction::Trap);
  EXPECT_EQ(k.mode, ike::IpsecMode::Tunnel);
  EXPECT_EQ(k.lifetimes.rekey_time, std::chrono::hours(1));
  // life_time defaults to rekey_time + 10 %.
  EXPECT_EQ(k.lifetimes.life_time, std::chrono::seconds(3960));
  ASSERT_EQ(k.remote_ts.size(), 1u);
  EXPECT_FALSE(k.remote_ts[0].dynamic);
  EXPECT_EQ(k.remote_ts[0].ts.start_addr, ip("203.0.113.0"));
  EXPECT_EQ(k.remote_ts[0].ts.end_addr, ip("203.0.113.255"));
  ASSERT_EQ(ec->secrets.size(), 1u);
  EXPECT_EQ(ec->secrets[0].ids.size(), 2u);
  EXPECT_FALSE(ec->secrets[0].secret.empty());
}

TEST(ConfigMap, DynamicSelectorsResolveToTheConnectionAddress) {
  auto cfg = config::load_swanctl_text(R"(connections {
  h {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      c {
        mode = transport
      }
    }
  }
})");
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto ec = to_engine_config(*cfg);
  ASSERT_TRUE(ec) << ec.error().message;
  const auto& k = ec->connections[0].children[0];
  EXPECT_EQ(k.mode, ike::IpsecMode::Transport);
  auto local = resolve_selectors(k.local_ts.empty() ? std::vector<ike::ConfiguredTs>{{{}, true}} : k.local_ts,
                                 ec->connections[0].local_addrs);
  ASSERT_EQ(local.size(), 1u);
  EXPECT_EQ(local[0].start_addr, ip("192.0.2.1"));
  EXPECT_EQ(local[0].end_addr, ip("192.0.2.1"));
  // Without a concrete address a dynamic selector cannot be a trap policy.
  EXPECT_TRUE(resolve_selectors({{{}, true}}, {}).empty());
}

TEST(ConfigMap, PublicKeyAuthenticationWithoutCredentialsIsRefusedWithItsLocation) {
  auto cfg = config::load_swanctl_text(R"(connections {
  pk {
    remote_addrs = 192.0.2.2
    local {
      auth = pubkey
    }
    remote {
      auth = pubkey
    }
  }
})",
                                       "pk.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  // No configuration directory, no certs: nothing to sign with.
  auto ec = to_engine_config(*cfg);
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find("pk.conf:4: connections.pk.local: auth = pubkey needs a certificate"),
            std::string::npos)
      << ec.error().message;
}

TEST(ConfigMap, ConcreteAddressesSkipAnyAndRanges) {
  std::vector<config::AddressSpec> specs(3);
  specs[0].kind = config::AddressSpec::Kind::Any;
  specs[1].kind = config::AddressSpec::Kind::Prefix;
  specs[1].start = ip("192.0.2.0");
  specs[1].prefix = 24;
  specs[2].kind = config::AddressSpec::Kind::Address;
  specs[2].start = ip("2001:db8::1");
  EXPECT_EQ(concrete_addresses(specs), std::vector<IpAddress>{ip("2001:db8::1")});
}

}  // namespace
}  // namespace portunus::daemon
