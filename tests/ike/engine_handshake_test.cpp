// IKE_SA_INIT + IKE_AUTH between two engines: every proposal family, both address families,
// identities, error notifies, cookies, retransmission and hostile input.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine_pair.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike::testing {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;

void expect_child_pair(const RecordingInstaller& a, const RecordingInstaller& b) {
  ASSERT_EQ(a.active.size(), 1u);
  ASSERT_EQ(b.active.size(), 1u);
  const auto& pa = a.active.begin()->second;
  const auto& pb = b.active.begin()->second;
  EXPECT_EQ(pa.spi_in, pb.spi_out);
  EXPECT_EQ(pa.spi_out, pb.spi_in);
  EXPECT_EQ(pa.out.encr, pb.in.encr);
  EXPECT_EQ(pa.out.integ, pb.in.integ);
  EXPECT_EQ(pa.in.encr, pb.out.encr);
  EXPECT_FALSE(pa.in.encr == pa.out.encr);  // the two directions have distinct keys
  EXPECT_EQ(pa.encr, pb.encr);
  EXPECT_EQ(pa.integ, pb.integ);
  EXPECT_EQ(pa.reqid, 1u);
}

TEST(EngineHandshake, PskX25519AesGcmEstablishesIkeAndChildSa) {
  EnginePair p(default_pair());
  auto id = p.a.engine.initiate("home", "", p.now);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  p.run();
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_TRUE(p.has_event(false, EventKind::IkeSaEstablished));
  EXPECT_TRUE(p.has_event(true, EventKind::ChildSaEstablished));
  EXPECT_TRUE(p.has_event(false, EventKind::ChildSaEstablished));
  expect_child_pair(p.ia, p.ib);
  const auto& pa = p.ia.active.begin()->second;
  EXPECT_EQ(pa.mode, IpsecMode::Tunnel);
  EXPECT_FALSE(pa.udp_encap);
  ASSERT_EQ(pa.local_ts.size(), 1u);
  EXPECT_EQ(pa.local_ts[0].start_addr.to_string(), "10.1.0.0");
  EXPECT_EQ(pa.remote_ts[0].end_addr.to_string(), "10.2.255.255");
  EXPECT_EQ(pa.encr_key_bits, 128);
  EXPECT_EQ(pa.out.encr.size(), 20u);  // 16-octet key + 4-octet salt

  auto sa = p.a.engine.status();
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(sa[0].state, "established");
  EXPECT_EQ(sa[0].local_id, "alice@example.org");
  EXPECT_EQ(sa[0].remote_id, "bob.example.org");
  EXPECT_EQ(sa[0].group, KeGroup::Curve25519);
  auto sb = p.b.engine.status();
  ASSERT_EQ(sb.size(), 1u);
  EXPECT_EQ(sb[0].spi_i, sa[0].spi_i);
  EXPECT_EQ(sb[0].spi_r, sa[0].spi_r);
  EXPECT_EQ(sb[0].remote_id, "alice@example.org");
  EXPECT_EQ(p.b.engine.half_open_count(), 0u);
  // Four datagrams: IKE_SA_INIT and IKE_AUTH, request and response.
  EXPECT_EQ(p.a.sent.size() + p.b.sent.size(), 4u);
}

// The log lines operators grep for: connection, addresses, identities and the SPIs.
TEST(EngineHandshake, EstablishedEventsNamePeersAndSpis) {
  EnginePair p(default_pair());
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  auto sa = p.a.engine.status();
  ASSERT_EQ(sa.size(), 1u);
  char spis[48];
  std::snprintf(spis, sizeof spis, "%016llx_i %016llx_r", static_cast<unsigned long long>(sa[0].spi_i),
                static_cast<unsigned long long>(sa[0].spi_r));
  const std::string expected = "IKE_SA home[" + std::to_string(sa[0].id) + "] established between " +
                               sa[0].local.addr.to_string() + "[alice@example.org]..." +
                               sa[0].remote.addr.to_string() + "[bob.example.org] SPIs " + spis;
  int found = 0;
  for (const auto& e : p.a.events) {
    if (e.kind != EventKind::IkeSaEstablished) continue;
    EXPECT_EQ(e.message, expected);
    ++found;
  }
  EXPECT_EQ(found, 1);

  ASSERT_EQ(p.ia.active.size(), 1u);
  const auto& child = p.ia.active.begin()->second;
  std::snprintf(spis, sizeof spis, "%08x_i %08x_o", child.spi_in, child.spi_out);
  const std::string child_expected =
      std::string("CHILD_SA net {1} established with SPIs ") + spis + " (tunnel)";
  found = 0;
  for (const auto& e : p.a.events) {
    if (e.kind != EventKind::ChildSaEstablished) continue;
    EXPECT_EQ(e.message, child_expected);
    ++found;
  }
  EXPECT_EQ(found, 1);
}

