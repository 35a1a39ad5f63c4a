#pragma once
// IKEv2 protocol numbers used on the wire (RFC 7296 section 3 and the IANA "IKEv2 Parameters"
// registries). Enums are open: a value the peer sends that is not listed here is still
// representable (enum class over the wire width), so the codec never has to drop it.
#include <cstdint>
#include <string>
#include <string_view>

namespace portunus::wire {

// RFC 7296 3.2 "Next Payload" values, plus RFC 7383 (SKF).
enum class PayloadType : uint8_t {
  NoNext = 0,
  SecurityAssociation = 33,  // SA
  KeyExchange = 34,          // KE
  IdInitiator = 35,          // IDi
  IdResponder = 36,          // IDr
  Certificate = 37,          // CERT
  CertificateRequest = 38,   // CERTREQ
  Authentication = 39,       // AUTH
  Nonce = 40,                // Ni, Nr
  Notify = 41,               // N
  Delete = 42,               // D
  VendorId = 43,             // V
  TsInitiator = 44,          // TSi
  TsResponder = 45,          // TSr
  Encrypted = 46,            // SK
  Configuration = 47,        // CP
  Eap = 48,                  // EAP
  EncryptedFragment = 53,    // SKF (RFC 7383)
};

// RFC 7296 3.1 Exchange Type, plus RFC 9242 (IKE_INTERMEDIATE) and RFC 9370 (IKE_FOLLOWUP_KE).
enum class ExchangeType : uint8_t {
  IkeSaInit = 34,
  IkeAuth = 35,
  CreateChildSa = 36,
  Informational = 37,
  IkeIntermediate = 43,
  IkeFollowupKe = 44,
};

// RFC 7296 3.1 Flags octet.
namespace header_flags {
inline constexpr uint8_t kInitiator = 0x08;  // I: sent by the original initiator of the IKE SA
inline constexpr uint8_t kVersion = 0x10;    // V: sender can speak a higher major version
inline constexpr uint8_t kResponse = 0x20;   // R: this message is a response
}  // namespace header_flags

// RFC 7296 3.10.1 Notify Message Types, with the later RFCs' types an engine meets in practice.
enum class NotifyType : uint16_t {
  // Error types (< 16384).
  UnsupportedCriticalPayload = 1,
  InvalidIkeSpi = 4,
  InvalidMajorVersion = 5,
  InvalidSyntax = 7,
  InvalidMessageId = 9,
  InvalidSpi = 11,
  NoProposalChosen = 14,
  InvalidKePayload = 17,
  AuthenticationFailed = 24,
  SinglePairRequired = 34,
  NoAdditionalSas = 35,
  InternalAddressFailure = 36,
  FailedCpRequired = 37,
  TsUnacceptable = 38,
  InvalidSelectors = 39,
  UnacceptableAddresses = 40,  // RFC 4555
  UnexpectedNatDetected = 41,  // RFC 4555
  UseAssignedHoA = 42,         // RFC 5026
  TemporaryFailure = 43,
  ChildSaNotFound = 44,
  // Status types (>= 16384).
  InitialContact = 16384,
  SetWindowSize = 16385,
  AdditionalTsPossible = 16386,
  IpcompSupported = 16387,
  NatDetectionSourceIp = 16388,
  NatDetectionDestinationIp = 16389,
  Cookie = 16390,
  UseTransportMode = 16391,
  HttpCertLookupSupported = 16392,
  RekeySa = 16393,
  EspTfcPaddingNotSupported = 16394,
  NonFirstFragmentsAlso = 16395,
  MobikeSupported = 16396,                // RFC 4555
  AdditionalIp4Address = 16397,           // RFC 4555
  AdditionalIp6Address = 16398,           // RFC 4555
  NoAdditionalAddresses = 16399,          // RFC 4555
  UpdateSaAddresses = 16400,              // RFC 4555
  Cookie2 = 16401,                        // RFC 4555
  NoNatsAllowed = 16402,                  // RFC 4555
  AuthLifetime = 16403,                   // RFC 4478
  MultipleAuthSupported = 16404,          // RFC 4739
  AnotherAuthFollows = 16405,             // RFC 4739
  RedirectSupported = 16406,              // RFC 5685
  Redirect = 16407,                       // RFC 5685
  RedirectedFrom = 16408,                 // RFC 5685
  EapOnlyAuthentication = 16417,          // RFC 5998
  ChildlessIkev2Supported = 16418,        // RFC 6023
  Ikev2FragmentationSupported = 16430,    // RFC 7383
  SignatureHashAlgorithms = 16431,        // RFC 7427
  IntermediateExchangeSupported = 16438,  // RFC 9242
};

inline bool is_error_notify(NotifyType t) { return static_cast<uint16_t>(t) < 16384; }

// RFC 7296 3.5 ID Type, plus RFC 7619 (ID_NULL).
enum class IdType : uint8_t {
  Ipv4Addr = 1,
  Fqdn = 2,
  Rfc822Addr = 3,
  Ipv6Addr = 5,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
  Null = 13,
};

// RFC 7296 3.6 Certificate Encoding (also used by CERTREQ).
enum class CertEncoding : uint8_t {
  Pkcs7WrappedX509 = 1,
  Pgp = 2,
  DnsSignedKey = 3,
  X509Signature = 4,
  Kerberos = 6,
  Crl = 7,
  Arl = 8,
  Spki = 9,
  X509Attribute = 10,
  RawRsaKey = 11,  // deprecated by RFC 7296
  HashUrlX509 = 12,
  HashUrlX509Bundle = 13,
  OcspContent = 14,   // RFC 4806
  RawPublicKey = 15,  // RFC 7670
};

// RFC 7296 3.15 CFG Type.
enum class CfgType : uint8_t { Request = 1, Reply = 2, Set = 3, Ack = 4 };

// RFC 7296 3.15.1 Configuration Attribute types, plus RFC 8598 (split DNS).
enum class ConfigAttributeType : uint16_t {
  InternalIp4Address = 1,
  InternalIp4Netmask = 2,
  InternalIp4Dns = 3,
  InternalIp4Nbns = 4,
  InternalIp4Dhcp = 6,
  ApplicationVersion = 7,
  InternalIp6Address = 8,
  InternalIp6Dns = 10,
  InternalIp6Dhcp = 12,
  InternalIp4Subnet = 13,
  SupportedAttributes = 14,
  InternalIp6Subnet = 15,
  InternalDnsDomain = 25,  // RFC 8598
  InternalDnssecTa = 26,   // RFC 8598
};

// RFC 7296 3.3.5 Transform Attribute types.
inline constexpr uint16_t kAttributeKeyLength = 14;

// Names as the RFCs spell them ("SA", "N", "NAT_DETECTION_SOURCE_IP", "IKE_SA_INIT"...); an
// unlisted value is printed as its number (e.g. "PAYLOAD_99").
std::string name(PayloadType t);
std::string name(ExchangeType t);
std::string name(NotifyType t);
std::string name(IdType t);
std::string name(CertEncoding t);
std::string name(CfgType t);
std::string name(ConfigAttributeType t);

}  // namespace portunus::wire
