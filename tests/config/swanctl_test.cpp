#include "portunus/config/swanctl.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "portunus/config/proposal_keywords.h"

namespace portunus::config {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

std::string source_path(const std::string& rel) { return std::string(PORTUNUS_SOURCE_DIR) + "/" + rel; }

TEST(Swanctl, DemoLeftLoadsWithEveryValue) {
  auto r = load_swanctl_file(source_path("examples/config/demo-left.conf"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->connections.size(), 1u);
  const auto& c = r->connections[0];
  EXPECT_EQ(c.name, "demo");
  EXPECT_EQ(c.version, 2u);
  ASSERT_EQ(c.local_addrs.size(), 1u);
  EXPECT_EQ(c.local_addrs[0].kind, AddressSpec::Kind::Address);
  EXPECT_EQ(c.local_addrs[0].start, ip("192.0.2.1"));
  EXPECT_EQ(c.remote_addrs[0].start, ip("192.0.2.2"));
  ASSERT_EQ(c.proposals.size(), 1u);
  EXPECT_EQ(proposal_to_string(c.proposals[0]), "aes128gcm16-prfsha256-curve25519");
  EXPECT_FALSE(c.mobike);
  EXPECT_EQ(c.dpd_delay, 30u);
  EXPECT_EQ(c.rekey_time, 14400u);
  EXPECT_EQ(c.over_time, 1440u);  // 10% of rekey_time
  EXPECT_EQ(c.rand_time, 1440u);  // = over_time
  ASSERT_EQ(c.local.size(), 1u);
  EXPECT_EQ(c.local[0].auth, AuthClass::Psk);
  ASSERT_TRUE(c.local[0].id);
  EXPECT_EQ(c.local[0].id->value.type, ike::IdType::Rfc822Addr);
  EXPECT_EQ(c.remote[0].id->text, "right@portunus.example");
  ASSERT_EQ(c.children.size(), 1u);
  const auto& ch = c.children[0];
  EXPECT_EQ(ch.name, "net");
  ASSERT_EQ(ch.local_ts.size(), 1u);
  EXPECT_EQ(ch.local_ts[0].selector.start_addr, ip("198.51.100.0"));
  EXPECT_EQ(ch.local_ts[0].selector.end_addr, ip("198.51.100.255"));
  EXPECT_EQ(ch.remote_ts[0].selector.start_addr, ip("203.0.113.0"));
  EXPECT_EQ(proposals_to_string(ch.esp_proposals), "aes128gcm16-noesn");
  EXPECT_EQ(ch.mode, Mode::Tunnel);
  EXPECT_EQ(ch.start_action, StartAction::Trap);
  EXPECT_EQ(ch.dpd_action, SaAction::Trap);
  EXPECT_EQ(ch.rekey_time, 3600u);
  EXPECT_EQ(ch.life_time, 3960u);  // rekey_time + 10%
  EXPECT_EQ(ch.rand_time, 360u);   // life_time - rekey_time
  EXPECT_EQ(ch.replay_window, 32u);
  ASSERT_EQ(r->secrets.size(), 1u);
  EXPECT_EQ(r->secrets[0].ids.size(), 2u);
  EXPECT_EQ(r->secrets[0].secret, SecureBytes(as_bytes("portunus demo pre-shared key, not secret")));
}

TEST(Swanctl, DemoSidesMirrorEachOther) {
  auto l = load_swanctl_file(source_path("examples/config/demo-left.conf"));
  auto r = load_swanctl_file(source_path("examples/config/demo-right.conf"));
  ASSERT_TRUE(l && r);
  const auto& lc = l->connections[0];
  const auto& rc = r->connections[0];
  EXPECT_EQ(lc.local_addrs, rc.remote_addrs);
  EXPECT_EQ(lc.remote_addrs, rc.local_addrs);
  EXPECT_EQ(lc.local[0].id, rc.remote[0].id);
  EXPECT_EQ(lc.children[0].local_ts, rc.children[0].remote_ts);
  EXPECT_EQ(lc.children[0].remote_ts, rc.children[0].local_ts);
  EXPECT_EQ(l->secrets[0].secret, r->secrets[0].secret);
}

TEST(Swanctl, DefaultsPerSwanctlConf) {
  auto r = load_swanctl_text("connections {\n  c {\n    children {\n      x {\n      }\n    }\n  }\n}\n");
  ASSERT_TRUE(r) << r.error().message;
  const auto& c = r->connections[0];
  EXPECT_EQ(c.version, 0u);
  EXPECT_EQ(c.local_addrs, std::vector<AddressSpec>{AddressSpec{}});
  EXPECT_EQ(c.local_port, 500);
  EXPECT_EQ(c.proposals, default_proposals(wire::ProtocolId::Ike));
  EXPECT_EQ(c.rekey_time, 4u * 3600);
  EXPECT_EQ(c.reauth_time, 0u);
  EXPECT_EQ(c.over_time, 1440u);
  EXPECT_EQ(c.keyingtries, 1u);
  EXPECT_EQ(c.unique, UniquePolicy::No);
  EXPECT_TRUE(c.send_certreq);
  const auto& ch = c.children[0];
  EXPECT_TRUE(ch.local_ts[0].dynamic);
  EXPECT_TRUE(ch.remote_ts[0].dynamic);
  EXPECT_EQ(ch.esp_proposals, default_proposals(wire::ProtocolId::Esp));
  EXPECT_EQ(ch.rekey_time, 3600u);
  EXPECT_EQ(ch.life_time, 3960u);
  EXPECT_EQ(ch.rand_time, 360u);
  EXPECT_EQ(ch.rekey_bytes, 0u);
  EXPECT_EQ(ch.life_bytes, 0u);
  EXPECT_EQ(ch.start_action, StartAction::None);
  EXPECT_EQ(ch.close_action, SaAction::None);
  EXPECT_EQ(ch.dpd_action, SaAction::Clear);
  EXPECT_TRUE(ch.policies);
  EXPECT_TRUE(ch.copy_df);
  EXPECT_TRUE(ch.copy_ecn);
}

TEST(Swanctl, DerivedLifetimes) {
  auto r = load_swanctl_text(
      "connections { c {\n"
      "  rekey_time = 1h\n  reauth_time = 10h\n"
      "  children { x {\n"
      "    rekey_time = 20m\n    rekey_bytes = 100m\n    rekey_packets = 1000\n    rand_time = 1m\n"
      "  }\n  y {\n    life_time = 2h\n  }\n  }\n"
      "}\n}\n");
  ASSERT_TRUE(r) << r.error().message;
  const auto& c = r->connections[0];
  EXPECT_EQ(c.over_time, 3600u);  // 10% of the longer of rekey_time and reauth_time
  const auto& x = c.children[0];
  EXPECT_EQ(x.life_time, 1320u);
  EXPECT_EQ(x.rand_time, 60u);  // explicit
  EXPECT_EQ(x.rekey_bytes, 100u * 1024 * 1024);
  EXPECT_EQ(x.life_bytes, 110u * 1024 * 1024 + (100u * 1024 * 1024) % 10 / 10);
  EXPECT_EQ(x.rand_bytes, x.life_bytes - x.rekey_bytes);
  EXPECT_EQ(x.life_packets, 1100u);
  EXPECT_EQ(x.rand_packets, 100u);
  const auto& y = c.children[1];
  EXPECT_EQ(y.rekey_time, 3600u);
  EXPECT_EQ(y.life_time, 7200u);
  EXPECT_EQ(y.rand_time, 3600u);
}

TEST(Swanctl, FullConnection) {
  auto r = load_swanctl_text(R"(
connections {
  full {
    version = 0
    local_addrs = 192.0.2.1, 2001:db8::1
    remote_addrs = 198.51.100.0/24, 203.0.113.5-203.0.113.9, vpn.example.org, %any6
    local_port = 4500
    remote_port = 4501
    proposals = aes256-sha384-ecp384, chacha20poly1305-prfsha256-curve25519
    encap = yes
    mobike = no
    dpd_delay = 10s
    dpd_timeout = 2m
    unique = replace
    keyingtries = 0
    fragmentation = force
    send_certreq = no
    local-2 {
      round = 2
      auth = psk
    }
    local-1 {
      round = 1
      auth = pubkey
      certs = left.pem, left2.pem
      id = @left.example
    }
    remote {
      auth = pubkey
      cacerts = ca.pem
      id = 2001:db8::2
    }
    children {
      a {
        local_ts = 10.0.0.0/24[tcp/http], dynamic
        remote_ts = 10.1.0.0/16
        esp_proposals = aes128ctr-aesxcbc-modp2048-esn, aes128gcm16
        mode = transport
        start_action = trap|start
        close_action = restart
        dpd_action = restart
        replay_window = 1024
        policies = no
        hw_offload = no
        copy_df = no
        copy_ecn = no
        tfc_padding = mtu
        reqid = 7
      }
    }
  }
}
)");
  ASSERT_TRUE(r) << r.error().message;
  const auto& c = r->connections[0];
  ASSERT_EQ(c.local_addrs.size(), 2u);
  EXPECT_EQ(c.local_addrs[1].start, ip("2001:db8::1"));
  ASSERT_EQ(c.remote_addrs.size(), 4u);
  EXPECT_EQ(c.remote_addrs[0].kind, AddressSpec::Kind::Prefix);
  EXPECT_EQ(c.remote_addrs[0].prefix, 24u);
  EXPECT_EQ(c.remote_addrs[1].kind, AddressSpec::Kind::Range);
  EXPECT_EQ(c.remote_addrs[1].end, ip("203.0.113.9"));
  EXPECT_EQ(c.remote_addrs[2].kind, AddressSpec::Kind::Hostname);
  EXPECT_EQ(c.remote_addrs[2].hostname, "vpn.example.org");
  EXPECT_EQ(c.remote_addrs[3].kind, AddressSpec::Kind::Any6);
  EXPECT_EQ(c.local_port, 4500);
  EXPECT_EQ(c.remote_port, 4501);
  EXPECT_EQ(c.proposals.size(), 2u);
  EXPECT_TRUE(c.encap);
  EXPECT_EQ(c.dpd_timeout, 120u);
  EXPECT_EQ(c.unique, UniquePolicy::Replace);
  EXPECT_EQ(c.keyingtries, 0u);
  EXPECT_EQ(c.fragmentation, Fragmentation::Force);
  EXPECT_FALSE(c.send_certreq);
  // Rounds are ordered by "round", not by position in the file.
  ASSERT_EQ(c.local.size(), 2u);
  EXPECT_EQ(c.local[0].section, "local-1");
  EXPECT_EQ(c.local[0].certs, (std::vector<std::string>{"left.pem", "left2.pem"}));
  EXPECT_EQ(c.local[0].id->value.type, ike::IdType::Fqdn);
  EXPECT_EQ(c.local[0].id->value.data,
            Bytes(as_bytes("left.example").begin(), as_bytes("left.example").end()));
  EXPECT_EQ(c.local[1].auth, AuthClass::Psk);
  EXPECT_EQ(c.remote[0].id->value.type, ike::IdType::Ipv6Addr);
  EXPECT_EQ(c.remote[0].id->value.data.size(), 16u);
  const auto& ch = c.children[0];
  EXPECT_EQ(ch.local_ts.size(), 2u);
  EXPECT_EQ(ch.local_ts[0].selector.start_port, 80);
  EXPECT_TRUE(ch.local_ts[1].dynamic);
  EXPECT_EQ(ch.esp_proposals.size(), 2u);
  EXPECT_EQ(ch.mode, Mode::Transport);
  EXPECT_EQ(ch.start_action, StartAction::TrapStart);
  EXPECT_EQ(ch.close_action, SaAction::Start);
  EXPECT_EQ(ch.dpd_action, SaAction::Start);
  EXPECT_EQ(ch.replay_window, 1024u);
  EXPECT_FALSE(ch.policies);
  EXPECT_FALSE(ch.copy_df);
  EXPECT_FALSE(ch.copy_ecn);
  EXPECT_EQ(ch.tfc_padding, UINT32_MAX);
  EXPECT_EQ(ch.reqid, 7u);
}

// The identity syntax belongs to ike/identity.h (tested there); this checks that the
// configuration hands the text to it and keeps what was written.
TEST(Swanctl, IdentitiesAreParsedByTheIkeLayer) {
  struct Case {
    const char* text;
    ike::IdType type;
    std::string data;
  };
  const Case cases[] = {
      {"%any", ike::IdType::Any, ""},
      {"192.0.2.1", ike::IdType::Ipv4Addr, std::string("\xc0\x00\x02\x01", 4)},
      {"@vpn.example", ike::IdType::Fqdn, "vpn.example"},
      {"vpn.example", ike::IdType::Fqdn, "vpn.example"},
      {"user@example.org", ike::IdType::Rfc822Addr, "user@example.org"},
      {"@#0a0b", ike::IdType::KeyId, "\x0a\x0b"},
  };
  for (const auto& c : cases) {
    auto id = parse_identity(c.text);
    ASSERT_TRUE(id) << c.text << ": " << id.error().message;
    EXPECT_EQ(id->text, c.text);
    EXPECT_EQ(id->value.type, c.type) << c.text;
    EXPECT_EQ(std::string(id->value.data.begin(), id->value.data.end()), c.data) << c.text;
  }
  auto dn = parse_identity("C=CH, O=strongSwan, CN=moon");
  ASSERT_TRUE(dn) << dn.error().message;
  EXPECT_EQ(dn->value.type, ike::IdType::DerAsn1Dn);
  EXPECT_FALSE(dn->value.data.empty());  // DER
  EXPECT_FALSE(parse_identity("ipv4:notanaddress"));
}

TEST(Swanctl, SecretsInHexAndBase64) {
  auto r = load_swanctl_text(
      "secrets {\n  ike-a {\n    secret = 0x00ff10\n  }\n  ike-b {\n    id = @b\n    secret = 0sAP8Q\n  }\n"
      "  ike-c {\n    id-x = 192.0.2.1\n    id-y = @c\n    secret = \"with space\"\n  }\n}\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->secrets.size(), 3u);
  const uint8_t raw[] = {0x00, 0xff, 0x10};
  EXPECT_EQ(r->secrets[0].secret, SecureBytes(BytesView(raw)));
  EXPECT_TRUE(r->secrets[0].ids.empty());
  EXPECT_EQ(r->secrets[1].secret, SecureBytes(BytesView(raw)));
  EXPECT_EQ(r->secrets[2].ids.size(), 2u);
  EXPECT_EQ(r->secrets[2].secret, SecureBytes(as_bytes("with space")));
}

TEST(Swanctl, CertificateAuthenticationKeys) {
  auto r = load_swanctl_text(R"(connections {
  c {
    local {
      auth = rsa/pss
      certs = moon.pem, /etc/portunus/moon2.pem
      id = moon.example.org
    }
    remote {
      auth = ed25519
      cacerts = root.pem
      revocation = strict
    }
  }
  d {
    local {
      auth = ecdsa
    }
    remote {
    }
  }
}
secrets {
  private-moon {
    file = moon.key
  }
  ecdsa-2 {
    file = /abs/key.pem
  }
}
)");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->connections.size(), 2u);
  const auto& c = r->connections[0];
  EXPECT_EQ(c.local[0].auth, AuthClass::Pubkey);
  EXPECT_EQ(c.local[0].pubkey, PubkeyKind::RsaPss);
  EXPECT_EQ(c.local[0].certs, (std::vector<std::string>{"moon.pem", "/etc/portunus/moon2.pem"}));
  EXPECT_EQ(c.local[0].certs_where.at.line, 5);
  EXPECT_EQ(c.remote[0].pubkey, PubkeyKind::Ed25519);
  EXPECT_EQ(c.remote[0].cacerts, std::vector<std::string>{"root.pem"});
  EXPECT_EQ(c.remote[0].revocation, Revocation::Strict);
  const auto& d = r->connections[1];
  EXPECT_EQ(d.local[0].pubkey, PubkeyKind::Ecdsa);
  // swanctl's defaults: auth = pubkey, revocation = relaxed.
  EXPECT_EQ(d.remote[0].auth, AuthClass::Pubkey);
  EXPECT_EQ(d.remote[0].pubkey, PubkeyKind::Any);
  EXPECT_EQ(d.remote[0].revocation, Revocation::Relaxed);
  ASSERT_EQ(r->key_files.size(), 2u);
  EXPECT_EQ(r->key_files[0].name, "private-moon");
  EXPECT_EQ(r->key_files[0].file, "moon.key");
  EXPECT_EQ(r->key_files[1].file, "/abs/key.pem");
  // Key file entries are no key material: a dump without secrets keeps them.
  auto again = load_swanctl_text(dump_swanctl(*r));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->key_files, r->key_files);
  EXPECT_EQ(again->connections, r->connections);
}

TEST(Swanctl, LegacyProposalNeedsOption) {
  const char* text = "connections {\n  c {\n    proposals = 3des-md5-modp1024\n  }\n}\n";
  auto r = load_swanctl_text(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.substr(0, 46), "swanctl.conf:3: connections.c.proposals: algor");
  LoadOptions legacy;
  legacy.allow_legacy_algorithms = true;
  EXPECT_TRUE(load_swanctl_text(text, "swanctl.conf", legacy));
}

struct BadConfig {
  const char* text;
  const char* message;
};

class SwanctlErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(SwanctlErrors, NamesFileLineAndKey) {
  auto r = load_swanctl_text(GetParam().text);
  ASSERT_FALSE(r) << GetParam().text;
  EXPECT_EQ(r.error().message, GetParam().message);
}

// Every case is a small config; the expected message says where and what.
INSTANTIATE_TEST_SUITE_P(
    Malformed, SwanctlErrors,
    ::testing::Values(
        BadConfig{"connections {\n  home {\n    children {\n      net {\n        mode = tunnel\n"
                  "        foo = bar\n      }\n    }\n  }\n}\n",
                  "swanctl.conf:6: connections.home.children.net: unknown key 'foo'"},
        BadConfig{"connections {\n  home {\n    children {\n      net {\n"
                  "        updown = /usr/lib/ipsec/_updown iptables\n      }\n    }\n  }\n}\n",
                  "swanctl.conf:5: connections.home.children.net: key 'updown' is not supported by Portunus"},
        BadConfig{"connections {\n  home {\n    mobike = yes\n  }\n}\n",
                  "swanctl.conf:3: connections.home.mobike: only 'mobike = no' is supported (MOBIKE is not "
                  "implemented)"},
        BadConfig{"connections {\n  home {\n    vips = 0.0.0.0\n  }\n}\n",
                  "swanctl.conf:3: connections.home: key 'vips' is not supported by Portunus"},
        BadConfig{"connections {\n  home {\n    aggresive = no\n  }\n}\n",
                  "swanctl.conf:3: connections.home: unknown key 'aggresive'"},
        BadConfig{
            "connections {\n  home {\n    version = 1\n  }\n}\n",
            "swanctl.conf:3: connections.home.version: IKEv1 is not supported (version must be 0 or 2)"},
        BadConfig{"connections {\n  home {\n    version = 3\n  }\n}\n",
                  "swanctl.conf:3: connections.home.version: invalid number '3' (0..2)"},
        BadConfig{
            "connections {\n  home {\n    rekey_time = 4 hours\n  }\n}\n",
            "swanctl.conf:3: connections.home.rekey_time: invalid time '4 hours' (a number with s, m, h "
            "or d)"},
        BadConfig{"connections {\n  home {\n    local_port = 0\n  }\n}\n",
                  "swanctl.conf:3: connections.home.local_port: port 0 is not valid"},
        BadConfig{"connections {\n  home {\n    remote_port = 70000\n  }\n}\n",
                  "swanctl.conf:3: connections.home.remote_port: invalid number '70000' (0..65535)"},
        BadConfig{"connections {\n  home {\n    encap = perhaps\n  }\n}\n",
                  "swanctl.conf:3: connections.home.encap: invalid boolean 'perhaps' (yes or no)"},
        BadConfig{"connections {\n  home {\n    local_addrs = 192.0.2.1, bad_host!\n  }\n}\n",
                  "swanctl.conf:3: connections.home.local_addrs: invalid address or host name 'bad_host!'"},
        BadConfig{"connections {\n  home {\n    proposals = aes128-sha256-x25519-foo\n  }\n}\n",
                  "swanctl.conf:3: connections.home.proposals: unknown algorithm 'foo' in proposal "
                  "'aes128-sha256-x25519-foo'"},
        BadConfig{
            "connections {\n  home {\n    unique = always\n  }\n}\n",
            "swanctl.conf:3: connections.home.unique: invalid value 'always' (no, never, keep or replace)"},
        BadConfig{
            "connections {\n  home {\n    fragmentation = maybe\n  }\n}\n",
            "swanctl.conf:3: connections.home.fragmentation: invalid value 'maybe' (yes, accept, force or "
            "no)"},
        BadConfig{
            "connections {\n  home {\n    local {\n      auth = eap-mschapv2\n    }\n  }\n}\n",
            "swanctl.conf:4: connections.home.local.auth: authentication 'eap-mschapv2' is not supported "
            "(psk, pubkey, rsa, rsa/pss, ecdsa, ed25519 or ed448)"},
        BadConfig{"connections {\n  home {\n    remote {\n      auth = rsa-2048\n    }\n  }\n}\n",
                  "swanctl.conf:4: connections.home.remote.auth: authentication 'rsa-2048' is not supported "
                  "(psk, pubkey, rsa, rsa/pss, ecdsa, ed25519 or ed448)"},
        BadConfig{
            "connections {\n  home {\n    remote {\n      revocation = sometimes\n    }\n  }\n}\n",
            "swanctl.conf:4: connections.home.remote.revocation: invalid revocation 'sometimes' (strict, "
            "ifuri or relaxed)"},
        BadConfig{"secrets {\n  private-x {\n    secret = pass\n    file = k.pem\n  }\n}\n",
                  "swanctl.conf:3: secrets.private-x: encrypted private keys ('secret') are not supported; "
                  "store the key unencrypted with mode 0600"},
        BadConfig{"secrets {\n  rsa-x {\n  }\n}\n", "swanctl.conf:2: secrets.rsa-x: missing key 'file'"},
        BadConfig{"secrets {\n  ecdsa-x {\n    file = a.pem\n    pin = 1\n  }\n}\n",
                  "swanctl.conf:4: secrets.ecdsa-x: unknown key 'pin'"},
        BadConfig{"connections {\n  home {\n    remote {\n      groups = admins\n    }\n  }\n}\n",
                  "swanctl.conf:4: connections.home.remote: key 'groups' is not supported by Portunus"},
        BadConfig{"connections {\n  home {\n    remote {\n      id = ipv4:vpn\n    }\n  }\n}\n",
                  "swanctl.conf:4: connections.home.remote.id: identity 'ipv4:vpn': invalid address: vpn"},
        BadConfig{"connections {\n  home {\n    local {\n      round = x\n    }\n  }\n}\n",
                  "swanctl.conf:4: connections.home.local.round: invalid number 'x' (0..255)"},
        BadConfig{"connections {\n  home {\n    local {\n      cert1 {\n      }\n    }\n  }\n}\n",
                  "swanctl.conf:4: connections.home.local: section 'cert1' is not supported (certificates on "
                  "tokens)"},
        BadConfig{"connections {\n  home {\n    other {\n    }\n  }\n}\n",
                  "swanctl.conf:3: connections.home: unknown section 'other'"},
        BadConfig{"connections {\n  home {\n    children {\n      x = 1\n    }\n  }\n}\n",
                  "swanctl.conf:4: connections.home.children: 'x' must be a section"},
        BadConfig{"connections {\n  home = yes\n}\n",
                  "swanctl.conf:2: connections: 'home' must be a section"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        mode = beet\n      }\n    }\n  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.mode: mode 'beet' is not supported (tunnel or "
            "transport)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        mode = tunel\n      }\n    }\n  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.mode: invalid mode 'tunel' (tunnel or transport)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        start_action = route\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.start_action: invalid start_action 'route' (none, "
            "trap, "
            "start or trap|start)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        dpd_action = none\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.dpd_action: invalid action 'none' (clear, trap or "
            "start)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        close_action = hug\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.close_action: invalid action 'hug' (none, clear, trap "
            "or start)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        local_ts = 10.0.0.0/33\n      }\n"
            "    }\n  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.local_ts: traffic selector '10.0.0.0/33': invalid "
            "prefix length '33'"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        esp_proposals = aes128gcm16-sha256\n"
            "      }\n    }\n  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.esp_proposals: proposal 'aes128gcm16-sha256' has an "
            "integrity algorithm with an AEAD cipher"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        hw_offload = yes\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.hw_offload: only 'hw_offload = no' is supported "
            "(user-space data plane)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        rekey_bytes = 10x\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.rekey_bytes: invalid size '10x' (a number with k, m "
            "or g)"},
        BadConfig{"connections {\n  h {\n    children {\n      c {\n        rekey_time = 1h\n"
                  "        life_time = 30m\n      }\n    }\n  }\n}\n",
                  "swanctl.conf:6: connections.h.children.c.life_time: life_time (30m) must be longer than "
                  "rekey_time (1h)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        tfc_padding = lots\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c.tfc_padding: invalid number 'lots' (0..65535)"},
        BadConfig{
            "connections {\n  h {\n    children {\n      c {\n        ah_proposals = sha256\n      }\n    }\n"
            "  }\n}\n",
            "swanctl.conf:5: connections.h.children.c: key 'ah_proposals' is not supported by Portunus"},
        BadConfig{"secrets {\n  ike-x {\n    id = @x\n  }\n}\n",
                  "swanctl.conf:2: secrets.ike-x: missing key 'secret'"},
        BadConfig{"secrets {\n  ike-x {\n    secret = 0xabc\n  }\n}\n",
                  "swanctl.conf:3: secrets.ike-x.secret: invalid hex secret"},
        BadConfig{"secrets {\n  ike-x {\n    secret = 0s!!!!\n  }\n}\n",
                  "swanctl.conf:3: secrets.ike-x.secret: invalid base64 secret"},
        BadConfig{"secrets {\n  ike-x {\n    secret = s\n    password = p\n  }\n}\n",
                  "swanctl.conf:4: secrets.ike-x: unknown key 'password'"},
        BadConfig{"secrets {\n  eap-carol {\n    secret = s\n  }\n}\n",
                  "swanctl.conf:2: secrets: secret section 'eap-carol' is not supported (only ike, private, "
                  "rsa and ecdsa<suffix>)"},
        BadConfig{"secrets {\n  wat {\n  }\n}\n", "swanctl.conf:2: secrets: unknown secret section 'wat'"},
        BadConfig{"pools {\n}\n", "swanctl.conf:1: section 'pools' is not supported"},
        BadConfig{"conections {\n}\n", "swanctl.conf:1: unknown section 'conections'"},
        BadConfig{"stray = 1\n", "swanctl.conf:1: unknown key 'stray'"},
        BadConfig{"connections {\n  h {\n",
                  "swanctl.conf:2: connections.h: missing '}' closing the section "
                  "opened here"}));

