// RFC 7383 on the sending side between two engines: large IKE_AUTH (RSA certificate chains,
// or many traffic selectors) and CREATE_CHILD_SA messages go out as SKF fragments that each
// fit the configured IP datagram size, lost fragments are recovered by retransmission of the
// whole fragment set, and `fragmentation = accept / no` or a peer without support never
// get (or send) SKF.
#include <gtest/gtest.h>

#include "../crypto/x509_fixtures.h"
#include "engine_pair.h"
#include "portunus/crypto/protector.h"
#include "portunus/ike/fragment.h"

namespace portunus::ike::testing {
namespace {

using test::pki::Issued;
using test::pki::KeyKind;

constexpr uint8_t kSkf = 53;
constexpr uint8_t kSk = 46;

// What one datagram is, from its IKE header.
struct Seen {
  uint8_t exchange = 0;
  bool response = false;
  uint8_t next_payload = 0;
  uint32_t message_id = 0;
  size_t ip_size = 0;  // the whole IP datagram: IP + UDP + non-ESP marker + IKE message
  uint16_t frag_number = 0, frag_total = 0;
};

Seen seen(const Datagram& d) {
  Seen s;
  const Bytes& b = d.bytes;
  if (b.size() < 28) return s;
  s.next_payload = b[16];
  s.exchange = b[18];
  s.response = (b[19] & 0x20) != 0;
  s.message_id = static_cast<uint32_t>(b[20]) << 24 | static_cast<uint32_t>(b[21]) << 16 |
                 static_cast<uint32_t>(b[22]) << 8 | b[23];
  const bool marker = d.local.port == 4500 || d.remote.port == 4500;
  s.ip_size = ip_udp_overhead(!d.remote.addr.is_v4(), marker) + b.size();
  if (s.next_payload == kSkf && b.size() >= 36) {
    s.frag_number = static_cast<uint16_t>(b[32] << 8 | b[33]);
    s.frag_total = static_cast<uint16_t>(b[34] << 8 | b[35]);
  }
  return s;
}

size_t count_skf(const std::vector<Datagram>& sent) {
  size_t n = 0;
  for (const auto& d : sent) n += seen(d).next_payload == kSkf;
  return n;
}

std::string events_of(const EnginePair& p, bool on_a) {
  std::string s;
  for (const auto& e : (on_a ? p.a : p.b).events) s += e.message + "\n";
  return s;
}

void expect_established(const EnginePair& p) {
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished)) << events_of(p, true);
  EXPECT_TRUE(p.has_event(false, EventKind::IkeSaEstablished)) << events_of(p, false);
  EXPECT_EQ(p.ia.active.size(), 1u);
  EXPECT_EQ(p.ib.active.size(), 1u);
}

// Every datagram either side sent: IKE_SA_INIT never fragmented; SKF fragments within
// `size`, numbered 1..N of one total per message, the first carrying the inner payload type.
void check_wire(const std::vector<Datagram>& sent, size_t size) {
  for (const auto& d : sent) {
    const Seen s = seen(d);
    if (s.exchange == 34) {
      EXPECT_NE(s.next_payload, kSkf);
    }
    if (s.next_payload != kSkf) continue;
    EXPECT_LE(s.ip_size, size) << "fragment " << s.frag_number << "/" << s.frag_total;
    EXPECT_GE(s.frag_number, 1u);
    EXPECT_LE(s.frag_number, s.frag_total);
    EXPECT_GT(s.frag_total, 1u);
    const uint8_t first_inner = d.bytes[28];
    if (s.frag_number == 1) {
      EXPECT_NE(first_inner, 0u);
    } else {
      EXPECT_EQ(first_inner, 0u);
    }
  }
}

