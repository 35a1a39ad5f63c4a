#include "portunus/ike/identity.h"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "portunus/base/byte_reader.h"
#include "portunus/base/ip_address.h"

namespace portunus::ike {

namespace {

struct NameFree {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;

Identity make(IdType t, BytesView data) { return Identity{t, Bytes(data.begin(), data.end())}; }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

bool equal_ci(std::string_view a, std::string_view b) { return a.size() == b.size() && starts_with_ci(a, b); }

std::string_view as_text(BytesView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Attribute names beyond OpenSSL's short names, as strongSwan writes them. Note that
// strongSwan (and so swanctl.conf) reads SN as serialNumber, not as surname.
struct Alias {
  const char* text;
  int nid;
};
constexpr Alias kAliases[] = {
    {"E", NID_pkcs9_emailAddress},
    {"Email", NID_pkcs9_emailAddress},
    {"SN", NID_serialNumber},
    {"S", NID_surname},
    {"G", NID_givenName},
    {"T", NID_title},
    {"N", NID_name},
    {"I", NID_initials},
    {"D", NID_description},
};

int attribute_nid(std::string_view name) {
  for (const Alias& a : kAliases)
    if (equal_ci(name, a.text)) return a.nid;
  std::string s(name);
  ASN1_OBJECT* obj = OBJ_txt2obj(s.c_str(), 0);  // short name, long name or dotted OID
  if (obj == nullptr) return NID_undef;
  int nid = OBJ_obj2nid(obj);
  ASN1_OBJECT_free(obj);
  return nid;
}

std::string attribute_name(const ASN1_OBJECT* obj) {
  int nid = OBJ_obj2nid(obj);
  if (nid == NID_serialNumber) return "serialNumber";  // "SN" would read back as serialNumber anyway
  if (nid == NID_surname) return "S";                  // OpenSSL's "SN" would read back wrongly
  if (nid == NID_pkcs9_emailAddress) return "E";
  if (nid != NID_undef) {
    if (const char* sn = OBJ_nid2sn(nid)) return sn;
  }
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, static_cast<size_t>(n)) : "?";
}

// Splits "C=CH, O=x\, y, CN=z" into trimmed, unescaped (name, value) pairs. Backslash
// escapes any character; double quotes enclose a value with commas.
std::optional<std::vector<std::pair<std::string, std::string>>> split_dn(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name(text.substr(i, eq - i));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (name.empty()) return std::nullopt;
    i = eq + 1;
    while (i < text.size() && text[i] == ' ') ++i;
    std::string value;
    bool quoted = false;
    bool comma = false;
    size_t last_significant = 0;  // value length up to the last escaped / quoted / non-space char
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\\') {
        if (++i == text.size()) return std::nullopt;
        value.push_back(text[i]);
        last_significant = value.size();
      } else if (c == '"') {
        quoted = !quoted;
        last_significant = value.size();
      } else if (c == ',' && !quoted) {
        comma = true;
        break;
      } else {
        value.push_back(c);
        if (c != ' ' || quoted) last_significant = value.size();
      }
    }
    if (quoted) return std::nullopt;
    value.resize(last_significant);
    out.emplace_back(std::move(name), std::move(value));
    if (comma && ++i == text.size()) return std::nullopt;  // a trailing comma
  }
  if (out.empty()) return std::nullopt;
  return out;
}