struct Family {
  const char* name;
  wire::Proposal ike;
  wire::Proposal esp;
};

class EngineFamilies : public ::testing::TestWithParam<Family> {};

TEST_P(EngineFamilies, Handshake) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b}) {
    c->connections[0].ike_proposals = {GetParam().ike};
    c->connections[0].children[0].esp_proposals = {GetParam().esp};
  }
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "net", p.now).has_value());
  p.run();
  ASSERT_TRUE(p.has_event(true, EventKind::IkeSaEstablished)) << GetParam().name;
  expect_child_pair(p.ia, p.ib);
  // Liveness over the negotiated SK payload works in both directions.
  auto sa_a = p.a.engine.status()[0].id;
  auto sa_b = p.b.engine.status()[0].id;
  ASSERT_TRUE(p.a.engine.send_dpd(sa_a, p.now).has_value());
  ASSERT_TRUE(p.b.engine.send_dpd(sa_b, p.now).has_value());
  p.run();
  EXPECT_EQ(p.a.engine.counters().rx_bad_icv + p.b.engine.counters().rx_bad_icv, 0u);
  EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    All, EngineFamilies,
    ::testing::Values(
        Family{"aes128gcm16-prfsha256-x25519",
               ike_proposal(EncrId::AesGcm16, 128, PrfId::HmacSha2_256, IntegId::None, KeGroup::Curve25519),
               esp_proposal(EncrId::AesGcm16, 128, IntegId::None)},
        Family{"aes256gcm16-prfsha384-ecp384",
               ike_proposal(EncrId::AesGcm16, 256, PrfId::HmacSha2_384, IntegId::None, KeGroup::Ecp384),
               esp_proposal(EncrId::AesGcm16, 256, IntegId::None)},
        Family{"chacha20poly1305-prfsha256-curve25519",
               ike_proposal(EncrId::ChaCha20Poly1305, 0, PrfId::HmacSha2_256, IntegId::None,
                            KeGroup::Curve25519),
               esp_proposal(EncrId::ChaCha20Poly1305, 0, IntegId::None)},
        Family{"aes128-sha256-modp2048",
               ike_proposal(EncrId::AesCbc, 128, PrfId::HmacSha2_256, IntegId::HmacSha2_256_128,
                            KeGroup::Modp2048),
               esp_proposal(EncrId::AesCbc, 128, IntegId::HmacSha2_256_128)},
        Family{"aes128ctr-aesxcbc-ecp256",
               ike_proposal(EncrId::AesCtr, 128, PrfId::Aes128Xcbc, IntegId::AesXcbc96, KeGroup::Ecp256),
               esp_proposal(EncrId::AesCtr, 128, IntegId::AesXcbc96)},
        Family{"aes256-sha512-x448-cmac",
               ike_proposal(EncrId::AesCbc, 256, PrfId::Aes128Cmac, IntegId::HmacSha2_512_256,
                            KeGroup::Curve448),
               esp_proposal(EncrId::AesCbc, 256, IntegId::HmacSha2_512_256)},
        Family{"aes192gcm12-prfsha512-ecp521",
               ike_proposal(EncrId::AesGcm12, 192, PrfId::HmacSha2_512, IntegId::None, KeGroup::Ecp521),
               esp_proposal(EncrId::AesGcm8, 192, IntegId::None)},
        Family{"3des-sha1-modp3072",
               ike_proposal(EncrId::TripleDes, 0, PrfId::HmacSha1, IntegId::HmacSha1_96, KeGroup::Modp3072),
               esp_proposal(EncrId::NullAuthAesGmac, 128, IntegId::None)}),
    [](const auto& param_info) {
      std::string n = param_info.param.name;
      for (auto& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(EngineHandshake, Ipv6) {
  auto pc = default_pair(true);
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  expect_child_pair(p.ia, p.ib);
  EXPECT_EQ(p.ia.active.begin()->second.remote.addr.to_string(), "2001:db8::2");
  EXPECT_FALSE(p.ia.active.begin()->second.udp_encap);
}

TEST(EngineHandshake, IdentityTypes) {
  const std::vector<std::pair<std::string, std::string>> ids = {
      {"192.0.2.1", "192.0.2.2"},
      {"2001:db8::a", "2001:db8::b"},
      {"@#0102030405", "@#a1b2c3"},
      {"C=CH, O=Portunus, CN=alice", "C=CH, O=Portunus, CN=bob"},
      {"fqdn:alice.example.org", "rfc822:bob@example.org"},
  };
  for (const auto& [ida, idb] : ids) {
    auto pc = default_pair();
    pc.a.connections[0].local.id = ida;
    pc.a.connections[0].remote.id = idb;
    pc.b.connections[0].local.id = idb;
    pc.b.connections[0].remote.id = ida;
    for (auto* c : {&pc.a, &pc.b}) c->secrets[0].ids = {ida, idb};
    EnginePair p(pc);
    ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
    p.run();
    ASSERT_TRUE(p.has_event(true, EventKind::IkeSaEstablished)) << ida << " / " << idb;
    EXPECT_EQ(p.b.engine.status()[0].remote_id, p.a.engine.status()[0].local_id);
    EXPECT_EQ(p.a.engine.status()[0].remote_id, p.b.engine.status()[0].local_id);
  }
}

TEST(EngineHandshake, DefaultIdentityIsTheIpAddressAndIdrIsOptional) {
  auto pc = default_pair();
  pc.a.connections[0].local.id = "";
  pc.a.connections[0].remote.id = "%any";  // no IDr sent
  pc.b.connections[0].remote.id = "192.0.2.1";
  for (auto* c : {&pc.a, &pc.b}) c->secrets[0].ids = {};
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_EQ(p.b.engine.status()[0].remote_id, "192.0.2.1");
}

TEST(EngineHandshake, InvalidKePayloadRetryWithRequestedGroup) {
  auto pc = default_pair();
  // Alice's first proposal leads with ECP-256; Bob accepts only X25519 (but the same ciphers).
  pc.a.connections[0].ike_proposals = {
      ike_proposal(EncrId::AesGcm16, 128, PrfId::HmacSha2_256, IntegId::None, KeGroup::Ecp256),
      ike_proposal(EncrId::AesGcm16, 128, PrfId::HmacSha2_256, IntegId::None, KeGroup::Curve25519)};
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_EQ(p.b.engine.counters().invalid_ke_sent, 1u);
  ASSERT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_EQ(p.a.engine.status()[0].group, KeGroup::Curve25519);
  EXPECT_EQ(p.b.engine.half_open_count(), 0u);
}

TEST(EngineHandshake, NoProposalChosenFailsCleanly) {
  auto pc = default_pair();
  pc.b.connections[0].ike_proposals = {
      ike_proposal(EncrId::AesCbc, 256, PrfId::HmacSha2_512, IntegId::HmacSha2_512_256, KeGroup::Ecp521)};
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaFailed));
  EXPECT_EQ(p.a.engine.ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 0u);
  EXPECT_FALSE(p.a.engine.next_wakeup().has_value());
}

