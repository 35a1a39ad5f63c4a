// libFuzzer target for the IKEv2 engine in the responder role. The first input octet picks
// a scenario; the rest is a list of chunks, each a 2-octet big-endian length and content:
//   0: fresh responder; every chunk is a datagram from the network (IKE_SA_INIT floods,
//      garbage, truncation).
//   1: a real IKE_SA_INIT has been answered (half-open SA); chunks are datagrams whose
//      header SPIs are patched to that SA's, so they reach the window and ICV checks.
//   2: an established IKE SA; each chunk is [exchange][first payload][inner chain] that
//      the initiator encrypts with the real keys, so arbitrary authenticated payload
//      chains reach the exchange handlers (CREATE_CHILD_SA, INFORMATIONAL, IKE_AUTH...).
// Time advances one second per chunk and timers run. Properties: no crash, no sanitizer
// report, bounded state (at most max_half_open half-open SAs, checked).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "portunus/crypto/random.h"
#include "portunus/ike/engine.h"

using namespace portunus;
using namespace portunus::ike;

namespace {

struct NullInstaller final : ChildSaInstaller {
  Result<void> install_child_sa(const ChildSaParams&) override { return {}; }
  void delete_child_sa(const ChildSaRef&) override {}
  void update_child_sa_endpoints(const ChildSaRef&, const Endpoint&, const Endpoint&, bool) override {}
};

wire::Proposal ike_proposal() {
  wire::Proposal p;
  p.protocol = wire::ProtocolId::Ike;
  p.transforms = {{crypto::TransformType::Encr, 20, 128},
                  {crypto::TransformType::Prf, 5, 0},
                  {crypto::TransformType::Ke, 31, 0}};
  return p;
}
wire::Proposal esp_proposal(bool pfs) {
  wire::Proposal p;
  p.protocol = wire::ProtocolId::Esp;
  p.transforms = {{crypto::TransformType::Encr, 20, 128}, {crypto::TransformType::Esn, 0, 0}};
  if (pfs) p.transforms.push_back({crypto::TransformType::Ke, 31, 0});
  return p;
}

EngineConfig config(bool initiator) {
  EngineConfig ec;
  ConnectionConfig c;
  c.name = initiator ? "home" : "rw";
  c.local_addrs = {*IpAddress::parse(initiator ? "192.0.2.1" : "192.0.2.2")};
  if (initiator) c.remote_addrs = {*IpAddress::parse("192.0.2.2")};
  c.ike_proposals = {ike_proposal()};
  c.local.id = initiator ? "alice@example.org" : "bob.example.org";
  c.remote.id = initiator ? "bob.example.org" : "%any";
  ChildConfig ch;
  ch.name = "net";
  ch.esp_proposals = {esp_proposal(false), esp_proposal(true)};
  c.children = {ch};
  ec.connections = {c};
  ec.secrets = {SharedSecret{{}, SecureBytes(as_bytes("fuzzing secret"))}};
  ec.cookie_threshold = 8;
  ec.max_half_open = 32;
  return ec;
}

Datagram flip(const Datagram& d) { return Datagram{d.remote, d.local, d.bytes, false}; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 3;
  auto ra = crypto::make_deterministic_random(1);
  auto rb = crypto::make_deterministic_random(2);
  NullInstaller ia, ib;
  Engine a(config(true), *ra, ia);
  Engine b(config(false), *rb, ib);
  Instant now{};
  IkeSaId a_id = 0;
  uint64_t spi_i = 0, spi_r = 0;
  if (mode >= 1) {
    auto r = a.initiate("home", "", now);
    if (!r) std::abort();
    a_id = *r;
    for (auto& d : a.take_datagrams()) b.receive(flip(d), now);
    for (auto& d : b.take_datagrams()) a.receive(flip(d), now);
    if (mode == 2) {
      for (auto& d : a.take_datagrams()) b.receive(flip(d), now);
      for (auto& d : b.take_datagrams()) a.receive(flip(d), now);
      if (b.ike_sa_count() != 1) std::abort();  // the scripted handshake must work
    }
    auto st = b.status();
    if (st.empty()) std::abort();
    spi_i = st[0].spi_i;
    spi_r = st[0].spi_r;
  }
  const Endpoint local{*IpAddress::parse("192.0.2.2"), 500};
  const Endpoint remote{*IpAddress::parse("192.0.2.1"), 500};
  uint32_t msg_id = 2;
  size_t pos = 1;
  while (pos + 2 <= size) {
    size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    BytesView chunk(data + pos, len);
    pos += len;
    now += std::chrono::seconds(1);
    if (mode == 2) {
      if (chunk.size() < 2) continue;
      auto d = a.craft_request(a_id, chunk[0], msg_id++, chunk[1], chunk.subspan(2));
      if (d) b.receive(flip(*d), now);
    } else {
      Datagram d{local, remote, Bytes(chunk.begin(), chunk.end()), false};
      if (mode == 1 && d.bytes.size() >= 16) {
        store_be64(d.bytes.data(), spi_i);
        store_be64(d.bytes.data() + 8, spi_r);
      }
      b.receive(d, now);
    }
    b.on_timer(now);
    // Whatever the responder says goes back to the initiator, which must cope too.
    for (auto& out : b.take_datagrams()) a.receive(flip(out), now);
    (void)a.take_datagrams();
    (void)b.take_events();
    if (b.half_open_count() > 32) std::abort();
  }
  (void)b.status();
  return 0;
}
