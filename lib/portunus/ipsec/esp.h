#pragma once
// ESP protection of one payload (RFC 4303 2 and 3.3/3.4), independent of IP headers:
// the Engine places the payload, these functions add or check header, IV, padding, trailer
// and ICV in place. Used by the Engine and directly by the published-vector runner.
//
// How the sequence number enters the ICV (RFC 4303 2.2.1, 3.3.2.1; RFC 4106 5, RFC 7634 2):
//  - combined mode (GCM, GMAC, ChaCha20-Poly1305): AAD = SPI | seq_lo, or with ESN
//    SPI | seq_hi | seq_lo;
//  - cipher + integrity: the MAC covers SPI | seq_lo | IV | ciphertext, then seq_hi with ESN
//    (passed to the Protector as the never-sent trailer).
#include <array>
#include <cstddef>
#include <cstdint>

#include "portunus/base/bytes.h"
#include "portunus/base/expected.h"
#include "portunus/crypto/protector.h"

namespace portunus::ipsec {

struct EspSealParams {
  uint32_t spi = 0;
  uint64_t seq = 0;  // full number; only the low 32 bits are sent
  bool esn = false;
  bool combined_mode = false;
  uint8_t next_header = 0;
};

// Octets of padding that make payload + padding + 2 a multiple of the cipher block and of 4.
inline size_t esp_min_padding(size_t payload_len, size_t block_size) {
  size_t align = block_size > 4 ? block_size : 4;
  // Every ESP cipher block is a power of two (1, 8, 16): a mask, not two divisions per packet.
  if ((align & (align - 1)) == 0) return (0 - (payload_len + 2)) & (align - 1);
  return (align - (payload_len + 2) % align) % align;
}
// RFC 4303 2.4 default padding content: 1, 2, 3, ...
void esp_fill_padding(uint8_t* out, size_t n);
// The default padding content as a constant table (no per-packet fill).
inline constexpr auto kEspDefaultPadding = [] {
  std::array<uint8_t, 255> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<uint8_t>(i + 1);
  return t;
}();
// The first n (at most 255) octets of the default padding.
inline BytesView esp_default_padding(size_t n) {
  return BytesView(kEspDefaultPadding.data(), n < kEspDefaultPadding.size() ? n : kEspDefaultPadding.size());
}

// `esp` points where the SPI goes. The payload (payload_len octets) must already be at
// esp + 8 + iv.size(), followed by room for padding.size() + 2 + ICV octets. iv.size() must
// be the Protector's iv_size(); it may already be in place at esp + 8 (nothing is copied
// then). Writes header, IV, padding, trailer, encrypts and writes the ICV. Returns the length of the ESP
// packet, or 0 if the Protector refused (bad IV size, unaligned text).
size_t esp_seal(crypto::Protector& p, const EspSealParams& params, BytesView iv, BytesView padding,
                uint8_t* esp, size_t payload_len);

enum class EspOpenError : uint8_t { Malformed, IcvMismatch, BadPadding };

struct EspOpened {
  size_t payload_offset = 0;  // from the start of the ESP packet (8 + IV)
  size_t payload_len = 0;     // payload data only (padding and trailer removed)
  uint8_t pad_len = 0;
  uint8_t next_header = 0;
};

// Verifies the ICV and decrypts the ESP packet `esp` (SPI .. ICV) in place, with `seq` the
// full sequence number the receiver inferred. With pad_check, padding must be 1, 2, 3, ...
Expected<EspOpened, EspOpenError> esp_open(crypto::Protector& p, bool esn, bool combined_mode, uint64_t seq,
                                           bool pad_check, MutBytes esp);

}  // namespace portunus::ipsec