TEST(EngineHandshake, WrongPskIsAuthenticationFailed) {
  auto pc = default_pair();
  pc.b.secrets[0].secret = SecureBytes(as_bytes("a different secret"));
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_EQ(p.b.engine.counters().auth_failed, 1u);
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaFailed));
  EXPECT_EQ(p.a.engine.ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 0u);
  EXPECT_TRUE(p.ia.installed.empty());
  EXPECT_TRUE(p.ib.installed.empty());
  EXPECT_EQ(p.b.engine.half_open_count(), 0u);
}

// The responder caches the keyed PSK pad across IKE SAs: a reload with a new secret must
// take effect for the next handshake, in both directions of the change.
TEST(EngineHandshake, ReloadedPskTakesEffectForTheNextIkeSa) {
  auto pc = default_pair();
  EnginePair p(pc);
  auto first = p.a.engine.initiate("home", "", p.now);
  ASSERT_TRUE(first.has_value());
  p.run();
  ASSERT_EQ(p.b.engine.counters().ike_sa_established, 1u);
  ASSERT_TRUE(p.a.engine.terminate_ike(*first, p.now));  // the next initiate makes a new IKE SA
  p.run();
  ASSERT_EQ(p.b.engine.ike_sa_count(), 0u);

  EngineConfig changed = pc.b;
  changed.secrets[0].secret = SecureBytes(as_bytes("a different secret"));
  p.b.engine.reload(changed, p.now);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_EQ(p.b.engine.counters().auth_failed, 1u);  // the old pad was not reused
  EXPECT_EQ(p.b.engine.counters().ike_sa_established, 1u);

  p.b.engine.reload(pc.b, p.now);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_EQ(p.b.engine.counters().ike_sa_established, 2u);
  EXPECT_EQ(p.b.engine.counters().auth_failed, 1u);
}

