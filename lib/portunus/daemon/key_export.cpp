#include "portunus/daemon/key_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace portunus::daemon {

std::string wireshark_esp_encr(crypto::EncrId id, uint16_t key_bits) {
  (void)key_bits;  // Wireshark derives the key size from the key's length
  switch (id) {
    case crypto::EncrId::Null:
      return "NULL";
    case crypto::EncrId::TripleDes:
      return "TripleDES-CBC [RFC2451]";
    case crypto::EncrId::AesCbc:
      return "AES-CBC [RFC3602]";
    case crypto::EncrId::AesCtr:
      return "AES-CTR [RFC3686]";
    case crypto::EncrId::AesGcm8:
      return "AES-GCM with 8 octet ICV [RFC4106]";
    case crypto::EncrId::AesGcm12:
      return "AES-GCM with 12 octet ICV [RFC4106]";
    case crypto::EncrId::AesGcm16:
      return "AES-GCM with 16 octet ICV [RFC4106]";
    case crypto::EncrId::NullAuthAesGmac:
      return "NULL_AUTH_AES_GMAC [RFC4543]";
    case crypto::EncrId::ChaCha20Poly1305:
      return "ChaCha20 with Poly1305 [RFC7634]";
    default:
      return "NULL";
  }
}

std::string wireshark_esp_auth(crypto::IntegId id) {
  switch (id) {
    case crypto::IntegId::None:
      return "NULL";
    case crypto::IntegId::HmacSha1_96:
      return "HMAC-SHA-1-96 [RFC2404]";
    case crypto::IntegId::HmacSha2_256_128:
      return "HMAC-SHA-256-128 [RFC4868]";
    case crypto::IntegId::HmacSha2_256_96:
      return "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]";
    case crypto::IntegId::HmacSha2_384_192:
      return "HMAC-SHA-384-192 [RFC4868]";
    case crypto::IntegId::HmacSha2_512_256:
      return "HMAC-SHA-512-256 [RFC4868]";
    case crypto::IntegId::HmacMd5_96:
      return "HMAC-MD5-96 [RFC2403]";
    default:
      // AES-XCBC/CMAC have no Wireshark entry: decrypt without checking the ICV.
      return "ANY 96 bit authentication [no checking]";
  }
}

std::string esp_sa_line(const IpAddress& src, const IpAddress& dst, uint32_t spi, crypto::EncrId encr,
                        uint16_t key_bits, const SecureBytes& encr_key, crypto::IntegId integ,
                        const SecureBytes& integ_key) {
  return fmt::format(
      "\"{}\",\"{}\",\"{}\",\"0x{:08x}\",\"{}\",\"0x{}\",\"{}\",\"{}\"", src.is_v4() ? "IPv4" : "IPv6",
      src.to_string(), dst.to_string(), spi, wireshark_esp_encr(encr, key_bits), hex_encode(encr_key.view()),
      wireshark_esp_auth(integ), integ_key.empty() ? std::string() : "0x" + hex_encode(integ_key.view()));
}

bool append_key_line(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string l = line + "\n";
  bool ok = ::write(fd, l.data(), l.size()) == static_cast<ssize_t>(l.size());
  ::close(fd);
  return ok;
}

}  // namespace portunus::daemon
