#include "portunus/config/proposal_keywords.h"

#include <algorithm>

#include "portunus/config/values.h"

namespace portunus::config {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using crypto::TransformType;
using wire::ProtocolId;
using wire::Transform;

namespace {

struct Keyword {
  std::string name;
  Transform transform;
  bool aead = false;
  bool legacy = false;
};

Transform tf(TransformType t, uint16_t id, uint16_t bits = 0) { return Transform{t, id, bits}; }

void add_encr(std::vector<Keyword>& k, std::string name, EncrId id, uint16_t bits, bool aead,
              bool legacy = false) {
  k.push_back(
      Keyword{std::move(name), tf(TransformType::Encr, static_cast<uint16_t>(id), bits), aead, legacy});
}

// The keyword table. The first name listed for a transform is the one proposal_to_string
// writes; aliases follow it.
const std::vector<Keyword>& keywords() {
  static const std::vector<Keyword> table = [] {
    std::vector<Keyword> k;
    for (uint16_t bits : {128, 192, 256}) {
      std::string aes = "aes" + std::to_string(bits);
      add_encr(k, aes, EncrId::AesCbc, bits, false);
      add_encr(k, aes + "gcm16", EncrId::AesGcm16, bits, true);
      add_encr(k, aes + "gcm12", EncrId::AesGcm12, bits, true);
      add_encr(k, aes + "gcm8", EncrId::AesGcm8, bits, true);
      add_encr(k, aes + "ctr", EncrId::AesCtr, bits, false);
      // strongSwan's aliases: ICV length in bits, and a bare "gcm" meaning 16 octets.
      add_encr(k, aes + "gcm128", EncrId::AesGcm16, bits, true);
      add_encr(k, aes + "gcm96", EncrId::AesGcm12, bits, true);
      add_encr(k, aes + "gcm64", EncrId::AesGcm8, bits, true);
      add_encr(k, aes + "gcm", EncrId::AesGcm16, bits, true);
    }
    add_encr(k, "aes", EncrId::AesCbc, 128, false);
    add_encr(k, "3des", EncrId::TripleDes, 0, false);
    add_encr(k, "des", EncrId::Des, 0, false, /*legacy=*/true);
    add_encr(k, "chacha20poly1305", EncrId::ChaCha20Poly1305, 0, true);
    add_encr(k, "null", EncrId::Null, 0, false);

    auto integ = [&](std::string name, IntegId id, bool legacy = false) {
      k.push_back(
          Keyword{std::move(name), tf(TransformType::Integ, static_cast<uint16_t>(id)), false, legacy});
    };
    integ("sha256", IntegId::HmacSha2_256_128);
    integ("sha384", IntegId::HmacSha2_384_192);
    integ("sha512", IntegId::HmacSha2_512_256);
    integ("sha1", IntegId::HmacSha1_96);
    integ("aesxcbc", IntegId::AesXcbc96);
    integ("aescmac", IntegId::AesCmac96);
    integ("md5", IntegId::HmacMd5_96, true);
    integ("sha", IntegId::HmacSha1_96);
    integ("sha2_256", IntegId::HmacSha2_256_128);
    integ("sha2_384", IntegId::HmacSha2_384_192);
    integ("sha2_512", IntegId::HmacSha2_512_256);
    integ("sha256_96", IntegId::HmacSha2_256_96);
    integ("sha2_256_96", IntegId::HmacSha2_256_96);

    auto prf = [&](std::string name, PrfId id, bool legacy = false) {
      k.push_back(Keyword{std::move(name), tf(TransformType::Prf, static_cast<uint16_t>(id)), false, legacy});
    };
    prf("prfsha256", PrfId::HmacSha2_256);
    prf("prfsha384", PrfId::HmacSha2_384);
    prf("prfsha512", PrfId::HmacSha2_512);
    prf("prfsha1", PrfId::HmacSha1);
    prf("prfaesxcbc", PrfId::Aes128Xcbc);
    prf("prfaescmac", PrfId::Aes128Cmac);
    prf("prfmd5", PrfId::HmacMd5, true);

    auto ke = [&](std::string name, KeGroup id, bool legacy = false) {
      k.push_back(Keyword{std::move(name), tf(TransformType::Ke, static_cast<uint16_t>(id)), false, legacy});
    };
    ke("modp768", KeGroup::Modp768, true);
    ke("modp1024", KeGroup::Modp1024, true);
    ke("modp1536", KeGroup::Modp1536);
    ke("modp2048", KeGroup::Modp2048);
    ke("modp3072", KeGroup::Modp3072);
    ke("modp4096", KeGroup::Modp4096);
    ke("modp6144", KeGroup::Modp6144);
    ke("modp8192", KeGroup::Modp8192);
    ke("modp1024s160", KeGroup::Modp1024s160);
    ke("modp2048s224", KeGroup::Modp2048s224);
    ke("modp2048s256", KeGroup::Modp2048s256);
    ke("ecp192", KeGroup::Ecp192);
    ke("ecp224", KeGroup::Ecp224);
    ke("ecp256", KeGroup::Ecp256);
    ke("ecp384", KeGroup::Ecp384);
    ke("ecp521", KeGroup::Ecp521);
    ke("ecp224bp", KeGroup::Brainpool224);
    ke("ecp256bp", KeGroup::Brainpool256);
    ke("ecp384bp", KeGroup::Brainpool384);
    ke("ecp512bp", KeGroup::Brainpool512);
    ke("curve25519", KeGroup::Curve25519);
    ke("x25519", KeGroup::Curve25519);
    ke("curve448", KeGroup::Curve448);
    ke("x448", KeGroup::Curve448);

    k.push_back(Keyword{"noesn", tf(TransformType::Esn, static_cast<uint16_t>(crypto::EsnId::NoEsn))});
    k.push_back(Keyword{"esn", tf(TransformType::Esn, static_cast<uint16_t>(crypto::EsnId::Esn))});
    return k;
  }();
  return table;
}

const Keyword* find_keyword(std::string_view name) {
  for (const auto& k : keywords()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const Keyword* find_transform(const Transform& t) {
  for (const auto& k : keywords()) {
    if (k.transform == t) return &k;
  }
  return nullptr;
}

// Keywords strongSwan knows that Portunus does not implement: named as unsupported rather
// than unknown, so that a converted strongSwan config gets a precise message.
bool known_but_unsupported(std::string_view kw) {
  static const char* const prefixes[] = {"camellia",
                                         "cast128",
                                         "blowfish",
                                         "twofish",
                                         "serpent",
                                         "aes128ccm",
                                         "aes192ccm",
                                         "aes256ccm",
                                         "aes128gmac",
                                         "aes192gmac",
                                         "aes256gmac",
                                         "sha256_96",
                                         "sha1_160",
                                         "md5_128",
                                         "prfcamellia",
                                         "ntru",
                                         "newhope",
                                         "mlkem",
                                         "ke1_",
                                         "ke2_",
                                         "ke3_",
                                         "ke4_",
                                         "ke5_",
                                         "ke6_",
                                         "ke7_",
                                         "idea",
                                         "rc5",
                                         "ecp224bp_",
                                         "chacha20poly1305new"};
  for (const char* p : prefixes) {
    if (kw.substr(0, std::string_view(p).size()) == p) return true;
  }
  return false;
}

bool has_type(const std::vector<Transform>& ts, TransformType t) {
  return std::any_of(ts.begin(), ts.end(), [t](const Transform& x) { return x.type == t; });
}

std::optional<PrfId> prf_for_integ(IntegId id) {
  switch (id) {
    case IntegId::HmacSha1_96:
      return PrfId::HmacSha1;
    case IntegId::HmacSha2_256_128:
    case IntegId::HmacSha2_256_96:
      return PrfId::HmacSha2_256;
    case IntegId::HmacSha2_384_192:
      return PrfId::HmacSha2_384;
    case IntegId::HmacSha2_512_256:
      return PrfId::HmacSha2_512;
    case IntegId::AesXcbc96:
      return PrfId::Aes128Xcbc;
    case IntegId::AesCmac96:
      return PrfId::Aes128Cmac;
    case IntegId::HmacMd5_96:
      return PrfId::HmacMd5;
    default:
      return std::nullopt;
  }
}

int type_rank(TransformType t) {
  switch (t) {
    case TransformType::Encr:
      return 0;
    case TransformType::Prf:
      return 1;
    case TransformType::Integ:
      return 2;
    case TransformType::Ke:
      return 3;
    case TransformType::Esn:
      return 4;
  }
  return 5;
}

Result<wire::Proposal> parse_one(std::string_view text, ProtocolId protocol, bool allow_legacy) {
  const std::string whole(text);
  std::vector<Transform> ts;
  bool aead = false, classic = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t dash = text.find('-', pos);
    if (dash == std::string_view::npos) dash = text.size();
    std::string kw = lower(text.substr(pos, dash - pos));
    pos = dash + 1;
    if (kw.empty()) return make_error("empty algorithm in proposal '" + whole + "'");
    if (kw == "default")
      return make_error("'default' must stand alone between commas, not in '" + whole + "'");
    const Keyword* k = find_keyword(kw);
    if (!k) {
      if (known_but_unsupported(kw)) {
        return make_error("algorithm '" + kw + "' in proposal '" + whole + "' is not supported by Portunus");
      }
      return make_error("unknown algorithm '" + kw + "' in proposal '" + whole + "'");
    }
    if (k->legacy && !allow_legacy) {
      return make_error("algorithm '" + kw + "' in proposal '" + whole +
                        "' is a legacy algorithm (RFC 8247 MUST NOT); it needs the legacy switch");
    }
    if (k->transform.type == TransformType::Encr) (k->aead ? aead : classic) = true;
    if (std::find(ts.begin(), ts.end(), k->transform) == ts.end()) ts.push_back(k->transform);
  }
  const bool ike = protocol == ProtocolId::Ike;
  if (!has_type(ts, TransformType::Encr))
    return make_error("no encryption algorithm in proposal '" + whole + "'");
  if (aead && classic) {
    return make_error("proposal '" + whole + "' mixes AEAD and non-AEAD encryption; use two proposals");
  }
  if (aead && has_type(ts, TransformType::Integ)) {
    return make_error("proposal '" + whole + "' has an integrity algorithm with an AEAD cipher");
  }
  if (classic && !has_type(ts, TransformType::Integ)) {
    return make_error("proposal '" + whole + "' needs an integrity algorithm");
  }
  if (ike) {
    if (has_type(ts, TransformType::Esn)) return make_error("esn/noesn in IKE proposal '" + whole + "'");
    for (const auto& t : ts) {
      if (t.type == TransformType::Encr && t.id == static_cast<uint16_t>(EncrId::Null)) {
        return make_error("null encryption is not allowed in IKE proposal '" + whole + "'");
      }
    }
    if (!has_type(ts, TransformType::Prf)) {
      // strongSwan's rule: no explicit PRF means the PRFs of the integrity algorithms.
      std::vector<Transform> prfs;
      for (const auto& t : ts) {
        if (t.type != TransformType::Integ) continue;
        auto p = prf_for_integ(static_cast<IntegId>(t.id));
        if (!p) continue;
        Transform pt = tf(TransformType::Prf, static_cast<uint16_t>(*p));
        if (std::find(prfs.begin(), prfs.end(), pt) == prfs.end()) prfs.push_back(pt);
      }
      if (prfs.empty()) return make_error("IKE proposal '" + whole + "' needs a PRF (e.g. prfsha256)");
      ts.insert(ts.end(), prfs.begin(), prfs.end());
    }
    if (!has_type(ts, TransformType::Ke)) {
      return make_error("IKE proposal '" + whole + "' needs a key exchange method (e.g. x25519)");
    }
  } else {
    if (has_type(ts, TransformType::Prf)) return make_error("PRF in ESP proposal '" + whole + "'");
    if (!has_type(ts, TransformType::Esn)) {
      ts.push_back(tf(TransformType::Esn, static_cast<uint16_t>(crypto::EsnId::NoEsn)));
    }
  }
  std::stable_sort(ts.begin(), ts.end(), [](const Transform& a, const Transform& b) {
    return type_rank(a.type) < type_rank(b.type);
  });
  wire::Proposal p;
  p.protocol = protocol;
  p.transforms = std::move(ts);
  return p;
}

}  // namespace

std::vector<wire::Proposal> default_proposals(ProtocolId protocol) {
  // strongSwan's defaults, restricted to the algorithms Portunus implements.
  static const char* const ike =
      "aes128-aes192-aes256-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512-ecp256-ecp384-ecp521-"
      "curve25519-curve448-modp3072-modp4096-modp6144-modp8192,"
      "aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-ecp256-ecp384-"
      "ecp521-curve25519-curve448-modp3072-modp4096-modp6144-modp8192";
  static const char* const esp =
      "aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305,aes128-aes192-aes256-sha256-sha384-sha512";
  auto r = parse_proposals(protocol == ProtocolId::Ike ? ike : esp, protocol);
  return r ? *r : std::vector<wire::Proposal>{};
}

Result<std::vector<wire::Proposal>> parse_proposals(std::string_view text, ProtocolId protocol,
                                                    bool allow_legacy) {
  if (protocol == ProtocolId::Ah) return make_error("AH is not supported");
  std::vector<wire::Proposal> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) return make_error("empty proposal in '" + std::string(text) + "'");
    if (lower(item) == "default") {
      for (auto& p : default_proposals(protocol)) out.push_back(std::move(p));
      continue;
    }
    auto p = parse_one(item, protocol, allow_legacy);
    if (!p) return Unexpected<Error>(p.error());
    out.push_back(std::move(*p));
  }
  if (out.size() > 255) return make_error("too many proposals");
  for (size_t i = 0; i < out.size(); ++i) out[i].number = static_cast<uint8_t>(i + 1);
  return out;
}

std::string proposal_to_string(const wire::Proposal& proposal) {
  static const TransformType order[] = {TransformType::Encr, TransformType::Integ, TransformType::Prf,
                                        TransformType::Ke, TransformType::Esn};
  std::string out;
  for (TransformType type : order) {
    for (const auto& t : proposal.transforms) {
      if (t.type != type) continue;
      const Keyword* k = find_transform(t);
      if (!out.empty()) out += '-';
      out += k ? k->name : "unknown" + std::to_string(static_cast<int>(t.type)) + "_" + std::to_string(t.id);
    }
  }
  return out;
}

std::string proposals_to_string(const std::vector<wire::Proposal>& proposals) {
  std::string out;
  for (const auto& p : proposals) {
    if (!out.empty()) out += ", ";
    out += proposal_to_string(p);
  }
  return out;
}

}  // namespace portunus::config