TEST(EngineHandshake, UnexpectedPeerIdentityIsRejected) {
  auto pc = default_pair();
  pc.b.connections[0].remote.id = "carol@example.org";
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_EQ(p.a.engine.ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 0u);
}

TEST(EngineHandshake, TsUnacceptableLeavesIkeSaUp) {
  auto pc = default_pair();
  pc.b.connections[0].children[0].remote_ts = {cts("172.16.0.0", 12)};
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_TRUE(p.has_event(true, EventKind::ChildSaFailed));
  EXPECT_TRUE(p.has_event(false, EventKind::ChildSaFailed));
  EXPECT_TRUE(p.ia.active.empty());
  EXPECT_TRUE(p.ib.active.empty());
  EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
}

TEST(EngineHandshake, EspNoProposalChosenLeavesIkeSaUp) {
  auto pc = default_pair();
  pc.b.connections[0].children[0].esp_proposals = {
      esp_proposal(EncrId::AesCbc, 256, IntegId::HmacSha2_384_192)};
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_TRUE(p.has_event(true, EventKind::ChildSaFailed));
  EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
  EXPECT_TRUE(p.ia.active.empty());
}

TEST(EngineHandshake, NarrowsToResponderPolicy) {
  auto pc = default_pair();
  pc.b.connections[0].children[0].remote_ts = {cts("10.1.2.0", 24)};
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_EQ(p.ia.active.size(), 1u);
  const auto& pa = p.ia.active.begin()->second;
  EXPECT_EQ(pa.local_ts[0].start_addr.to_string(), "10.1.2.0");
  EXPECT_EQ(pa.local_ts[0].end_addr.to_string(), "10.1.2.255");
}

TEST(EngineHandshake, TransportMode) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b}) {
    c->connections[0].children[0].mode = IpsecMode::Transport;
    c->connections[0].children[0].local_ts = {};
    c->connections[0].children[0].remote_ts = {};  // dynamic: the hosts themselves
  }
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_EQ(p.ia.active.size(), 1u);
  EXPECT_EQ(p.ia.active.begin()->second.mode, IpsecMode::Transport);
  EXPECT_EQ(p.ib.active.begin()->second.mode, IpsecMode::Transport);
  EXPECT_EQ(p.ia.active.begin()->second.local_ts[0].start_addr.to_string(), "192.0.2.1");
}

TEST(EngineHandshake, CookieRequiredPastThreshold) {
  auto pc = default_pair();
  pc.b.cookie_threshold = 0;  // every IKE_SA_INIT must carry a cookie
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_EQ(p.b.engine.counters().cookies_sent, 1u);
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
}

