#include "portunus/ike/identity.h"

#include <openssl/x509.h>

#include <gtest/gtest.h>

namespace portunus::ike {
namespace {

Identity parse(std::string_view s) {
  auto r = parse_identity(s);
  EXPECT_TRUE(r) << s << ": " << (r ? "" : r.error().message);
  return r ? *r : Identity{};
}
Bytes b(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Identity, SwanctlForms) {
  EXPECT_EQ(parse("192.0.2.1"), (Identity{IdType::Ipv4Addr, {192, 0, 2, 1}}));
  Identity v6 = parse("2001:db8::1");
  EXPECT_EQ(v6.type, IdType::Ipv6Addr);
  ASSERT_EQ(v6.data.size(), 16u);
  EXPECT_EQ(v6.data[0], 0x20);
  EXPECT_EQ(v6.data[15], 0x01);
  EXPECT_EQ(parse("host.example"), (Identity{IdType::Fqdn, b("host.example")}));
  EXPECT_EQ(parse("@host.example"), (Identity{IdType::Fqdn, b("host.example")}));
  EXPECT_EQ(parse("@192.0.2.1"), (Identity{IdType::Fqdn, b("192.0.2.1")}));  // '@' forces FQDN
  EXPECT_EQ(parse("user@example.com"), (Identity{IdType::Rfc822Addr, b("user@example.com")}));
  EXPECT_EQ(parse("@@user@example.com"), (Identity{IdType::Rfc822Addr, b("user@example.com")}));
  EXPECT_EQ(parse("@#0102ab"), (Identity{IdType::KeyId, {0x01, 0x02, 0xab}}));
  EXPECT_EQ(parse("keyid:#0102AB"), (Identity{IdType::KeyId, {0x01, 0x02, 0xab}}));
  EXPECT_EQ(parse("keyid:abc"), (Identity{IdType::KeyId, b("abc")}));
  EXPECT_EQ(parse("fqdn:user@example.com"), (Identity{IdType::Fqdn, b("user@example.com")}));
  EXPECT_EQ(parse("email:user@example.com"), (Identity{IdType::Rfc822Addr, b("user@example.com")}));
  EXPECT_EQ(parse("ipv4:10.0.0.1"), (Identity{IdType::Ipv4Addr, {10, 0, 0, 1}}));
  EXPECT_TRUE(parse("%any").is_any());
  EXPECT_TRUE(parse("%any6").is_any());
  EXPECT_TRUE(parse("").is_any());
}

TEST(Identity, DistinguishedNameEncodesToDer) {
  Identity id = parse("C=CH, O=strongSwan Project, CN=moon.strongswan.org");
  EXPECT_EQ(id.type, IdType::DerAsn1Dn);
  // Decode with OpenSSL independently and check the RDNs in order.
  const unsigned char* p = id.data.data();
  X509_NAME* name = d2i_X509_NAME(nullptr, &p, static_cast<long>(id.data.size()));
  ASSERT_NE(name, nullptr);
  ASSERT_EQ(X509_NAME_entry_count(name), 3);
  auto entry = [&](int i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(e);
    return std::make_pair(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)),
                          std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                      static_cast<size_t>(ASN1_STRING_length(s))));
  };
  EXPECT_EQ(entry(0), std::make_pair(int(NID_countryName), std::string("CH")));
  EXPECT_EQ(entry(1), std::make_pair(int(NID_organizationName), std::string("strongSwan Project")));
  EXPECT_EQ(entry(2), std::make_pair(int(NID_commonName), std::string("moon.strongswan.org")));
  X509_NAME_free(name);
  // DER starts with a SEQUENCE.
  EXPECT_EQ(id.data[0], 0x30);
}

TEST(Identity, DnEscapesQuotesAndAliases) {
  Identity a = parse("CN=a\\, b, O=\"x, y\"");
  EXPECT_EQ(to_string(a), "CN=a\\, b, O=x\\, y");
  Identity e1 = parse("E=user@example.com, CN=u");
  Identity e2 = parse("emailAddress=user@example.com, CN=u");
  EXPECT_EQ(e1, e2);
  EXPECT_EQ(parse("SN=1234, CN=u"), parse("serialNumber=1234, CN=u"));  // strongSwan's SN
  EXPECT_EQ(parse("2.5.4.3=x"), parse("CN=x"));
}

TEST(Identity, RoundTripText) {
  for (const char* s : {"192.0.2.1", "2001:db8::1", "host.example", "user@example.com", "@#0102ab",
                        "C=CH, O=x, CN=y", "%any", "CN=a\\, b", "@192.0.2.1", "@%any", "fqdn:#hash",
                        "rfc822:weird", "@a=b", "@ipv4:x", "S=Doe, G=John, serialNumber=7"}) {
    Identity id = parse(s);
    EXPECT_EQ(parse(to_string(id)), id) << s << " -> " << to_string(id);
  }
  EXPECT_EQ(to_string(parse("@host.example")), "host.example");
  EXPECT_EQ(to_string(parse("@@user@example.com")), "user@example.com");
}

TEST(Identity, BadText) {
  for (const char* s :
       {"@", "@@", "@#", "@#0g", "@#abc", "keyid:#", "ipv4:2001:db8::1", "ipv6:10.0.0.1", "ipv4:nope",
        "C=CH, =x", "C=CH,", "CN=\"open", "CN=x\\", "XYZZY=1", "C=Switzerland", "asn1dn:#3000ff", "fqdn:"}) {
    EXPECT_FALSE(parse_identity(s)) << s;
  }
}