// Alice and Bob authenticate with RSA-2048 certificates and send their chains
// (leaf + intermediate + root): IKE_AUTH of about 3 kB each way.
PairConfig rsa_pair() {
  static const Issued root =
      test::pki::issue({.cn = "Fragment Root CA", .ca = true, .serial = 1}, KeyKind::Rsa2048, nullptr);
  static const Issued inter =
      test::pki::issue({.cn = "Fragment Intermediate CA", .ca = true, .serial = 2}, KeyKind::Rsa2048, &root);
  static const Issued alice = test::pki::issue({.cn = "alice",
                                                .sans = {"email:alice@example.org"},
                                                .key_usage = "critical,digitalSignature",
                                                .serial = 10},
                                               KeyKind::Rsa2048, &inter);
  static const Issued bob = test::pki::issue(
      {.cn = "bob", .sans = {"DNS:bob.example.org"}, .key_usage = "critical,digitalSignature", .serial = 11},
      KeyKind::Rsa2048, &inter);
  PairConfig pc = default_pair();
  auto& a = pc.a.connections[0];
  auto& b = pc.b.connections[0];
  a.local.auth = b.local.auth = AuthClass::PubKey;
  a.remote.auth = b.remote.auth = AuthClass::PubKey;
  a.local.credentials = {CertCredentials{alice.private_key(), alice.cert(), {inter.cert(), root.cert()}}};
  b.local.credentials = {CertCredentials{bob.private_key(), bob.cert(), {inter.cert(), root.cert()}}};
  auto t = std::make_shared<crypto::TrustStore>();
  if (!t->add_ca(root.cert())) throw std::runtime_error("add_ca");
  a.remote.trust = t;
  b.remote.trust = t;
  a.send_cert = b.send_cert = SendCert::Always;
  pc.a.secrets.clear();
  pc.b.secrets.clear();
  return pc;
}

// PSK, but `n` traffic selectors each way: IKE_AUTH and CREATE_CHILD_SA of about 16n octets
// per TS payload, with no certificate work (cheap, for the loss and policy tests).
PairConfig many_ts_pair(int n, bool v6 = false, crypto::EncrId encr = crypto::EncrId::AesGcm16) {
  PairConfig pc = default_pair(v6);
  auto& a = pc.a.connections[0];
  auto& b = pc.b.connections[0];
  if (encr != crypto::EncrId::AesGcm16) {
    a.ike_proposals = {ike_proposal(encr, 256, crypto::PrfId::HmacSha2_256, crypto::IntegId::HmacSha2_256_128,
                                    crypto::KeGroup::Curve25519)};
    b.ike_proposals = a.ike_proposals;
  }
  std::vector<ConfiguredTs> left, right;
  for (int i = 0; i < n; ++i) {
    char l[48], r[48];
    if (v6) {
      snprintf(l, sizeof l, "2001:db8:1:%x::", i);
      snprintf(r, sizeof r, "2001:db8:2:%x::", i);
    } else {
      snprintf(l, sizeof l, "10.1.%d.0", i);
      snprintf(r, sizeof r, "10.2.%d.0", i);
    }
    left.push_back(cts(l, v6 ? 64 : 24));
    right.push_back(cts(r, v6 ? 64 : 24));
  }
  a.children[0].local_ts = left;
  a.children[0].remote_ts = right;
  b.children[0].local_ts = right;
  b.children[0].remote_ts = left;
  return pc;
}

void set_fragmentation(PairConfig& pc, Fragmentation a, Fragmentation b, uint32_t size) {
  pc.a.connections[0].fragmentation = a;
  pc.b.connections[0].fragmentation = b;
  pc.a.fragment_size = pc.b.fragment_size = size;
}

void handshake(EnginePair& p) {
  auto id = p.a.engine.initiate("home", "", p.now);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  p.run();
}

std::unique_ptr<crypto::Protector> protector(crypto::EncrId encr, unsigned bits, crypto::IntegId integ) {
  auto sizes = crypto::key_sizes(encr, bits, integ);
  if (!sizes) throw std::runtime_error("key_sizes");
  Bytes ek(sizes->encr_keymat, 0x11), ik(sizes->integ_key, 0x22);
  auto p = crypto::make_protector(encr, bits, ek, integ, ik);
  if (!p) throw std::runtime_error("make_protector");
  return std::move(*p);
}

