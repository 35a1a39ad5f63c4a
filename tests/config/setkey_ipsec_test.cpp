// setkey -> ipsec: the Mobile IPv6 home-agent example installed into two real data-plane
// engines (home agent and mobile node), with Mobility Header packets protected by one and
// delivered by the other, plus the mapping rules one by one.
#include "portunus/config/setkey_ipsec.h"

#include <gtest/gtest.h>

#include "portunus/crypto/ids.h"
#include "portunus/ipsec/engine.h"

namespace portunus::config::setkey {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

const IpAddress kHa = ip("2001:db8:1::1");
const IpAddress kMn1 = ip("2001:db8:1::1000");
const IpAddress kCn = ip("2001:db8:99::5");
const std::string kMipv6 = std::string(PORTUNUS_SOURCE_DIR) + "/examples/config/mipv6-ha.setkey";

// An IPv6 packet carrying a Mobility Header (RFC 6275 6.1.1) of the given MH type.
Bytes mh_packet(const IpAddress& src, const IpAddress& dst, uint8_t mh_type) {
  Bytes p(40 + 8, 0);
  p[0] = 0x60;
  store_be16(&p[4], 8);  // payload length
  p[6] = 135;            // next header: Mobility Header
  p[7] = 64;             // hop limit
  std::copy(src.bytes().begin(), src.bytes().end(), p.begin() + 8);
  std::copy(dst.bytes().begin(), dst.bytes().end(), p.begin() + 24);
  p[40] = 59;  // payload proto: none
  p[41] = 0;   // header length in 8-octet units, minus one
  p[42] = mh_type;
  p[46] = 0xab;  // some message data
  p[47] = 0xcd;
  return p;
}

class LegacyOn : public ::testing::Test {
 protected:
  void SetUp() override { crypto::set_legacy_algorithms_allowed(true); }
  void TearDown() override { crypto::set_legacy_algorithms_allowed(false); }
};

// Installs every add/spdadd of `cmds` seen from `locals`; returns the number installed.
size_t install(ipsec::Engine& engine, const std::vector<Command>& cmds,
               const std::vector<IpAddress>& locals) {
  size_t n = 0;
  for (const auto& c : cmds) {
    if (c.op == Op::SpdAdd) {
      auto p = to_policy(c);
      EXPECT_TRUE(p) << p.error().message;
      if (!p) continue;
      auto id = engine.add_policy(*p);
      EXPECT_TRUE(id) << id.error().message;
      ++n;
    } else if (c.op == Op::Add) {
      auto sa = to_sa_params(c, locals);
      EXPECT_TRUE(sa) << sa.error().message;
      if (!sa) continue;
      auto id = engine.install_sa(std::move(*sa), 0);
      EXPECT_TRUE(id) << c.where.line << ": " << id.error().message;
      ++n;
    }
  }
  return n;
}

struct Sent {
  ipsec::OutboundResult result;
  Bytes packet;
};

Sent send(ipsec::Engine& engine, const Bytes& packet) {
  std::vector<uint8_t> storage(ipsec::kRecommendedHeadroom + packet.size() + ipsec::kRecommendedTailroom);
  auto buf = ipsec::PacketBuffer::copy_into(storage, ipsec::kRecommendedHeadroom, packet);
  auto r = engine.outbound(buf, 0);
  return {r, Bytes(buf.view().begin(), buf.view().end())};
}

std::pair<ipsec::InboundResult, Bytes> receive(ipsec::Engine& engine, const Bytes& packet) {
  std::vector<uint8_t> storage(ipsec::kRecommendedHeadroom + packet.size() + ipsec::kRecommendedTailroom);
  auto buf = ipsec::PacketBuffer::copy_into(storage, ipsec::kRecommendedHeadroom, packet);
  auto r = engine.inbound(buf, 0);
  return {r, Bytes(buf.view().begin(), buf.view().end())};
}

TEST_F(LegacyOn, Mipv6HomeAgentAndMobileNodeExchangeProtectedSignalling) {
  ParseOptions legacy;
  legacy.allow_legacy_algorithms = true;
  auto cmds = parse_file(kMipv6, legacy);
  ASSERT_TRUE(cmds) << cmds.error().message;

  ipsec::Engine ha;
  EXPECT_EQ(install(ha, *cmds, {kHa}), 16u);

  // The mobile node: the same SAs seen from its home address, and its own policies (the
  // mirror image of the home agent's, as its own setkey file would have them).
  auto mn_policies = parse(
      "spdadd 2001:db8:1::1000 2001:db8:1::1 135 -P out ipsec esp/transport//require;\n"
      "spdadd 2001:db8:1::1 2001:db8:1::1000 135 -P in ipsec esp/transport//require;\n"
      "spdadd 2001:db8:1::1000/128 ::/0 135 -P out ipsec "
      "esp/tunnel/2001:db8:1::1000-2001:db8:1::1/unique:1003;\n"
      "spdadd ::/0 2001:db8:1::1000/128 135 -P in ipsec "
      "esp/tunnel/2001:db8:1::1-2001:db8:1::1000/unique:1004;\n",
      "mn.setkey");
  ASSERT_TRUE(mn_policies) << mn_policies.error().message;
  std::vector<Command> mn_sas;
  for (const auto& c : *cmds) {
    if (c.op == Op::Add && (c.sa.src.address == kMn1 || c.sa.dst.address == kMn1)) mn_sas.push_back(c);
  }
  ipsec::Engine mn;
  EXPECT_EQ(install(mn, *mn_policies, {kMn1}), 4u);
  EXPECT_EQ(install(mn, mn_sas, {kMn1}), 4u);

  // Binding Acknowledgement (MH type 6) HA -> MN1: transport mode, SPI 0x1002.
  Bytes ba = mh_packet(kHa, kMn1, 6);
  auto out = send(ha, ba);
  ASSERT_EQ(out.result.verdict, ipsec::Verdict::Protected) << name(out.result.reason);
  EXPECT_EQ(out.result.spi, 0x1002u);
  EXPECT_EQ(out.result.outer_dst, kMn1);
  EXPECT_EQ(out.packet[6], 50);  // next header ESP right after the IPv6 header
  auto in = receive(mn, out.packet);
  ASSERT_EQ(in.first.verdict, ipsec::Verdict::Deliver) << name(in.first.reason);
  EXPECT_EQ(in.second, ba);

  // Binding Update (MH type 5) MN1 -> HA: SPI 0x1001.
  Bytes bu = mh_packet(kMn1, kHa, 5);
  out = send(mn, bu);
  ASSERT_EQ(out.result.verdict, ipsec::Verdict::Protected) << name(out.result.reason);
  EXPECT_EQ(out.result.spi, 0x1001u);
  in = receive(ha, out.packet);
  ASSERT_EQ(in.first.verdict, ipsec::Verdict::Deliver) << name(in.first.reason);
  EXPECT_EQ(in.second, bu);

  // Home Test (MH type 3) from a correspondent, through the HA to MN1: tunnel mode, SPI 0x1004.
  Bytes hot = mh_packet(kCn, kMn1, 3);
  out = send(ha, hot);
  ASSERT_EQ(out.result.verdict, ipsec::Verdict::Protected) << name(out.result.reason);
  EXPECT_EQ(out.result.spi, 0x1004u);
  EXPECT_EQ(out.packet[6], 50);
  // Outer IPv6 40, SPI+sequence 8, DES IV 8, inner 48 + 6 pad + 2 trailer (8-octet blocks),
  // HMAC-SHA1-96 ICV 12.
  EXPECT_EQ(out.packet.size(), 40u + 8 + 8 + (48 + 6 + 2) + 12);
  in = receive(mn, out.packet);
  ASSERT_EQ(in.first.verdict, ipsec::Verdict::Deliver) << name(in.first.reason);
  EXPECT_EQ(in.second, hot);

  // Home Test Init (MH type 1) from MN1 to a correspondent, tunnelled to the HA: SPI 0x1003.
  Bytes hoti = mh_packet(kMn1, kCn, 1);
  out = send(mn, hoti);
  ASSERT_EQ(out.result.verdict, ipsec::Verdict::Protected) << name(out.result.reason);
  EXPECT_EQ(out.result.spi, 0x1003u);
  EXPECT_EQ(out.result.outer_dst, kHa);
  in = receive(ha, out.packet);
  ASSERT_EQ(in.first.verdict, ipsec::Verdict::Deliver) << name(in.first.reason);
  EXPECT_EQ(in.second, hoti);

  // Cleartext MH from MN1 is refused by the HA's inbound policy.
  in = receive(ha, bu);
  EXPECT_EQ(in.first.verdict, ipsec::Verdict::Discard);
  EXPECT_EQ(in.first.reason, ipsec::DiscardReason::CleartextRequiresProtection);
}

Command one(const std::string& text) {
  auto r = parse(text, "m.setkey");
  EXPECT_TRUE(r) << r.error().message;
  return r && !r->empty() ? r->front() : Command{};
}

TEST(SetkeyToIpsec, SaDirectionModeAndKeys) {
  Command c = one(
      "add 192.0.2.1[4500] 192.0.2.2[4501] esp-udp 0x2000 -m any -u 9 -r 64 -lh 100 -ls 80 -bh 5000 -bs 4000 "
      "-E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha256 "
      "0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;");
  auto out = to_sa_params(c, {ip("192.0.2.1")});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->direction, ipsec::Direction::Outbound);
  EXPECT_EQ(out->local, ip("192.0.2.1"));
  EXPECT_EQ(out->remote, ip("192.0.2.2"));
  EXPECT_EQ(out->mode, ipsec::Mode::Transport);  // -m any, as Linux
  ASSERT_TRUE(out->udp_encap);
  EXPECT_EQ(out->udp_encap->local_port, 4500);
  EXPECT_EQ(out->udp_encap->remote_port, 4501);
  EXPECT_EQ(out->encr, crypto::EncrId::AesCbc);
  EXPECT_EQ(out->encr_key_bits, 128u);
  EXPECT_EQ(out->encr_keymat.size(), 16u);
  EXPECT_EQ(out->integ, crypto::IntegId::HmacSha2_256_128);
  EXPECT_EQ(out->reqid, 9u);
  EXPECT_EQ(out->replay_window, 64u);
  EXPECT_EQ(out->hard.seconds, 100u);
  EXPECT_EQ(out->soft.seconds, 80u);
  EXPECT_EQ(out->hard.bytes, 5000u);
  EXPECT_EQ(out->soft.bytes, 4000u);