TEST(Identity, Matching) {
  Identity any = parse("%any");
  Identity host = parse("moon.example.org");
  EXPECT_TRUE(identity_matches(any, host));
  EXPECT_TRUE(identity_matches(host, parse("MOON.example.ORG")));  // DNS is case-insensitive
  EXPECT_FALSE(identity_matches(host, parse("sun.example.org")));
  EXPECT_FALSE(identity_matches(host, any));  // wildcards only on the configured side
  EXPECT_TRUE(identity_matches(parse("*.example.org"), host));
  EXPECT_FALSE(identity_matches(parse("*.example.org"), parse("example.org")));
  EXPECT_FALSE(identity_matches(parse("*.example.org"), parse("user@moon.example.org")));  // type differs
  EXPECT_TRUE(identity_matches(parse("*@example.org"), parse("carol@example.org")));
  EXPECT_FALSE(identity_matches(parse("*@example.org"), parse("carol@evil.example")));
  EXPECT_TRUE(identity_matches(parse("192.0.2.1"), parse("192.0.2.1")));
  EXPECT_FALSE(identity_matches(parse("192.0.2.1"), parse("192.0.2.2")));
  EXPECT_FALSE(identity_matches(parse("192.0.2.1"), parse("@192.0.2.1")));
  EXPECT_TRUE(identity_matches(parse("@#0102"), parse("keyid:#0102")));
  EXPECT_FALSE(identity_matches(parse("@#0102"), parse("@#0103")));
}

TEST(Identity, DnMatching) {
  Identity moon = parse("C=CH, O=strongSwan, CN=moon");
  // OpenSSL's canonical form: case and inner whitespace do not matter.
  EXPECT_TRUE(identity_matches(moon, parse("C=ch, O=strongswan,   CN=MOON")));
  EXPECT_FALSE(identity_matches(moon, parse("C=CH, O=strongSwan, CN=sun")));
  EXPECT_FALSE(identity_matches(moon, parse("C=CH, CN=moon, O=strongSwan")));  // order matters
  EXPECT_FALSE(identity_matches(moon, parse("C=CH, O=strongSwan")));
  Identity wild = parse("C=CH, O=strongSwan, CN=*");
  EXPECT_TRUE(identity_matches(wild, moon));
  EXPECT_TRUE(identity_matches(wild, parse("C=CH, O=strongSwan, CN=anything")));
  EXPECT_FALSE(identity_matches(wild, parse("C=DE, O=strongSwan, CN=moon")));
  EXPECT_FALSE(identity_matches(wild, parse("C=CH, O=strongSwan, OU=x, CN=moon")));
  // Garbage DER received never matches.
  EXPECT_FALSE(identity_matches(moon, Identity{IdType::DerAsn1Dn, {0x30, 0x03, 0x01}}));
  EXPECT_FALSE(identity_matches(wild, Identity{IdType::DerAsn1Dn, {}}));
}

TEST(Identity, PayloadBody) {
  Identity id = parse("192.0.2.1");
  Bytes body = id_payload_body(id);
  EXPECT_EQ(body, (Bytes{1, 0, 0, 0, 192, 0, 2, 1}));
  auto back = parse_id_payload_body(body);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, id);
  for (const char* s : {"2001:db8::1", "host.example", "user@example.com", "@#0102ab", "C=CH, O=x, CN=y"}) {
    Identity i = parse(s);
    auto r = parse_id_payload_body(id_payload_body(i));
    ASSERT_TRUE(r) << s;
    EXPECT_EQ(*r, i);
  }
  // Reserved octets are ignored on receipt (RFC 7296 3.5) but kept in the signed octets by the caller.
  auto reserved = parse_id_payload_body(Bytes{2, 9, 9, 9, 'a'});
  ASSERT_TRUE(reserved);
  EXPECT_EQ(*reserved, (Identity{IdType::Fqdn, b("a")}));
}

TEST(Identity, HostilePayloadBodies) {
  std::vector<Bytes> bad = {
      {},
      {1, 0, 0},
      {1, 0, 0, 0, 1, 2, 3},           // short IPv4
      {1, 0, 0, 0, 1, 2, 3, 4, 5},     // long IPv4
      {5, 0, 0, 0, 1, 2, 3, 4},        // short IPv6
      {2, 0, 0, 0},                    // empty FQDN
      {2, 0, 0, 0, 'a', 0, 'b'},       // NUL inside
      {9, 0, 0, 0, 0x30, 0x05, 0x31},  // truncated DER
      {9, 0, 0, 0, 0x30, 0x00, 0x00},  // trailing garbage after the DN
      {0, 0, 0, 0, 1},                 // reserved type
      {11, 0, 0, 0},                   // empty key id
  };
  for (const Bytes& body : bad) EXPECT_FALSE(parse_id_payload_body(body)) << hex_encode(body);
  // Unknown types stay opaque and printable.
  auto gn = parse_id_payload_body(Bytes{10, 0, 0, 0, 0xde, 0xad});
  ASSERT_TRUE(gn);
  EXPECT_EQ(to_string(*gn), "id10:#dead");
  // Control characters from the wire are escaped when printed.
  auto ctl = parse_id_payload_body(Bytes{2, 0, 0, 0, 'a', '\n', 'b'});
  ASSERT_TRUE(ctl);
  EXPECT_EQ(to_string(*ctl), "fqdn:a\\x0ab");
}

}  // namespace
}  // namespace portunus::ike
