#include "portunus/ipsec/esp.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "portunus/wire/esp_header.h"

namespace portunus::ipsec {

namespace {

// Builds the AAD and trailer the Protector needs; `aad_buf` must hold 12 octets.
struct AuthData {
  BytesView aad;
  BytesView trailer;
};

AuthData auth_data(const uint8_t* esp, uint64_t seq, bool esn, bool combined, uint8_t* aad_buf,
                   uint8_t* hi_buf) {
  auto seq_hi = static_cast<uint32_t>(seq >> 32);
  if (!esn) return {BytesView(esp, wire::kEspHeader), {}};
  if (combined) {
    std::memcpy(aad_buf, esp, 4);
    store_be32(aad_buf + 4, seq_hi);
    std::memcpy(aad_buf + 8, esp + 4, 4);
    return {BytesView(aad_buf, 12), {}};
  }
  store_be32(hi_buf, seq_hi);
  return {BytesView(esp, wire::kEspHeader), BytesView(hi_buf, 4)};
}

}  // namespace

static_assert(wire::kEspTrailer == 2, "esp_min_padding assumes the 2-octet trailer");

void esp_fill_padding(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i + 1);
}

static_assert(kEspDefaultPadding.size() == wire::kMaxEspPadding);

size_t esp_seal(crypto::Protector& p, const EspSealParams& params, BytesView iv, BytesView padding,
                uint8_t* esp, size_t payload_len) {
  if (iv.size() != p.iv_size() || padding.size() > wire::kMaxEspPadding) return 0;
  wire::write_esp_header(esp, params.spi, static_cast<uint32_t>(params.seq));
  uint8_t* iv_out = esp + wire::kEspHeader;
  if (!iv.empty() && iv.data() != iv_out) std::memmove(iv_out, iv.data(), iv.size());
  uint8_t* text = iv_out + iv.size();
  uint8_t* trailer = text + payload_len;
  if (!padding.empty()) std::memcpy(trailer, padding.data(), padding.size());
  trailer[padding.size()] = static_cast<uint8_t>(padding.size());
  trailer[padding.size() + 1] = params.next_header;
  size_t text_len = payload_len + padding.size() + wire::kEspTrailer;
  uint8_t aad_buf[12];
  uint8_t hi_buf[4];
  AuthData ad = auth_data(esp, params.seq, params.esn, params.combined_mode, aad_buf, hi_buf);
  MutBytes icv(text + text_len, p.icv_size());
  if (!p.seal(ad.aad, BytesView(iv_out, iv.size()), MutBytes(text, text_len), ad.trailer, icv)) return 0;
  return wire::kEspHeader + iv.size() + text_len + p.icv_size();
}

Expected<EspOpened, EspOpenError> esp_open(crypto::Protector& p, bool esn, bool combined_mode, uint64_t seq,
                                           bool pad_check, MutBytes esp) {
  size_t iv_len = p.iv_size();
  size_t icv_len = p.icv_size();
  size_t overhead = wire::kEspHeader + iv_len + icv_len;
  if (esp.size() < overhead + wire::kEspTrailer) return Unexpected(EspOpenError::Malformed);
  size_t text_len = esp.size() - overhead;
  size_t block = std::max<size_t>(p.block_size(), 1);
  // Cipher blocks are powers of two (1, 8, 16): a mask, not a division per packet.
  size_t rem = (block & (block - 1)) == 0 ? text_len & (block - 1) : text_len % block;
  if (rem != 0) return Unexpected(EspOpenError::Malformed);
  uint8_t aad_buf[12];
  uint8_t hi_buf[4];
  AuthData ad = auth_data(esp.data(), seq, esn, combined_mode, aad_buf, hi_buf);
  uint8_t* iv = esp.data() + wire::kEspHeader;
  uint8_t* text = iv + iv_len;
  BytesView icv(text + text_len, icv_len);
  if (!p.open(ad.aad, BytesView(iv, iv_len), MutBytes(text, text_len), ad.trailer, icv))
    return Unexpected(EspOpenError::IcvMismatch);
  EspOpened r;
  r.next_header = text[text_len - 1];
  r.pad_len = text[text_len - 2];
  if (size_t{r.pad_len} + wire::kEspTrailer > text_len) return Unexpected(EspOpenError::BadPadding);
  r.payload_offset = wire::kEspHeader + iv_len;
  r.payload_len = text_len - wire::kEspTrailer - r.pad_len;
  if (pad_check) {
    const uint8_t* pad = text + r.payload_len;
    for (size_t i = 0; i < r.pad_len; ++i)
      if (pad[i] != static_cast<uint8_t>(i + 1)) return Unexpected(EspOpenError::BadPadding);
  }
  return r;
}

}  // namespace portunus::ipsec
