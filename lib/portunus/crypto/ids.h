#pragma once
// IKEv2 transform identifiers (IANA "Internet Key Exchange Version 2 (IKEv2) Parameters",
// RFC 7296 3.3.2 and later RFCs). ESP uses the same ids for its transforms.
#include <cstdint>
#include <optional>
#include <string_view>

namespace portunus::crypto {

enum class TransformType : uint8_t { Encr = 1, Prf = 2, Integ = 3, Ke = 4, Esn = 5 };

enum class EncrId : uint16_t {
  Des = 2,  // legacy, needs the legacy switch
  TripleDes = 3,
  Null = 11,
  AesCbc = 12,
  AesCtr = 13,
  AesGcm8 = 18,
  AesGcm12 = 19,
  AesGcm16 = 20,
  NullAuthAesGmac = 21,
  ChaCha20Poly1305 = 28,
};

enum class PrfId : uint16_t {
  HmacMd5 = 1,  // legacy
  HmacSha1 = 2,
  Aes128Xcbc = 4,
  HmacSha2_256 = 5,
  HmacSha2_384 = 6,
  HmacSha2_512 = 7,
  Aes128Cmac = 8,
};

enum class IntegId : uint16_t {
  None = 0,
  HmacMd5_96 = 1,  // legacy
  HmacSha1_96 = 2,
  AesXcbc96 = 5,
  AesCmac96 = 8,
  HmacSha2_256_128 = 12,
  HmacSha2_384_192 = 13,
  HmacSha2_512_256 = 14,
  // Private use (strongSwan's AUTH_HMAC_SHA2_256_96, keyword sha256_96): HMAC-SHA-256 truncated
  // to 96 bits, as Linux kernels before 2.6.33 did for ESP. For interoperating with such
  // peers only; RFC 4868's 128-bit truncation is the standard.
  HmacSha2_256_96 = 1026,
};

// Key exchange method (formerly "Diffie-Hellman group") numbers.
enum class KeGroup : uint16_t {
  None = 0,
  Modp768 = 1,   // legacy
  Modp1024 = 2,  // legacy
  Modp1536 = 5,
  Modp2048 = 14,
  Modp3072 = 15,
  Modp4096 = 16,
  Modp6144 = 17,
  Modp8192 = 18,
  Ecp256 = 19,
  Ecp384 = 20,
  Ecp521 = 21,
  Modp1024s160 = 22,
  Modp2048s224 = 23,
  Modp2048s256 = 24,
  Ecp192 = 25,
  Ecp224 = 26,
  Brainpool224 = 27,
  Brainpool256 = 28,
  Brainpool384 = 29,
  Brainpool512 = 30,
  Curve25519 = 31,
  Curve448 = 32,
};

enum class EsnId : uint16_t { NoEsn = 0, Esn = 1 };

// IKEv2 AUTH methods (RFC 7296 3.8, RFC 4754, RFC 7427).
enum class AuthMethod : uint8_t {
  RsaSig = 1,
  SharedKeyMic = 2,
  DssSig = 3,
  EcdsaSha256P256 = 9,
  EcdsaSha384P384 = 10,
  EcdsaSha512P521 = 11,
  DigitalSignature = 14,
};

// Names as strongSwan prints them (used in logs and status output).
std::string_view name(EncrId id);
std::string_view name(PrfId id);
std::string_view name(IntegId id);
std::string_view name(KeGroup id);

// Whether algorithms that RFC 8247 marks MUST NOT (DES, MD5, MODP 768/1024) may be used.
// Off by default; the config layer turns it on only on explicit request.
void set_legacy_algorithms_allowed(bool allowed);
bool legacy_algorithms_allowed();

}  // namespace portunus::crypto
