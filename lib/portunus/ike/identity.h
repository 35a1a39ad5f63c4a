#pragma once
// IKEv2 identities (RFC 7296 3.5) and the swanctl.conf way of writing them.
//
// Text forms (strongSwan's rules):
//   192.0.2.1 / 2001:db8::1          IPV4_ADDR / IPV6_ADDR
//   host.example, @host.example      FQDN (the leading @ forces FQDN even for digits)
//   user@example.com                 RFC822_ADDR
//   @#0102ab                         KEY_ID from hex
//   C=CH, O=x, CN=y                  DER_ASN1_DN (any string containing '=' that parses as a DN)
//   %any, %any6, empty               matches any identity
//   fqdn:, email:, rfc822:, userfqdn:, keyid:, ipv4:, ipv6:, asn1dn: prefixes force the
//   type; after keyid: and asn1dn: a leading '#' means hex-encoded binary.
// Matching a configured remote id: %any matches everything; a leading "*" in an FQDN or
// RFC822 id matches any prefix ("*.example.com", "*@example.com"); a DN RDN value of "*"
// matches any value of that attribute. FQDN and RFC822 compare case-insensitively (DNS
// names are), DNs by OpenSSL's canonical comparison, the rest octet for octet.
#include <cstdint>
#include <string>
#include <string_view>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"

namespace portunus::ike {

enum class IdType : uint8_t {
  Any = 0,  // not on the wire: the %any wildcard of a configuration
  Ipv4Addr = 1,
  Fqdn = 2,
  Rfc822Addr = 3,
  Ipv6Addr = 5,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
};

struct Identity {
  IdType type = IdType::Any;
  Bytes data;
  bool is_any() const { return type == IdType::Any; }
  friend bool operator==(const Identity&, const Identity&) = default;
};

Result<Identity> parse_identity(std::string_view text);
// The text form; parse_identity(to_string(id)) gives id back for every type it produces.
std::string to_string(const Identity& id);

// Whether a received identity satisfies a configured one (wildcards only on the configured side).
bool identity_matches(const Identity& configured, const Identity& received);

// The ID payload body after the generic header: ID Type | RESERVED(3) | data. This is
// RestOfInitIDPayload / RestOfRespIDPayload in the AUTH computation (RFC 7296 2.15).
Bytes id_payload_body(const Identity& id);
// Parses an ID payload body from the wire; checks the address lengths and that a DN is
// valid DER. Unknown types are kept opaque (they can still match octet for octet).
Result<Identity> parse_id_payload_body(BytesView body);

}  // namespace portunus::ike