TEST(EngineHandshake, HalfOpenFloodIsBoundedAndCookiesKickIn) {
  auto pc = default_pair();
  pc.b.cookie_threshold = 4;
  pc.b.max_half_open = 64;
  EnginePair p(pc);
  // Many initiators that never finish: each sends IKE_SA_INIT from its own address.
  for (int i = 0; i < 40; ++i) {
    auto apc = default_pair();
    auto ip = "192.0.2." + std::to_string(10 + i);
    apc.a.connections[0].local_addrs = {*IpAddress::parse(ip)};
    auto r = crypto::make_deterministic_random(500 + i);
    RecordingInstaller inst;
    Engine e(apc.a, *r, inst);
    ASSERT_TRUE(e.initiate("home", "", p.now).has_value());
    for (auto& d : e.take_datagrams()) p.b.engine.receive({d.remote, d.local, d.bytes, false}, p.now);
  }
  EXPECT_EQ(p.b.engine.half_open_count(), 4u);
  EXPECT_EQ(p.b.engine.counters().cookies_sent, 36u);
  // A legitimate initiator still gets through by returning the cookie.
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  // Half-open SAs expire.
  p.advance(std::chrono::seconds(31));
  EXPECT_EQ(p.b.engine.half_open_count(), 0u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
}

TEST(EngineHandshake, LostResponsesAreRetransmittedAndAnsweredFromCache) {
  EnginePair p(default_pair());
  int dropped = 0;
  // Drop Bob's first IKE_SA_INIT and first IKE_AUTH response.
  p.filter = [&](bool from_a, Datagram&) {
    if (!from_a && dropped < 2 && (p.b.sent.size() == 1 || p.b.sent.size() == 3)) {
      ++dropped;
      return false;
    }
    return true;
  };
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  EXPECT_FALSE(p.has_event(true, EventKind::IkeSaEstablished));
  p.advance(std::chrono::seconds(30));
  EXPECT_EQ(dropped, 2);
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_EQ(p.a.engine.counters().tx_retransmits, 2u);
  EXPECT_EQ(p.b.engine.counters().rx_retransmits, 2u);
  EXPECT_EQ(p.ib.installed.size(), 1u);  // the retransmitted IKE_AUTH was not processed twice
  expect_child_pair(p.ia, p.ib);
}

TEST(EngineHandshake, UnreachablePeerGivesUpAfterBudget) {
  auto pc = default_pair();
  pc.a.retransmit.tries = 3;
  EnginePair p(pc);
  p.filter = [](bool from_a, Datagram&) { return !from_a; };
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.advance(std::chrono::minutes(5));
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaFailed));
  EXPECT_EQ(p.a.engine.counters().tx_retransmits, 3u);
  EXPECT_EQ(p.a.engine.ike_sa_count(), 0u);
  EXPECT_FALSE(p.a.engine.next_wakeup().has_value());
}

TEST(EngineHandshake, HostileInputIsDroppedWithCounters) {
  EnginePair p(default_pair());
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_EQ(p.b.engine.ike_sa_count(), 1u);
  const auto st = p.b.engine.status()[0];
  Datagram d;
  d.local = {*IpAddress::parse("192.0.2.2"), 500};
  d.remote = {*IpAddress::parse("192.0.2.1"), 500};
  // Garbage and truncation.
  d.bytes = {1, 2, 3};
  p.b.engine.receive(d, p.now);
  EXPECT_EQ(p.b.engine.counters().rx_malformed, 1u);
  // A well-formed header for an unknown SA.
  wire::Message m;
  m.header.initiator_spi = 0x1111;
  m.header.responder_spi = 0x2222;
  m.header.exchange = wire::ExchangeType::Informational;
  m.header.initiator = true;
  m.header.message_id = 2;
  d.bytes = *wire::encode_message(m);
  p.b.engine.receive(d, p.now);
  EXPECT_EQ(p.b.engine.counters().rx_unknown_spi, 1u);
  // The right SPIs but a forged SK payload: bad ICV.
  m.header.initiator_spi = st.spi_i;
  m.header.responder_spi = st.spi_r;
  m.payloads.push_back(wire::EncryptedPayload{wire::PayloadType::NoNext, Bytes(8 + 16 + 16, 0x5a)});
  d.bytes = *wire::encode_message(m);
  p.b.engine.receive(d, p.now);
  EXPECT_EQ(p.b.engine.counters().rx_bad_icv, 1u);
  // Out of window (an old message ID).
  m.header.message_id = 0;
  d.bytes = *wire::encode_message(m);
  p.b.engine.receive(d, p.now);
  EXPECT_EQ(p.b.engine.counters().rx_out_of_window, 1u);
  EXPECT_TRUE(p.b.engine.take_datagrams().empty());
  // Replaying Alice's recorded IKE_AUTH request is answered from the cache, not reprocessed.
  ASSERT_GE(p.a.sent.size(), 2u);
  const auto& auth = p.a.sent[1];
  p.b.engine.receive({auth.remote, auth.local, auth.bytes, false}, p.now);
  EXPECT_EQ(p.b.engine.counters().rx_retransmits, 1u);
  EXPECT_EQ(p.ib.installed.size(), 1u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
}

TEST(EngineHandshake, UnknownCriticalPayloadInInitIsRejected) {
  EnginePair p(default_pair());
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  auto out = p.a.engine.take_datagrams();
  ASSERT_EQ(out.size(), 1u);
  auto msg = wire::decode_message(out[0].bytes);
  ASSERT_TRUE(msg.has_value());
  msg->payloads.push_back(wire::UnknownPayload{99, true, {1, 2, 3}});
  auto bytes = wire::encode_message(*msg);
  ASSERT_TRUE(bytes.has_value());
  p.b.engine.receive({out[0].remote, out[0].local, *bytes, false}, p.now);
  auto reply = p.b.engine.take_datagrams();
  ASSERT_EQ(reply.size(), 1u);
  auto r = wire::decode_message(reply[0].bytes);
  ASSERT_TRUE(r.has_value());
  const auto* n = r->find_notify(wire::NotifyType::UnsupportedCriticalPayload);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, Bytes{99});
  EXPECT_EQ(p.b.engine.ike_sa_count(), 0u);
}

