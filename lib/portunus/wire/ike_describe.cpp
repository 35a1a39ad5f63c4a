// Human-readable dump of IKE messages: one line per payload, nested items indented. Transform
// names are the IANA names (the wire layer cannot use crypto's name tables: it does not link
// the crypto library, only its id enums).
#include <algorithm>
#include <cstdio>
#include <variant>

#include "portunus/wire/ike_message.h"

namespace portunus::wire {

namespace {

constexpr size_t kHexLimit = 32;  // octets shown before eliding long values

std::string hex_short(BytesView b) {
  std::string s = hex_encode(b.first(std::min(b.size(), kHexLimit)));
  if (b.size() > kHexLimit) s += "...";
  return s;
}

// Text is appended as (s += " ") += x rather than s += " " + x: the temporary of the latter
// trips GCC 12's -Wrestrict at -O3 (a false positive, GCC bug 105329) and breaks -Werror builds.
std::string sized(BytesView b) {
  std::string s = std::to_string(b.size()) + " octets";
  if (!b.empty()) (s += " ") += hex_short(b);
  return s;
}

std::string hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string_view transform_type_name(crypto::TransformType t) {
  switch (t) {
    case crypto::TransformType::Encr:
      return "ENCR";
    case crypto::TransformType::Prf:
      return "PRF";
    case crypto::TransformType::Integ:
      return "INTEG";
    case crypto::TransformType::Ke:
      return "KE";
    case crypto::TransformType::Esn:
      return "ESN";
    default:
      break;  // crypto's enum may grow: print the number
  }
  return "TRANSFORM";
}

std::string_view encr_name(uint16_t id) {
  switch (id) {
    case 2:
      return "DES";
    case 3:
      return "3DES";
    case 11:
      return "NULL";
    case 12:
      return "AES_CBC";
    case 13:
      return "AES_CTR";
    case 14:
      return "AES_CCM_8";
    case 15:
      return "AES_CCM_12";
    case 16:
      return "AES_CCM_16";
    case 18:
      return "AES_GCM_8";
    case 19:
      return "AES_GCM_12";
    case 20:
      return "AES_GCM_16";
    case 21:
      return "NULL_AUTH_AES_GMAC";
    case 23:
      return "CAMELLIA_CBC";
    case 28:
      return "CHACHA20_POLY1305";
    default:
      return {};
  }
}

std::string_view prf_name(uint16_t id) {
  switch (id) {
    case 1:
      return "HMAC_MD5";
    case 2:
      return "HMAC_SHA1";
    case 4:
      return "AES128_XCBC";
    case 5:
      return "HMAC_SHA2_256";
    case 6:
      return "HMAC_SHA2_384";
    case 7:
      return "HMAC_SHA2_512";
    case 8:
      return "AES128_CMAC";
    default:
      return {};
  }
}

std::string_view integ_name(uint16_t id) {
  switch (id) {
    case 0:
      return "NONE";
    case 1:
      return "HMAC_MD5_96";
    case 2:
      return "HMAC_SHA1_96";
    case 5:
      return "AES_XCBC_96";
    case 8:
      return "AES_CMAC_96";
    case 12:
      return "HMAC_SHA2_256_128";
    case 13:
      return "HMAC_SHA2_384_192";
    case 14:
      return "HMAC_SHA2_512_256";
    default:
      return {};
  }
}

std::string_view ke_name(uint16_t id) {
  switch (id) {
    case 0:
      return "NONE";
    case 1:
      return "MODP_768";
    case 2:
      return "MODP_1024";
    case 5:
      return "MODP_1536";
    case 14:
      return "MODP_2048";
    case 15:
      return "MODP_3072";
    case 16:
      return "MODP_4096";
    case 17:
      return "MODP_6144";
    case 18:
      return "MODP_8192";
    case 19:
      return "ECP_256";
    case 20:
      return "ECP_384";
    case 21:
      return "ECP_521";
    case 22:
      return "MODP_1024_160";
    case 23:
      return "MODP_2048_224";
    case 24:
      return "MODP_2048_256";
    case 25:
      return "ECP_192";
    case 26:
      return "ECP_224";
    case 27:
      return "BRAINPOOL_P224R1";
    case 28:
      return "BRAINPOOL_P256R1";
    case 29:
      return "BRAINPOOL_P384R1";
    case 30:
      return "BRAINPOOL_P512R1";
    case 31:
      return "CURVE25519";
    case 32:
      return "CURVE448";
    default:
      return {};
  }
}

std::string transform_name(const Transform& t) {
  std::string_view n;
  switch (t.type) {
    case crypto::TransformType::Encr:
      n = encr_name(t.id);
      break;
    case crypto::TransformType::Prf:
      n = prf_name(t.id);
      break;
    case crypto::TransformType::Integ:
      n = integ_name(t.id);
      break;
    case crypto::TransformType::Ke:
      n = ke_name(t.id);
      break;
    case crypto::TransformType::Esn:
      n = t.id == 0 ? "NO_ESN" : t.id == 1 ? "ESN" : "";
      break;
    default:
      break;
  }
  std::string s(transform_type_name(t.type));
  if (s == "TRANSFORM") s += std::to_string(static_cast<unsigned>(t.type));
  s += "_";
  s += n.empty() ? std::to_string(t.id) : std::string(n);
  if (t.key_bits != 0) s += "/" + std::to_string(t.key_bits);
  for (const auto& a : t.other_attributes)
    s += " [attr " + std::to_string(a.type) + (a.tv ? " TV " : " TLV ") + hex_short(a.value) + "]";
  return s;
}

std::string auth_method_name(crypto::AuthMethod m) {
  switch (m) {
    case crypto::AuthMethod::RsaSig:
      return "RSA_SIG";
    case crypto::AuthMethod::SharedKeyMic:
      return "SHARED_KEY_MIC";
    case crypto::AuthMethod::DssSig:
      return "DSS_SIG";
    case crypto::AuthMethod::EcdsaSha256P256:
      return "ECDSA_SHA256_P256";
    case crypto::AuthMethod::EcdsaSha384P384:
      return "ECDSA_SHA384_P384";
    case crypto::AuthMethod::EcdsaSha512P521:
      return "ECDSA_SHA512_P521";
    case crypto::AuthMethod::DigitalSignature:
      return "DIGITAL_SIGNATURE";
    default:
      break;  // crypto's enum may grow: print the number
  }
  return "AUTH_METHOD_" + std::to_string(static_cast<unsigned>(m));
}

std::string protocol_name(uint8_t p) {
  switch (p) {
    case 0:
      return "NONE";
    case 1:
      return "IKE";
    case 2:
      return "AH";
    case 3:
      return "ESP";
    default:
      return "PROTO_" + std::to_string(p);
  }
}

std::string selector_text(const TrafficSelector& s) {
  std::string out = s.start_addr.to_string() + "-" + s.end_addr.to_string();
  out += " proto " + std::to_string(s.ip_protocol);
  out += " ports " + std::to_string(s.start_port) + "-" + std::to_string(s.end_port);
  return out;
}

struct Describer {
  std::string operator()(const SaPayload& sa) const {
    std::string s = "SA: " + std::to_string(sa.proposals.size()) + " proposal(s)";
    for (const auto& p : sa.proposals) {
      s += "\n    proposal #" + std::to_string(p.number) + " " +
           protocol_name(static_cast<uint8_t>(p.protocol));
      if (!p.spi.empty()) s += " SPI " + hex_encode(p.spi);
      s += ":";
      for (const auto& t : p.transforms) (s += " ") += transform_name(t);
    }
    return s;
  }
  std::string operator()(const KePayload& ke) const {
    const auto id = static_cast<uint16_t>(ke.group);
    std::string g(ke_name(id));
    return "KE: group " + (g.empty() ? std::string() : g + " ") + "(" + std::to_string(id) + "), " +
           sized(ke.data);
  }
  template <PayloadType kType>
  std::string operator()(const IdentificationPayload<kType>& id) const {
    std::string s = name(kType) + ": " + name(id.id_type) + " ";
    if (id.id_type == IdType::Ipv4Addr && id.data.size() == 4) return s + IpAddress::v4(id.data).to_string();
    if (id.id_type == IdType::Ipv6Addr && id.data.size() == 16) return s + IpAddress::v6(id.data).to_string();
    if (id.id_type == IdType::Fqdn || id.id_type == IdType::Rfc822Addr) {
      bool printable = true;
      for (uint8_t c : id.data) printable = printable && c >= 0x20 && c < 0x7f;
      if (printable) return s + "'" + std::string(id.data.begin(), id.data.end()) + "'";
    }
    return s + sized(id.data);
  }
  std::string operator()(const CertPayload& c) const {
    return "CERT: " + name(c.encoding) + ", " + sized(c.data);
  }
  std::string operator()(const CertReqPayload& c) const {
    return "CERTREQ: " + name(c.encoding) + ", " + sized(c.data);
  }
  std::string operator()(const AuthPayload& a) const {
    return "AUTH: " + auth_method_name(a.method) + ", " + sized(a.data);
  }
  std::string operator()(const NoncePayload& n) const { return "No: " + sized(n.data); }
  std::string operator()(const NotifyPayload& n) const {
    std::string s = "N(" + name(n.type) + ")";
    if (!n.spi.empty()) (s += " ") += protocol_name(n.protocol) + " SPI " + hex_encode(n.spi);
    if (!n.data.empty()) s += ", data " + sized(n.data);
    return s;
  }
  std::string operator()(const DeletePayload& d) const {
    std::string s = "D: " + protocol_name(static_cast<uint8_t>(d.protocol));
    for (uint32_t spi : d.spis) {
      char buf[11];
      std::snprintf(buf, sizeof buf, "0x%08x", spi);
      s += std::string(" ") + buf;
    }
    return s;
  }
  std::string operator()(const VendorIdPayload& v) const { return "V: " + sized(v.data); }
  template <PayloadType kType>
  std::string operator()(const TrafficSelectorPayload<kType>& ts) const {
    std::string s = name(kType) + ":";
    for (const auto& sel : ts.selectors) (s += "\n    ") += selector_text(sel);
    return s;
  }
  std::string operator()(const EncryptedPayload& sk) const {
    return "SK: first inner " + name(sk.first_inner) + ", body " + std::to_string(sk.body.size()) + " octets";
  }
  std::string operator()(const EncryptedFragmentPayload& f) const {
    return "SKF: fragment " + std::to_string(f.fragment_number) + "/" + std::to_string(f.total_fragments) +
           ", first inner " + name(f.first_inner) + ", body " + std::to_string(f.body.size()) + " octets";
  }
  std::string operator()(const ConfigPayload& cp) const {
    std::string s = "CP: " + name(cp.cfg_type);
    for (const auto& a : cp.attributes) {
      (s += "\n    ") += name(a.type);
      if (a.value.size() == 4 && (a.type == ConfigAttributeType::InternalIp4Address ||
                                  a.type == ConfigAttributeType::InternalIp4Netmask ||
                                  a.type == ConfigAttributeType::InternalIp4Dns)) {
        (s += " ") += IpAddress::v4(a.value).to_string();
      } else if (!a.value.empty()) {
        (s += " ") += sized(a.value);
      }
    }
    return s;
  }
  std::string operator()(const EapPayload& e) const {
    std::string s = "EAP: ";
    if (!e.message.empty()) {
      static constexpr const char* kCodes[] = {"?", "Request", "Response", "Success", "Failure"};
      const uint8_t code = e.message[0];
      s += code <= 4 ? kCodes[code] : "code " + std::to_string(code);
      if (e.message.size() > 4) s += " type " + std::to_string(e.message[4]);
      s += ", ";
    }
    return s + std::to_string(e.message.size()) + " octets";
  }
  std::string operator()(const UnknownPayload& u) const {
    return name(static_cast<PayloadType>(u.type)) + (u.critical ? " (critical)" : "") + ": " + sized(u.body);
  }
};

}  // namespace

std::string describe(const Payload& payload) { return std::visit(Describer{}, payload); }

std::string describe(const Message& msg) {
  const IkeHeader& h = msg.header;
  std::string s = name(h.exchange) + (h.response ? " response" : " request");
  s += " #" + std::to_string(h.message_id);
  s += h.initiator ? " from initiator" : " from responder";
  s += ", SPIi " + hex64(h.initiator_spi) + " SPIr " + hex64(h.responder_spi);
  s += ", version " + std::to_string(h.major_version) + "." + std::to_string(h.minor_version);
  if (h.higher_version) s += " (V)";
  s += "\n";
  for (const auto& p : msg.payloads) s += "  " + describe(p) + "\n";
  return s;
}

}  // namespace portunus::wire