TEST(Swanctl, ErrorInIncludedFileNamesIt) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("portunus-swanctl-" + std::to_string(::getpid()));
  fs::create_directories(dir / "conf.d");
  std::ofstream(dir / "conf.d" / "home.conf") << "connections {\n  home {\n\n    mobike = yes\n  }\n}\n";
  std::ofstream(dir / "swanctl.conf") << "include conf.d/*.conf\n";
  auto r = load_swanctl_file((dir / "swanctl.conf").string());
  fs::remove_all(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            (dir / "conf.d" / "home.conf").string() +
                ":4: connections.home.mobike: only 'mobike = no' is supported (MOBIKE is not "
                "implemented)");
}

TEST(Swanctl, RepeatedConnectionSectionsMerge) {
  auto r = load_swanctl_text(
      "connections {\n  c {\n    rekey_time = 1h\n    children {\n      a {\n      }\n    }\n  }\n}\n"
      "connections {\n  c {\n    rekey_time = 2h\n    children {\n      b {\n      }\n    }\n  }\n}\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->connections.size(), 1u);
  EXPECT_EQ(r->connections[0].rekey_time, 7200u);
  EXPECT_EQ(r->connections[0].children.size(), 2u);
}

// dump -> load gives the same model, for a config exercising every key.
TEST(SwanctlDump, RoundTrip) {
  const char* text = R"(
connections {
  full {
    version = 2
    local_addrs = 192.0.2.1, 2001:db8::1
    remote_addrs = 198.51.100.0/24, 203.0.113.5-203.0.113.9, vpn.example.org, %any6
    local_port = 4500
    proposals = aes256-sha384-ecp384, aes128gcm16-prfsha256-x25519, default
    encap = yes
    dpd_delay = 10s
    reauth_time = 1d
    unique = keep
    keyingtries = 3
    fragmentation = accept
    send_cert = always
    local-2 {
      round = 2
      auth = psk
      id = "odd # id"
    }
    local-1 {
      round = 1
      auth = rsa/pss
      certs = a.pem, /etc/b.pem
      id = @left.example
    }
    remote {
      auth = ed25519
      id = 192.0.2.2
      cacerts = ca.pem
      revocation = strict
    }
    children {
      a {
        local_ts = 10.0.0.0/24[tcp/http], dynamic, 192.0.2.1-192.0.2.9
        remote_ts = 2001:db8::/32[ipv6-icmp/135], [icmp/8]
        esp_proposals = aes128ctr-aesxcbc-modp2048-esn, aes128gcm16
        mode = transport
        start_action = trap
        close_action = clear
        rekey_time = 20m
        rekey_bytes = 1g
        rekey_packets = 1000000
        replay_window = 4096
        tfc_padding = 1400
        reqid = 9
      }
      b {
        start_action = start
        tfc_padding = mtu
        policies = no
      }
    }
  }
  other {
    remote_addrs = 192.0.2.200
    remote {
      auth = ecdsa
      revocation = ifuri
    }
  }
}
secrets {
  private-a {
    file = a.key
  }
  rsa-b {
    file = /etc/keys/b.key
  }
  ike-1 {
    id-a = @left.example
    id-b = 192.0.2.2
    secret = "a \"quoted\" secret # with hash"
  }
  ike-2 {
    secret = 0x00010203ff
  }
}
)";
  auto a = load_swanctl_text(text);
  ASSERT_TRUE(a) << a.error().message;
  std::string dumped = dump_swanctl(*a, /*include_secrets=*/true);
  auto b = load_swanctl_text(dumped, "dump.conf");
  ASSERT_TRUE(b) << b.error().message << "\n" << dumped;
  EXPECT_EQ(*a, *b) << dumped;
  // And a second dump is byte for byte the first: the dump is canonical.
  EXPECT_EQ(dump_swanctl(*b, true), dumped);
  // A change to any value shows up in the comparison (the equality is not vacuous).
  auto c = *b;
  c.connections[0].children[1].replay_window = 31;
  EXPECT_FALSE(c == *a);
}

TEST(SwanctlDump, SecretsLeftOutUnlessAsked) {
  auto a = load_swanctl_file(source_path("examples/config/demo-left.conf"));
  ASSERT_TRUE(a);
  std::string text = dump_swanctl(*a);
  EXPECT_EQ(text.find("secret"), std::string::npos);
  EXPECT_EQ(text.find("not secret"), std::string::npos);
  auto b = load_swanctl_text(text);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->connections, b->connections);
  EXPECT_TRUE(b->secrets.empty());
}

}  // namespace
}  // namespace portunus::config
