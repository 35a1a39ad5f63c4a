// A toy IP stack driving the Portunus packet API: two hosts, each with its own
// ipsec::Engine, protect UDP traffic between their subnets with an ESP tunnel
// (AES-128-GCM). Host A's stack hands each outbound packet to its engine, "sends" the
// ESP packet to host B, whose stack hands it to its engine and gets the original back.
// Returns 0 if every packet survived the round trip unchanged.
#include <cstdio>
#include <cstring>
#include <vector>

#include "portunus/crypto/random.h"
#include "portunus/ipsec/engine.h"
#include "portunus/wire/ip_packet.h"

using namespace portunus;

namespace {

IpAddress addr(const char* s) { return *IpAddress::parse(s); }

// What a real stack would have built: an IPv4/UDP datagram.
std::vector<uint8_t> make_udp(const IpAddress& src, const IpAddress& dst, const char* text) {
  size_t n = std::strlen(text);
  std::vector<uint8_t> p(28 + n, 0);
  p[0] = 0x45;
  store_be16(p.data() + 2, static_cast<uint16_t>(p.size()));
  p[8] = 64;
  p[9] = wire::ipproto::kUdp;
  std::memcpy(p.data() + 12, src.data(), 4);
  std::memcpy(p.data() + 16, dst.data(), 4);
  wire::ipv4_set_checksum(MutBytes(p).first(20));
  store_be16(p.data() + 20, 40000);
  store_be16(p.data() + 22, 7);  // echo
  store_be16(p.data() + 24, static_cast<uint16_t>(8 + n));
  std::memcpy(p.data() + 28, text, n);
  return p;
}

struct Host {
  const char* name;
  IpAddress gateway;  // tunnel endpoint
  IpAddress subnet;   // /24 behind it
  ipsec::Engine engine;
};

// Policies on one side: protect subnet <-> peer subnet in a tunnel between the gateways.
bool configure(Host& self, const Host& peer, uint32_t spi_out, uint32_t spi_in, const Bytes& key_out,
               const Bytes& key_in) {
  for (ipsec::Direction dir : {ipsec::Direction::Outbound, ipsec::Direction::Inbound}) {
    ipsec::Policy p;
    p.direction = dir;
    p.selector.local = ipsec::AddressRange::prefix(self.subnet, 24);
    p.selector.remote = ipsec::AddressRange::prefix(peer.subnet, 24);
    p.action = ipsec::Action::Protect;
    p.mode = ipsec::Mode::Tunnel;
    p.tunnel_local = self.gateway;
    p.tunnel_remote = peer.gateway;
    p.reqid = 1;
    if (!self.engine.add_policy(p)) return false;
  }
  for (ipsec::Direction dir : {ipsec::Direction::Outbound, ipsec::Direction::Inbound}) {
    ipsec::SaParams sa;
    sa.direction = dir;
    sa.spi = dir == ipsec::Direction::Outbound ? spi_out : spi_in;
    sa.mode = ipsec::Mode::Tunnel;
    sa.local = self.gateway;
    sa.remote = peer.gateway;
    sa.encr = crypto::EncrId::AesGcm16;
    sa.encr_key_bits = 128;
    sa.encr_keymat = SecureBytes(dir == ipsec::Direction::Outbound ? key_out : key_in);
    sa.reqid = 1;
    auto id = self.engine.install_sa(std::move(sa), 0);
    if (!id) {
      std::fprintf(stderr, "%s: %s\n", self.name, id.error().message.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main() {
  Host a{"A", addr("192.0.2.1"), addr("10.1.0.0"), ipsec::Engine{}};
  Host b{"B", addr("192.0.2.2"), addr("10.2.0.0"), ipsec::Engine{}};
  // Keys as IKE would have derived them: 16 octets of AES key and a 4-octet salt per direction.
  Bytes k_ab = crypto::system_random().bytes(20);
  Bytes k_ba = crypto::system_random().bytes(20);
  if (!configure(a, b, 0x1000a, 0x1000b, k_ab, k_ba) || !configure(b, a, 0x1000b, 0x1000a, k_ba, k_ab))
    return 1;

  const char* messages[] = {"hello through the tunnel", "", "a somewhat longer message to see padding work"};
  int failures = 0;
  for (const char* text : messages) {
    std::vector<uint8_t> original = make_udp(addr("10.1.0.5"), addr("10.2.0.9"), text);
    // The stack reserves room in front of and behind each packet for ESP.
    std::vector<uint8_t> storage(ipsec::kRecommendedHeadroom + original.size() + ipsec::kRecommendedTailroom);
    ipsec::PacketBuffer pkt = ipsec::PacketBuffer::copy_into(storage, ipsec::kRecommendedHeadroom, original);

    ipsec::OutboundResult out = a.engine.outbound(pkt, 1);
    if (out.verdict != ipsec::Verdict::Protected) {
      std::fprintf(stderr, "A: outbound not protected (%s)\n", std::string(ipsec::name(out.reason)).c_str());
      return 1;
    }
    std::printf("A -> %s: %zu-octet ESP packet, SPI %08x\n", out.outer_dst.to_string().c_str(), pkt.size(),
                out.spi);

    // "The wire": B's stack receives exactly these octets.
    ipsec::InboundResult in = b.engine.inbound(pkt, 1);
    if (in.verdict != ipsec::Verdict::Deliver) {
      std::fprintf(stderr, "B: inbound not delivered (%s)\n", std::string(ipsec::name(in.reason)).c_str());
      return 1;
    }
    bool same = pkt.size() == original.size() && std::memcmp(pkt.data(), original.data(), pkt.size()) == 0;
    std::printf("B <- %zu-octet inner packet, %s\n", pkt.size(), same ? "identical" : "DIFFERENT");
    if (!same) ++failures;
  }
  // A replayed packet and cleartext that should have been protected are refused by B.
  std::vector<uint8_t> original = make_udp(addr("10.1.0.5"), addr("10.2.0.9"), "x");
  std::vector<uint8_t> storage(512);
  ipsec::PacketBuffer pkt = ipsec::PacketBuffer::copy_into(storage, ipsec::kRecommendedHeadroom, original);
  ipsec::InboundResult clear = b.engine.inbound(pkt, 2);
  if (clear.reason != ipsec::DiscardReason::CleartextRequiresProtection) ++failures;
  std::printf("B refuses cleartext: %s\n", std::string(ipsec::name(clear.reason)).c_str());
  return failures == 0 ? 0 : 1;
}
