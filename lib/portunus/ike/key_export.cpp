// Wireshark's ikev2_decryption_table (UAT) line for an IKE SA. The algorithm columns hold
// the names of Wireshark's own value tables (packet-isakmp.c), which name the key size
// and, for GCM, the ICV length; algorithms Wireshark cannot decrypt get a plain label.
#include <string>

#include "portunus/ike/engine.h"

namespace portunus::ike {

namespace {

std::string encr_label(crypto::EncrId e, unsigned bits) {
  const std::string b = std::to_string(bits ? bits : 128);
  switch (e) {
    case crypto::EncrId::TripleDes:
      return "3DES [RFC2451]";
    case crypto::EncrId::Null:
      return "NULL [RFC2410]";
    case crypto::EncrId::AesCbc:
      return "AES-CBC-" + b + " [RFC3602]";
    case crypto::EncrId::AesCtr:
      return "AES-CTR-" + b + " [RFC5930]";
    case crypto::EncrId::AesGcm8:
      return "AES-GCM-" + b + " with 8 octet ICV [RFC5282]";
    case crypto::EncrId::AesGcm12:
      return "AES-GCM-" + b + " with 12 octet ICV [RFC5282]";
    case crypto::EncrId::AesGcm16:
      return "AES-GCM-" + b + " with 16 octet ICV [RFC5282]";
    default:
      return std::string(crypto::name(e));
  }
}

std::string integ_label(crypto::IntegId i) {
  switch (i) {
    case crypto::IntegId::None:
      return "NONE [RFC4306]";
    case crypto::IntegId::HmacMd5_96:
      return "HMAC_MD5_96 [RFC2403]";
    case crypto::IntegId::HmacSha1_96:
      return "HMAC_SHA1_96 [RFC2404]";
    case crypto::IntegId::HmacSha2_256_128:
      return "HMAC_SHA2_256_128 [RFC4868]";
    case crypto::IntegId::HmacSha2_384_192:
      return "HMAC_SHA2_384_192 [RFC4868]";
    case crypto::IntegId::HmacSha2_512_256:
      return "HMAC_SHA2_512_256 [RFC4868]";
    default:
      return std::string(crypto::name(i));
  }
}

std::string q(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string KeyExport::wireshark_line() const {
  return q(hex_encode(spi_i)) + "," + q(hex_encode(spi_r)) + "," + q(hex_encode(sk_ei)) + "," +
         q(hex_encode(sk_er)) + "," + q(encr_label(encr, encr_key_bits)) + "," + q(hex_encode(sk_ai)) + "," +
         q(hex_encode(sk_ar)) + "," + q(integ_label(integ));
}

}  // namespace portunus::ike