TEST(FragmentCapacity, FitsTheDatagramAndUsesIt) {
  EXPECT_EQ(ip_udp_overhead(false, false), 28u);
  EXPECT_EQ(ip_udp_overhead(false, true), 32u);
  EXPECT_EQ(ip_udp_overhead(true, true), 52u);
  // AES-GCM-16: 8-octet IV, 16-octet ICV, no block alignment.
  // 576 - (20 IP + 8 UDP + 28 IKE + 8 SKF + 8 IV + 16 ICV) = 488, minus the Pad Length octet.
  auto gcm = protector(crypto::EncrId::AesGcm16, 128, crypto::IntegId::None);
  EXPECT_EQ(fragment_capacity(576, false, false, *gcm), 487u);
  EXPECT_EQ(fragment_capacity(576, false, true, *gcm), 483u);
  EXPECT_EQ(fragment_capacity(1280, true, true, *gcm), 1280u - 52 - 28 - 8 - 8 - 16 - 1);
  EXPECT_EQ(fragment_capacity(100, false, false, *gcm), 11u);
  EXPECT_EQ(fragment_capacity(88, false, false, *gcm), 0u);
  // AES-CBC + HMAC-SHA-256-128: 16-octet IV and blocks, 16-octet ICV:
  // 576 - 28 - 28 - 8 - 16 - 16 = 480 = 30 blocks, minus the Pad Length octet.
  auto cbc = protector(crypto::EncrId::AesCbc, 256, crypto::IntegId::HmacSha2_256_128);
  EXPECT_EQ(fragment_capacity(576, false, false, *cbc), 479u);
  EXPECT_EQ(fragment_capacity(590, false, false, *cbc), 479u);  // 494 rounds down to 480

  // Sealed for real: every fragment within the size, the whole chain split over them, and
  // a message that fits is left whole.
  auto rnd = crypto::make_deterministic_random(7);
  wire::IkeHeader h;
  h.initiator_spi = 1;
  h.responder_spi = 2;
  h.exchange = wire::ExchangeType::IkeAuth;
  h.initiator = true;
  h.message_id = 1;
  for (auto* prot : {gcm.get(), cbc.get()}) {
    Bytes chain(3000, 0x5a);
    auto out = seal_for_path(h, wire::PayloadType::IdInitiator, chain, 576, false, true, *prot, *rnd);
    ASSERT_TRUE(out.has_value());
    const size_t cap = fragment_capacity(576, false, true, *prot);
    EXPECT_EQ(out->size(), (chain.size() + cap - 1) / cap);
    for (const auto& f : *out) {
      EXPECT_LE(f.size() + ip_udp_overhead(false, true), 576u);
      EXPECT_EQ(f[16], kSkf);
    }
    auto small = seal_for_path(h, wire::PayloadType::IdInitiator, BytesView(chain.data(), 400), 576, false,
                               true, *prot, *rnd);
    ASSERT_TRUE(small.has_value());
    ASSERT_EQ(small->size(), 1u);
    EXPECT_EQ((*small)[0][16], kSk);
    auto off = seal_for_path(h, wire::PayloadType::IdInitiator, chain, 0, false, true, *prot, *rnd);
    ASSERT_TRUE(off.has_value());
    EXPECT_EQ(off->size(), 1u);
  }
}

TEST(EngineFragment, RsaChainsFragmentBothWaysWithinTheSize) {
  for (uint32_t size : {1280u, 576u}) {
    SCOPED_TRACE(size);
    auto pc = rsa_pair();
    set_fragmentation(pc, Fragmentation::Yes, Fragmentation::Yes, size);
    EnginePair p(pc);
    handshake(p);
    expect_established(p);
    check_wire(p.a.sent, size);
    check_wire(p.b.sent, size);
    // Both IKE_AUTH messages went out fragmented, IKE_SA_INIT whole.
    const size_t fa = count_skf(p.a.sent), fb = count_skf(p.b.sent);
    EXPECT_GE(fa, size == 576 ? 4u : 2u);
    EXPECT_GE(fb, size == 576 ? 4u : 2u);
    EXPECT_EQ(p.a.engine.counters().tx_fragments, fa);
    EXPECT_EQ(p.b.engine.counters().rx_fragments, fa);
    EXPECT_EQ(p.b.engine.counters().tx_fragments, fb);
    // No more fragments than needed: the chain would not fit into one fragment fewer.
    // AES-GCM: a fragment carries its share of the chain plus the IP/UDP/marker headers,
    // IKE header 28, SKF header 8, IV 8, ICV 16 and the Pad Length octet (no padding).
    for (const auto* sent : {&p.a.sent, &p.b.sent}) {
      size_t count = 0, carried = 0, capacity = 0;
      for (const auto& d : *sent) {
        const Seen s = seen(d);
        if (s.next_payload != kSkf) continue;
        const size_t overhead = s.ip_size - d.bytes.size() + 28 + 8 + 8 + 16 + 1;
        carried += s.ip_size - overhead;
        capacity = size - overhead;
        ++count;
      }
      EXPECT_GT(carried, (count - 1) * capacity) << count << " fragments for " << carried;
    }
    std::string log = events_of(p, true);
    EXPECT_NE(log.find("into " + std::to_string(fa) + " fragments"), std::string::npos) << log;
    EXPECT_NE(log.find("from " + std::to_string(fb) + " fragments"), std::string::npos) << log;
  }
}