Result<Identity> parse_dn(std::string_view text) {
  auto parts = split_dn(text);
  if (!parts) return make_error("invalid distinguished name: " + std::string(text));
  NamePtr name(X509_NAME_new());
  if (!name) return make_error("out of memory");
  for (const auto& [attr, value] : *parts) {
    int nid = attribute_nid(attr);
    if (nid == NID_undef) return make_error("unknown DN attribute '" + attr + "'");
    if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1)
      return make_error("invalid value for DN attribute '" + attr + "'");
  }
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name.get(), &der);
  if (len <= 0) return make_error("cannot encode distinguished name");
  Identity id = make(IdType::DerAsn1Dn, BytesView(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  return id;
}

NamePtr decode_dn(BytesView der) {
  const unsigned char* p = der.data();
  NamePtr n(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  if (!n || p != der.data() + der.size()) return nullptr;  // trailing garbage is not a DN
  return n;
}

std::string escape_dn_value(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool edge_space = c == ' ' && (i == 0 || i + 1 == v.size());
    if (c == ',' || c == '\\' || c == '"' || c == '+' || c == '=' || edge_space) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> print_dn(BytesView der) {
  NamePtr name = decode_dn(der);
  if (!name) return std::nullopt;
  std::string out;
  for (int i = 0; i < X509_NAME_entry_count(name.get()); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name.get(), i);
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n < 0) return std::nullopt;
    std::string value(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
    if (!out.empty()) out += ", ";
    out += attribute_name(X509_NAME_ENTRY_get_object(e)) + "=" + escape_dn_value(value);
  }
  return out;
}

// Printable text for logs: FQDN / RFC822 data from the wire may hold anything.
std::string printable(BytesView b) {
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t c : b) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<Identity> parse_binary(IdType type, std::string_view rest) {
  if (!rest.empty() && rest[0] == '#') {
    auto bin = hex_decode(rest.substr(1));
    if (!bin || bin->empty()) return make_error("invalid hex identity: " + std::string(rest));
    if (type == IdType::DerAsn1Dn && !decode_dn(*bin)) return make_error("not a DER distinguished name");
    return Identity{type, std::move(*bin)};
  }
  if (type == IdType::DerAsn1Dn) return parse_dn(rest);
  if (rest.empty()) return make_error("empty identity");
  return make(type, as_bytes(rest));
}

Result<Identity> parse_address(IdType type, std::string_view text) {
  auto a = IpAddress::parse(text);
  if (!a || a->is_v4() != (type == IdType::Ipv4Addr))
    return make_error("invalid address: " + std::string(text));
  return make(type, a->bytes());
}

bool wildcard_suffix_match(std::string_view pattern, std::string_view value) {
  if (!pattern.empty() && pattern[0] == '*') {
    std::string_view suffix = pattern.substr(1);
    return value.size() >= suffix.size() && equal_ci(value.substr(value.size() - suffix.size()), suffix);
  }
  return equal_ci(pattern, value);
}

bool dn_matches(BytesView configured, BytesView received) {
  NamePtr c = decode_dn(configured), r = decode_dn(received);
  if (!c || !r) return false;
  if (X509_NAME_cmp(c.get(), r.get()) == 0) return true;
  // Attribute by attribute, with "*" matching any value of its attribute.
  const int n = X509_NAME_entry_count(c.get());
  if (n != X509_NAME_entry_count(r.get())) return false;
  bool wildcard = false;
  for (int i = 0; i < n; ++i) {
    X509_NAME_ENTRY* ce = X509_NAME_get_entry(c.get(), i);
    X509_NAME_ENTRY* re = X509_NAME_get_entry(r.get(), i);
    if (OBJ_cmp(X509_NAME_ENTRY_get_object(ce), X509_NAME_ENTRY_get_object(re)) != 0) return false;
    const ASN1_STRING* cv = X509_NAME_ENTRY_get_data(ce);
    if (ASN1_STRING_length(cv) == 1 && ASN1_STRING_get0_data(cv)[0] == '*') {
      wildcard = true;
      continue;
    }
    // Compare one attribute with OpenSSL's canonical rules (case, spaces, string type).
    NamePtr a(X509_NAME_new()), b(X509_NAME_new());
    if (!a || !b || X509_NAME_add_entry(a.get(), ce, -1, 0) != 1 ||
        X509_NAME_add_entry(b.get(), re, -1, 0) != 1)
      return false;
    if (X509_NAME_cmp(a.get(), b.get()) != 0) return false;
  }
  return wildcard;
}

}  // namespace

Result<Identity> parse_identity(std::string_view text) {
  if (text.empty() || text == "%any" || text == "%any6") return Identity{};
  struct Prefix {
    const char* text;
    IdType type;
  };
  static constexpr Prefix kPrefixes[] = {
      {"ipv4:", IdType::Ipv4Addr},     {"ipv6:", IdType::Ipv6Addr},    {"fqdn:", IdType::Fqdn},
      {"rfc822:", IdType::Rfc822Addr}, {"email:", IdType::Rfc822Addr}, {"userfqdn:", IdType::Rfc822Addr},
      {"keyid:", IdType::KeyId},       {"asn1dn:", IdType::DerAsn1Dn},
  };
  for (const Prefix& p : kPrefixes) {
    if (!starts_with_ci(text, p.text)) continue;
    std::string_view rest = text.substr(std::string_view(p.text).size());
    if (p.type == IdType::Ipv4Addr || p.type == IdType::Ipv6Addr) return parse_address(p.type, rest);
    if (p.type == IdType::KeyId || p.type == IdType::DerAsn1Dn) return parse_binary(p.type, rest);
    if (rest.empty()) return make_error("empty identity");
    return make(p.type, as_bytes(rest));
  }
  if (text[0] == '@') {
    if (text.size() > 1 && text[1] == '#') return parse_binary(IdType::KeyId, text.substr(1));
    if (text.size() > 1 && text[1] == '@') {
      if (text.size() == 2) return make_error("empty identity");
      return make(IdType::Rfc822Addr, as_bytes(text.substr(2)));
    }
    if (text.size() == 1) return make_error("empty identity");
    return make(IdType::Fqdn, as_bytes(text.substr(1)));
  }
  if (text.find('=') != std::string_view::npos) return parse_dn(text);
  if (text.find('@') != std::string_view::npos) return make(IdType::Rfc822Addr, as_bytes(text));
  if (auto a = IpAddress::parse(text))
    return make(a->is_v4() ? IdType::Ipv4Addr : IdType::Ipv6Addr, a->bytes());
  return make(IdType::Fqdn, as_bytes(text));
}

std::string to_string(const Identity& id) {
  const std::string_view text = as_text(id.data);
  switch (id.type) {
    case IdType::Any:
      return "%any";
    case IdType::Ipv4Addr:
      if (id.data.size() == 4) return IpAddress::v4(BytesView(id.data)).to_string();
      break;
    case IdType::Ipv6Addr:
      if (id.data.size() == 16) return IpAddress::v6(id.data).to_string();
      break;
    case IdType::Fqdn: {
      std::string p = printable(id.data);
      // Plain when it reads back as this FQDN, else with the forcing '@' or prefix.
      if (p == text && !text.empty() && text[0] != '@' && text[0] != '%' &&
          text.find_first_of("=@:") == std::string_view::npos && !IpAddress::parse(text))
        return p;
      if (p == text && !text.empty() && text[0] != '#' && text[0] != '@') return "@" + p;
      return "fqdn:" + p;
    }
    case IdType::Rfc822Addr: {
      std::string p = printable(id.data);
      if (p == text && !text.empty() && text[0] != '@' && text.find('=') == std::string_view::npos &&
          text.find('@') != std::string_view::npos && text.find(':') == std::string_view::npos)
        return p;
      return "rfc822:" + p;
    }
    case IdType::KeyId:
      return "@#" + hex_encode(id.data);
    case IdType::DerAsn1Dn:
      if (auto dn = print_dn(id.data)) return *dn;
      return "asn1dn:#" + hex_encode(id.data);
    default:
      break;
  }
  return "id" + std::to_string(static_cast<int>(id.type)) + ":#" + hex_encode(id.data);
}

bool identity_matches(const Identity& configured, const Identity& received) {
  if (configured.is_any()) return true;
  if (configured.type != received.type) return false;
  switch (configured.type) {
    case IdType::Fqdn:
    case IdType::Rfc822Addr:
      return wildcard_suffix_match(as_text(configured.data), as_text(received.data));
    case IdType::DerAsn1Dn:
      return dn_matches(configured.data, received.data);
    default:
      return configured.data == received.data;
  }
}

Bytes id_payload_body(const Identity& id) {
  Bytes out;
  out.reserve(4 + id.data.size());
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>(id.type));
  w.zeros(3);  // RESERVED
  w.bytes(id.data);
  return out;
}

Result<Identity> parse_id_payload_body(BytesView body) {
  if (body.size() < 4) return make_error("ID payload too short");
  Identity id{static_cast<IdType>(body[0]), Bytes(body.begin() + 4, body.end())};
  switch (id.type) {
    case IdType::Any:
      return make_error("ID type 0 is reserved");
    case IdType::Ipv4Addr:
      if (id.data.size() != 4) return make_error("ID_IPV4_ADDR must be 4 octets");
      break;
    case IdType::Ipv6Addr:
      if (id.data.size() != 16) return make_error("ID_IPV6_ADDR must be 16 octets");
      break;
    case IdType::Fqdn:
    case IdType::Rfc822Addr:
      // RFC 7296 3.5: no terminators (NUL, CR, ...).
      if (id.data.empty() || std::find(id.data.begin(), id.data.end(), 0) != id.data.end())
        return make_error("invalid FQDN / RFC822 identity");
      break;
    case IdType::DerAsn1Dn:
      if (!decode_dn(id.data)) return make_error("ID_DER_ASN1_DN is not a valid DER name");
      break;
    default:
      if (id.data.empty()) return make_error("empty identity");
      break;
  }
  return id;
}

}  // namespace portunus::ike