TEST(EngineHandshake, AnnouncesFragmentationAndSignatureHashes) {
  EnginePair p(default_pair());
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  for (const auto* sent : {&p.a.sent[0], &p.b.sent[0]}) {
    auto m = wire::decode_message(sent->bytes);
    ASSERT_TRUE(m.has_value());
    EXPECT_NE(m->find_notify(wire::NotifyType::Ikev2FragmentationSupported), nullptr);
    EXPECT_NE(m->find_notify(wire::NotifyType::SignatureHashAlgorithms), nullptr);
    EXPECT_NE(m->find_notify(wire::NotifyType::NatDetectionSourceIp), nullptr);
  }
}

TEST(EngineHandshake, FragmentedRequestIsReassembled) {
  EnginePair p(default_pair());
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_EQ(p.ib.active.size(), 1u);
  const auto st = p.a.engine.status()[0];
  // INFORMATIONAL { Delete(ESP, Alice's inbound SPI) } in three fragments, out of order and
  // with a duplicate: Bob must reassemble, authenticate and act on it exactly once.
  auto chain = wire::encode_payloads({wire::DeletePayload{wire::ProtocolId::Esp, {st.children[0].spi_in}}});
  ASSERT_TRUE(chain.has_value());
  auto frags = p.a.engine.craft_fragmented_request(
      st.id, 37, 2, static_cast<uint8_t>(wire::PayloadType::Delete), *chain, 3);
  ASSERT_TRUE(frags.has_value()) << frags.error().message;
  ASSERT_EQ(frags->size(), 3u);
  for (int i : {2, 0, 0})
    p.b.engine.receive({(*frags)[i].remote, (*frags)[i].local, (*frags)[i].bytes, false}, p.now);
  EXPECT_EQ(p.ib.active.size(), 1u);  // incomplete: nothing happened yet
  EXPECT_TRUE(p.b.engine.take_datagrams().empty());
  p.b.engine.receive({(*frags)[1].remote, (*frags)[1].local, (*frags)[1].bytes, false}, p.now);
  EXPECT_TRUE(p.ib.active.empty());
  EXPECT_EQ(p.b.engine.take_datagrams().size(), 1u);  // the INFORMATIONAL response
  // A tampered fragment fails its own ICV.
  auto bad = (*frags)[0];
  bad.bytes.back() ^= 1;
  p.b.engine.receive({bad.remote, bad.local, bad.bytes, false}, p.now);
  EXPECT_EQ(p.b.engine.counters().rx_bad_icv + p.b.engine.counters().rx_retransmits, 1u);
}

TEST(EngineHandshake, KeyExportInWiresharkFormat) {
  auto pc = default_pair();
  pc.a.export_keys = true;
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  auto keys = p.a.engine.take_key_exports();
  ASSERT_EQ(keys.size(), 1u);
  const std::string line = keys[0].wireshark_line();
  const auto st = p.a.engine.status()[0];
  char spi[17];
  snprintf(spi, sizeof spi, "%016llx", static_cast<unsigned long long>(st.spi_i));
  EXPECT_EQ(line.rfind(std::string("\"") + spi + "\",", 0), 0u) << line;
  EXPECT_NE(line.find("\"AES-GCM-128 with 16 octet ICV [RFC5282]\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"NONE [RFC4306]\""), std::string::npos) << line;
  EXPECT_TRUE(p.b.engine.take_key_exports().empty());  // off by default
}

}  // namespace
}  // namespace portunus::ike::testing