TEST(EngineFragment, Ipv6AndCbcAccountForTheirOverhead) {
  struct Case {
    bool v6;
    crypto::EncrId encr;
  };
  for (Case c : {Case{true, crypto::EncrId::AesGcm16}, Case{false, crypto::EncrId::AesCbc},
                 Case{true, crypto::EncrId::AesCbc}}) {
    SCOPED_TRACE(::testing::Message() << "v6=" << c.v6 << " encr=" << static_cast<int>(c.encr));
    auto pc = many_ts_pair(120, c.v6, c.encr);
    set_fragmentation(pc, Fragmentation::Yes, Fragmentation::Yes, 600);
    EnginePair p(pc);
    handshake(p);
    expect_established(p);
    check_wire(p.a.sent, 600);
    check_wire(p.b.sent, 600);
    EXPECT_GE(count_skf(p.a.sent), 4u);
    EXPECT_GE(count_skf(p.b.sent), 4u);
  }
}

TEST(EngineFragment, SmallMessagesStayWhole) {
  auto pc = default_pair();
  set_fragmentation(pc, Fragmentation::Yes, Fragmentation::Yes, 576);
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  EXPECT_EQ(count_skf(p.a.sent) + count_skf(p.b.sent), 0u);
}

// A lost fragment of the request: Alice's retransmission resends all of them.
TEST(EngineFragment, LostRequestFragmentIsRecoveredByRetransmission) {
  auto pc = many_ts_pair(100);
  set_fragmentation(pc, Fragmentation::Yes, Fragmentation::Yes, 576);
  EnginePair p(pc);
  int dropped = 0;
  p.filter = [&](bool from_a, Datagram& d) {
    const Seen s = seen(d);
    if (from_a && s.next_payload == kSkf && s.frag_number == 2 && dropped == 0) {
      ++dropped;
      return false;
    }
    return true;
  };
  handshake(p);
  EXPECT_FALSE(p.has_event(true, EventKind::IkeSaEstablished));
  const size_t first_round = count_skf(p.a.sent);
  ASSERT_GE(first_round, 3u);
  p.advance(std::chrono::seconds(5));
  expect_established(p);
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(p.a.engine.counters().tx_retransmits, 1u);
  EXPECT_EQ(count_skf(p.a.sent), 2 * first_round);  // every fragment again
}

// A lost fragment of the response: Alice retransmits her request, Bob answers the first
// fragment of the retransmission (RFC 7383 2.6.1) with all fragments of his cached response.
TEST(EngineFragment, LostResponseFragmentIsResentFromTheCache) {
  auto pc = many_ts_pair(100);
  set_fragmentation(pc, Fragmentation::Yes, Fragmentation::Yes, 576);
  EnginePair p(pc);
  int dropped = 0;
  p.filter = [&](bool from_a, Datagram& d) {
    const Seen s = seen(d);
    if (!from_a && s.next_payload == kSkf && s.frag_number == s.frag_total && dropped == 0) {
      ++dropped;
      return false;
    }
    return true;
  };
  handshake(p);
  EXPECT_FALSE(p.has_event(true, EventKind::IkeSaEstablished));
  EXPECT_TRUE(p.has_event(false, EventKind::IkeSaEstablished));
  const size_t response_frags = count_skf(p.b.sent);
  ASSERT_GE(response_frags, 3u);
  p.advance(std::chrono::seconds(5));
  expect_established(p);
  EXPECT_EQ(p.b.engine.counters().rx_retransmits, 1u);  // once, not once per request fragment
  EXPECT_EQ(count_skf(p.b.sent), 2 * response_frags);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
}