  auto in = to_sa_params(c, {ip("192.0.2.2")});
  ASSERT_TRUE(in);
  EXPECT_EQ(in->direction, ipsec::Direction::Inbound);
  EXPECT_EQ(in->local, ip("192.0.2.2"));
  EXPECT_EQ(in->udp_encap->local_port, 4501);

  Command gcm =
      one("add 192.0.2.1 192.0.2.2 esp 0x2001 -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213;");
  auto g = to_sa_params(gcm, {ip("192.0.2.2")});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->replay_window, 0u);  // no -r: no replay check
  EXPECT_EQ(g->integ, crypto::IntegId::None);

  auto neither = to_sa_params(gcm, {ip("192.0.2.9")});
  ASSERT_FALSE(neither);
  EXPECT_EQ(neither.error().message, "m.setkey:1: neither 192.0.2.1 nor 192.0.2.2 is a local address");
  auto both = to_sa_params(gcm, {ip("192.0.2.1"), ip("192.0.2.2")});
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("ambiguous"), std::string::npos);
}

TEST(SetkeyToIpsec, PolicySelectorsAndActions) {
  auto out =
      to_policy(one("spdadd 10.0.0.0/24[1234] 10.1.0.0/16[80] tcp -P out prio 7 ipsec "
                    "esp/tunnel/192.0.2.1-192.0.2.2/unique:3;"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->direction, ipsec::Direction::Outbound);
  EXPECT_EQ(out->selector.local, ipsec::AddressRange::prefix(ip("10.0.0.0"), 24));
  EXPECT_EQ(out->selector.remote, ipsec::AddressRange::prefix(ip("10.1.0.0"), 16));
  EXPECT_EQ(out->selector.protocol, 6);
  EXPECT_EQ(out->selector.local_port, (ipsec::Range16{1234, 1234}));
  EXPECT_EQ(out->selector.remote_port, (ipsec::Range16{80, 80}));
  EXPECT_EQ(out->priority, 7u);
  EXPECT_EQ(out->action, ipsec::Action::Protect);
  EXPECT_EQ(out->mode, ipsec::Mode::Tunnel);
  EXPECT_EQ(out->tunnel_local, ip("192.0.2.1"));
  EXPECT_EQ(out->tunnel_remote, ip("192.0.2.2"));
  EXPECT_EQ(out->reqid, 3u);

  auto in = to_policy(
      one("spdadd 10.1.0.0/16[80] 10.0.0.0/24 tcp -P in ipsec esp/tunnel/192.0.2.2-192.0.2.1/require;"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->direction, ipsec::Direction::Inbound);
  EXPECT_EQ(in->selector.local, ipsec::AddressRange::prefix(ip("10.0.0.0"), 24));
  EXPECT_EQ(in->selector.remote_port, (ipsec::Range16{80, 80}));
  EXPECT_EQ(in->selector.local_port, (ipsec::Range16{0, 65535}));
  EXPECT_EQ(in->tunnel_local, ip("192.0.2.1"));
  EXPECT_EQ(in->tunnel_remote, ip("192.0.2.2"));
  EXPECT_EQ(in->priority, 1u << 31);
  EXPECT_EQ(in->reqid, 0u);

  auto icmp = to_policy(one("spdadd ::/0 ::/0 icmp6 135,0 -P out none;"));
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->action, ipsec::Action::Bypass);
  EXPECT_EQ(icmp->selector.icmp_type, (ipsec::Range16{135, 135}));
  EXPECT_EQ(icmp->selector.icmp_code, (ipsec::Range16{0, 255}));  // zero code = any
  auto mh = to_policy(one("spdadd ::/0 ::/0 135 5,0 -P in discard;"));
  ASSERT_TRUE(mh);
  EXPECT_EQ(mh->action, ipsec::Action::Discard);
  EXPECT_EQ(mh->selector.mh_type, (ipsec::Range16{5, 5}));
  EXPECT_EQ(mh->selector.icmp_type, (ipsec::Range16{0, 255}));
}

TEST(SetkeyToIpsec, RefusedPolicies) {
  const std::pair<const char*, const char*> cases[] = {
      {"spdadd 10.0.0.0/8 10.1.0.0/16 any -P fwd none;",
       "m.setkey:1: fwd policies are not supported (the data plane evaluates inbound and outbound only)"},
      {"spdadd 10.0.0.0/8[80] 10.1.0.0/16 any -P out none;",
       "m.setkey:1: ports need an upper-layer protocol with ports (tcp, udp, sctp)"},
      {"spdadd 10.0.0.0/8 10.1.0.0/16 any -P out ipsec esp/transport//use;",
       "m.setkey:1: level 'use' (SA optional) is not supported; use require"},
      {"spdadd 10.0.0.0/8 10.1.0.0/16 any -P out ipsec esp/transport//unique;",
       "m.setkey:1: level 'unique' needs an explicit id here: write unique:N matching the SAs' -u N"},
      {"spdadd 10.0.0.0/8 10.1.0.0/16 any -P out ipsec esp/transport//require esp/transport//require;",
       "m.setkey:1: only one request (esp) per policy is supported, not 2"},
  };
  for (const auto& [text, message] : cases) {
    auto r = to_policy(one(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message, message);
  }
  auto wrong = to_policy(one("flush;"));
  ASSERT_FALSE(wrong);
  auto wrong_sa = to_sa_params(one("spdflush;"), {});
  ASSERT_FALSE(wrong_sa);
}

}  // namespace
}  // namespace portunus::config::setkey
