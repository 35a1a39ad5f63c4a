// Kind "esp": a whole ESP packet (RFC 4303) through the data plane's ESP functions, both
// directions: encapsulating payload | padding must reproduce esp_packet byte for byte, and
// decapsulating esp_packet (with the sequence number inferred by the SA's replay window from
// the 32 bits on the wire) must give back payload, padding and next header.
#include "runner.h"

#if __has_include("portunus/ipsec/esp.h")
#include <cstring>

#include "portunus/crypto/protector.h"
#include "portunus/ipsec/esp.h"
#include "portunus/ipsec/replay_window.h"

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

  // Inbound: infer the full sequence number as the SA's replay window would.
  if (packet.size() < header) throw CaseError("esp_packet shorter than the ESP header");
  ipsec::ReplayWindow window(ipsec::kMinReplayWindow, esn, true);
  window.reset(seq == 0 ? 0 : seq - 1);
  auto inferred = window.infer(load_be32(packet.data() + 4));
  if (!inferred || *inferred != seq)
    throw CaseError("the replay window did not infer seq " + std::to_string(seq));
  if (window.check(*inferred) != ipsec::ReplayWindow::Check::Ok)
    throw CaseError("replay window rejected seq");
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