// After IKE_AUTH: a CREATE_CHILD_SA rekey with the same selectors is fragmented too.
TEST(EngineFragment, CreateChildSaIsFragmented) {
  auto pc = many_ts_pair(100);
  set_fragmentation(pc, Fragmentation::Yes, Fragmentation::Yes, 576);
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  const auto st = p.a.engine.status()[0];
  p.a.sent.clear();
  p.b.sent.clear();
  ASSERT_TRUE(p.a.engine.rekey_child(st.id, st.children[0].spi_in, p.now).has_value());
  p.run();
  EXPECT_GE(count_skf(p.a.sent), 3u);
  EXPECT_GE(count_skf(p.b.sent), 3u);
  for (const auto& d : p.a.sent) {
    if (seen(d).next_payload == kSkf) {
      EXPECT_EQ(seen(d).exchange, 36);
    }
  }
  check_wire(p.a.sent, 576);
  check_wire(p.b.sent, 576);
  EXPECT_TRUE(p.has_event(true, EventKind::ChildSaRekeyed)) << events_of(p, true);
}

// accept: announced, received, never sent. no: not announced, so the peer does not send
// SKF either. The large messages then go whole.
TEST(EngineFragment, AcceptAndNoNeverSendFragments) {
  struct Case {
    Fragmentation a, b;
    bool a_sends, b_sends;
  };
  for (Case c : {Case{Fragmentation::Accept, Fragmentation::Yes, false, true},
                 Case{Fragmentation::Yes, Fragmentation::Accept, true, false},
                 Case{Fragmentation::Accept, Fragmentation::Accept, false, false},
                 Case{Fragmentation::No, Fragmentation::Yes, false, false},
                 Case{Fragmentation::Yes, Fragmentation::No, false, false},
                 Case{Fragmentation::Force, Fragmentation::No, false, false},
                 Case{Fragmentation::Force, Fragmentation::Force, true, true}}) {
    SCOPED_TRACE(::testing::Message() << static_cast<int>(c.a) << "/" << static_cast<int>(c.b));
    auto pc = many_ts_pair(100);
    set_fragmentation(pc, c.a, c.b, 576);
    EnginePair p(pc);
    handshake(p);
    expect_established(p);
    EXPECT_EQ(count_skf(p.a.sent) > 0, c.a_sends);
    EXPECT_EQ(count_skf(p.b.sent) > 0, c.b_sends);
    // IKE_SA_INIT announces support exactly when the side allows it (and, for the
    // responder, when the initiator announced it).
    const bool a_announces = c.a != Fragmentation::No;
    const bool b_announces = a_announces && c.b != Fragmentation::No;
    auto announces = [](const Datagram& d) {
      auto m = wire::decode_message(d.bytes);
      return m && m->find_notify(wire::NotifyType::Ikev2FragmentationSupported) != nullptr;
    };
    EXPECT_EQ(announces(p.a.sent.front()), a_announces);
    EXPECT_EQ(announces(p.b.sent.front()), b_announces);
  }
}

// fragmentation = no only stops announcing and sending: SKF from a peer that ignores the
// missing announcement is still reassembled, as strongSwan documents for swanctl.conf.
TEST(EngineFragment, NoStillReassemblesUnannouncedFragments) {
  auto pc = default_pair();
  pc.b.connections[0].fragmentation = Fragmentation::No;
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  const auto st = p.a.engine.status()[0];
  auto chain = wire::encode_payloads({wire::DeletePayload{wire::ProtocolId::Esp, {st.children[0].spi_in}}});
  ASSERT_TRUE(chain.has_value());
  auto frags = p.a.engine.craft_fragmented_request(
      st.id, 37, 2, static_cast<uint8_t>(wire::PayloadType::Delete), *chain, 2);
  ASSERT_TRUE(frags.has_value());
  for (auto& f : *frags) p.b.engine.receive({f.remote, f.local, f.bytes, false}, p.now);
  EXPECT_TRUE(p.ib.active.empty());                   // the Delete was acted on
  EXPECT_EQ(p.b.engine.take_datagrams().size(), 1u);  // and answered
  EXPECT_EQ(p.b.engine.counters().rx_fragments, 2u);
}

}  // namespace
}  // namespace portunus::ike::testing
