// Kind "esp": a whole ESP packet (RFC 4303) through the data plane, both directions:
// encapsulating payload | padding with the given IV and sequence number (ipsec::esp_seal, the
// function the Engine uses) must reproduce esp_packet byte for byte; decapsulating it through
// an SA installed in the SAD (Engine::inbound, with the replay state set so that `seq` is the
// number inferred, RFC 4303 Appendix A) must give back payload and next header, and the
// published padding must come out of the trailer.
#include "runner.h"

#if __has_include("portunus/ipsec/esp.h")
#include <cstring>

#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/protector.h"
#include "portunus/ipsec/engine.h"
#include "portunus/ipsec/esp.h"
#include "portunus/ipsec/replay_window.h"
#include "portunus/wire/ip_packet.h"

namespace portunus::vectors {

void check_esp(const Json& c) {
  check_fields(c,
               {"encr_id", "keymat", "integ_id", "spi", "seq", "esn", "iv", "payload", "padding",
                "next_header", "esp_packet"},
               {"key_bits", "integ_key", "outer_ip"});
  const auto encr = static_cast<crypto::EncrId>(uint_field(c, "encr_id"));
  const auto integ = static_cast<crypto::IntegId>(uint_field(c, "integ_id"));
  const unsigned key_bits = has(c, "key_bits") ? static_cast<unsigned>(uint_field(c, "key_bits")) : 0;
  const Bytes keymat = hex_field(c, "keymat");
  const Bytes integ_key = has(c, "integ_key") ? hex_field(c, "integ_key") : Bytes{};
  const Bytes spi = hex_field(c, "spi"), iv = hex_field(c, "iv"), payload = hex_field(c, "payload");
  const Bytes padding = hex_field(c, "padding"), packet = hex_field(c, "esp_packet");
  const uint64_t seq = uint_field(c, "seq");
  const bool esn = bool_field(c, "esn");
  const uint64_t next_header = uint_field(c, "next_header");
  if (spi.size() != 4) throw CaseError("spi must be 4 octets");
  if (next_header > 255) throw CaseError("next_header out of range");
  if (!esn && seq > 0xffffffffu) throw CaseError("seq above 2^32-1 without ESN");

  auto p = crypto::make_protector(encr, key_bits, keymat, integ, integ_key);
  if (!p) throw CaseError(p.error().message);
  crypto::Protector& prot = **p;
  const bool combined = prot.is_aead();

  // Outbound: payload placed where esp_seal expects it, then sealed in place.
  const size_t header = 8;
  Bytes out(header + iv.size() + payload.size() + padding.size() + 2 + prot.icv_size());
  std::memcpy(out.data() + header + iv.size(), payload.data(), payload.size());
  ipsec::EspSealParams sp;
  sp.spi = load_be32(spi.data());
  sp.seq = seq;
  sp.esn = esn;
  sp.combined_mode = combined;
  sp.next_header = static_cast<uint8_t>(next_header);
  size_t n = ipsec::esp_seal(prot, sp, iv, padding, out.data(), payload.size());
  if (n == 0) throw CaseError("esp_seal refused the packet");
  out.resize(n);
  expect_equal("esp_packet (encapsulated)", out, packet);

  // Inbound through the data plane itself: an SA in the SAD whose replay state makes `seq`
  // the number inferred from the 32 bits on the wire, and Engine::inbound on the packet
  // wrapped in an IPv4 header (the published one when given). Next header 4/41 means the
  // payload is a whole IP packet (tunnel mode); anything else is run as transport mode.
  if (packet.size() < header) throw CaseError("esp_packet shorter than the ESP header");
  if (seq == 0) throw CaseError("seq 0 is never sent (RFC 4303 3.3.3)");
  const bool tunnel = next_header == 4 || next_header == 41;
  ipsec::EngineConfig config;
  config.bypass_ike = false;
  ipsec::Engine engine(config);
  ipsec::SaParams sa;
  sa.direction = ipsec::Direction::Inbound;
  sa.spi = load_be32(spi.data());
  sa.mode = tunnel ? ipsec::Mode::Tunnel : ipsec::Mode::Transport;
  const IpAddress us = *IpAddress::parse("192.0.2.2");
  const IpAddress peer = *IpAddress::parse("192.0.2.1");
  sa.local = us;
  sa.remote = peer;
  sa.encr = encr;
  sa.encr_key_bits = key_bits;
  sa.encr_keymat = SecureBytes(keymat);
  sa.integ = integ;
  sa.integ_key = SecureBytes(integ_key);
  sa.esn = esn;
  sa.initial_seq = seq - 1;
  sa.replay_window = 64;
  sa.selectors = {ipsec::Selector::any(IpFamily::V4), ipsec::Selector::any(IpFamily::V6)};
  auto installed = engine.install_sa(std::move(sa), 0);
  if (!installed) throw CaseError(installed.error().message);
  Bytes ip_header = has(c, "outer_ip") ? hex_field(c, "outer_ip") : Bytes{};
  if (ip_header.size() != 20 || ip_header[0] != 0x45) {
    ip_header.assign(20, 0);
    ip_header[0] = 0x45;
    ip_header[8] = 64;
    ip_header[9] = 50;
    std::memcpy(ip_header.data() + 12, peer.data(), 4);
    std::memcpy(ip_header.data() + 16, us.data(), 4);
  }
  store_be16(ip_header.data() + 2, static_cast<uint16_t>(20 + packet.size()));
  wire::ipv4_set_checksum(ip_header);
  Bytes storage(ip_header.size() + packet.size());
  std::memcpy(storage.data(), ip_header.data(), ip_header.size());
  std::memcpy(storage.data() + ip_header.size(), packet.data(), packet.size());
  ipsec::PacketBuffer buf(storage, 0, storage.size());
  ipsec::InboundResult verdict = engine.inbound(buf, 0);
  if (verdict.verdict != ipsec::Verdict::Deliver)
    throw CaseError("Engine::inbound did not deliver: " + std::string(ipsec::name(verdict.reason)));
  if (tunnel) {
    expect_equal("payload (Engine::inbound, tunnel)", buf.view(), payload);
  } else {
    if (buf.size() < 20 || buf.data()[9] != next_header)
      throw CaseError("next_header differs (Engine::inbound)");
    expect_equal("payload (Engine::inbound, transport)", buf.view().subspan(20), payload);
  }
  Bytes again(storage.size());
  std::memcpy(again.data(), ip_header.data(), ip_header.size());
  std::memcpy(again.data() + ip_header.size(), packet.data(), packet.size());
  ipsec::PacketBuffer replay(again, 0, again.size());
  if (engine.inbound(replay, 0).reason != ipsec::DiscardReason::Replayed)
    throw CaseError("the same packet a second time was not refused as a replay");

  // The trailer itself (padding octets as published) from the ESP function.
  ipsec::ReplayWindow window(ipsec::kMinReplayWindow, esn, true);
  window.reset(seq - 1);
  auto inferred = window.infer(load_be32(packet.data() + 4));
  if (!inferred || *inferred != seq)
    throw CaseError("the replay window did not infer seq " + std::to_string(seq));
  Bytes in = packet;
  auto opened = ipsec::esp_open(prot, esn, combined, *inferred, false, in);
  if (!opened) throw CaseError("esp_open failed (error " + std::to_string(int(opened.error())) + ")");
  expect_equal("payload", BytesView(in).subspan(opened->payload_offset, opened->payload_len), payload);
  expect_equal("padding",
               BytesView(in).subspan(opened->payload_offset + opened->payload_len, opened->pad_len), padding);
  if (opened->next_header != next_header) throw CaseError("next_header differs");

  if (prot.icv_size() > 0) {
    Bytes forged = packet;
    forged[forged.size() - 1] ^= 1;
    if (ipsec::esp_open(prot, esn, combined, *inferred, false, forged)) {
      throw CaseError("esp_open accepted a modified ICV");
    }
  }
}

}  // namespace portunus::vectors

#else

namespace portunus::vectors {

// This build has no ESP engine (lib/portunus/ipsec/esp.h), so esp cases cannot be run.
void check_esp(const Json&) { throw CaseError("kind 'esp' not supported: this build has no ESP engine"); }

}  // namespace portunus::vectors

#endif
