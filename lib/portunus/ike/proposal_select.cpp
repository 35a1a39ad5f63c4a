#include "portunus/ike/proposal_select.h"

#include <algorithm>
#include <array>

namespace portunus::ike {

using crypto::TransformType;
using wire::Proposal;
using wire::ProtocolId;
using wire::Transform;

namespace {

constexpr std::array<TransformType, 5> kTypes = {TransformType::Encr, TransformType::Prf,
                                                 TransformType::Integ, TransformType::Ke, TransformType::Esn};

bool known_type(TransformType t) {
  auto v = static_cast<uint8_t>(t);
  return v >= 1 && v <= 5;
}

ProtocolId protocol_of(ProposalKind kind) {
  return kind == ProposalKind::ChildSa ? ProtocolId::Esp : ProtocolId::Ike;
}

size_t spi_size_of(ProposalKind kind) {
  switch (kind) {
    case ProposalKind::IkeSaInit:
      return 0;
    case ProposalKind::IkeRekey:
      return 8;
    case ProposalKind::ChildSa:
      return 4;
  }
  return 0;
}

bool has_type(const Proposal& p, TransformType t) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [t](const Transform& x) { return x.type == t; });
}

// Types where "absent" means the same as offering only NONE (id 0).
bool none_when_absent(TransformType t, ProposalKind kind) {
  if (t == TransformType::Integ || t == TransformType::Esn) return true;
  return t == TransformType::Ke && kind == ProposalKind::ChildSa;
}

// The transforms of one type, in proposal order, then the implied NONE if the type is
// absent and absence means NONE. A view over the proposal: selection runs on every
// IKE_SA_INIT and CREATE_CHILD_SA, and copying each type's list cost a heap allocation a time.
class OfType {
 public:
  OfType(const Proposal& p, TransformType t, ProposalKind kind) : p_(&p), type_(t) {
    for (const Transform& x : p.transforms) present_ = present_ || x.type == t;
    implied_none_ = !present_ && none_when_absent(t, kind);
  }
  bool empty() const { return !present_ && !implied_none_; }
  // Calls f on each transform in order until it returns true; whether one did.
  template <typename F>
  bool any(F f) const {
    if (implied_none_) return f(Transform{type_, 0, 0});
    for (const Transform& x : p_->transforms)
      if (x.type == type_ && f(x)) return true;
    return false;
  }
  bool contains(const Transform& t) const {
    return t.type == type_ && any([&](const Transform& x) { return x == t; });
  }

 private:
  const Proposal* p_;
  TransformType type_;
  bool present_ = false;
  bool implied_none_ = false;
};

}  // namespace

bool is_aead_encr(uint16_t id) {
  switch (id) {
    case 14:  // ENCR_AES_CCM_8
    case 15:  // ENCR_AES_CCM_12
    case 16:  // ENCR_AES_CCM_16
    case static_cast<uint16_t>(crypto::EncrId::AesGcm8):
    case static_cast<uint16_t>(crypto::EncrId::AesGcm12):
    case static_cast<uint16_t>(crypto::EncrId::AesGcm16):
    case static_cast<uint16_t>(crypto::EncrId::NullAuthAesGmac):
    case static_cast<uint16_t>(crypto::EncrId::ChaCha20Poly1305):
      return true;
    default:
      return false;
  }
}

bool proposal_well_formed(const Proposal& p, ProposalKind kind, bool check_spi_size) {
  if (p.protocol != protocol_of(kind)) return false;
  if (check_spi_size && p.spi.size() != spi_size_of(kind)) return false;
  size_t aead = 0, classic = 0;
  for (const Transform& t : p.transforms) {
    if (!known_type(t.type)) return false;  // RFC 7296 3.3.6: unknown type, proposal unacceptable
    if (t.type == TransformType::Encr) (is_aead_encr(t.id) ? aead : classic)++;
  }
  if (aead + classic == 0) return false;        // ENCR is mandatory for IKE and ESP
  if (aead != 0 && classic != 0) return false;  // RFC 5282 8: never mixed in one proposal
  const bool is_ike = kind != ProposalKind::ChildSa;
  if (is_ike != has_type(p, TransformType::Prf)) return false;  // PRF only, and always, for IKE
  if (is_ike && has_type(p, TransformType::Esn)) return false;
  bool integ_real = OfType(p, TransformType::Integ, kind).any([](const Transform& t) { return t.id != 0; });
  // RFC 5282 8: with an AEAD the integrity transform is absent or NONE. Without one we
  // insist on real integrity for ESP too (RFC 8221: encryption without authentication
  // MUST NOT be used); a NONE offered beside real ones is simply never chosen.
  if (aead != 0 && integ_real) return false;
  if (aead == 0 && !integ_real) return false;
  if (is_ike) {
    // KE is mandatory for IKE (3.3.3); NONE beside real groups is never chosen.
    if (!OfType(p, TransformType::Ke, kind).any([](const Transform& t) { return t.id != 0; })) return false;
  }
  return true;
}

namespace {

// The reduction of one (offered, configured) pair, choosing per type from `pref` first.
std::optional<Proposal> match_pair(const Proposal& offered, const Proposal& configured, ProposalKind kind,
                                   bool prefer_offered, std::optional<crypto::KeGroup> received_ke) {
  // Both are well formed, so all their ENCR transforms are of one kind.
  const bool aead = is_aead_encr(transform_id(offered, TransformType::Encr).value_or(0));
  Proposal out;
  out.number = offered.number;
  out.protocol = offered.protocol;
  out.spi = offered.spi;
  for (TransformType type : kTypes) {
    const OfType off(offered, type, kind);
    const OfType conf(configured, type, kind);
    if (off.empty() && conf.empty()) continue;  // a type neither side uses (PRF for ESP, ...)
    const auto& pref = prefer_offered ? off : conf;
    const auto& other = prefer_offered ? conf : off;
    // NONE is never a choice for INTEG without an AEAD, nor for the KE of an IKE SA.
    const bool none_forbidden = (type == TransformType::Integ && !aead) ||
                                (type == TransformType::Ke && kind != ProposalKind::ChildSa);
    std::optional<Transform> pick;
    if (type == TransformType::Ke && received_ke) {
      Transform wanted{TransformType::Ke, static_cast<uint16_t>(*received_ke), 0};
      if (off.contains(wanted) && conf.contains(wanted)) pick = wanted;
    }
    if (!pick) {
      pref.any([&](const Transform& t) {
        if (!other.contains(t) || (none_forbidden && t.id == 0)) return false;
        pick = t;
        return true;
      });
    }
    if (!pick) return std::nullopt;
    // Echo a type only if the initiator sent it (an implied NONE stays implied).
    if (has_type(offered, type)) out.transforms.push_back(*pick);
  }
  return out;
}

}  // namespace

std::optional<Proposal> select_proposal(std::span<const Proposal> offered,
                                        std::span<const Proposal> configured, ProposalKind kind,
                                        const SelectOptions& options) {
  const bool by_offer = options.prefer_initiator_order;
  const size_t outer_n = by_offer ? offered.size() : configured.size();
  const size_t inner_n = by_offer ? configured.size() : offered.size();
  for (size_t i = 0; i < outer_n; ++i) {
    for (size_t j = 0; j < inner_n; ++j) {
      const Proposal& off = by_offer ? offered[i] : offered[j];
      const Proposal& conf = by_offer ? configured[j] : configured[i];
      if (!proposal_well_formed(off, kind) || !proposal_well_formed(conf, kind, false)) continue;
      if (auto m = match_pair(off, conf, kind, by_offer, options.received_ke)) return m;
    }
  }
  return std::nullopt;
}

std::string_view name(ProposalReplyError e) {
  switch (e) {
    case ProposalReplyError::NotExactlyOne:
      return "SA payload does not hold exactly one proposal";
    case ProposalReplyError::UnknownNumber:
      return "proposal number or protocol not offered";
    case ProposalReplyError::BadSpi:
      return "bad SPI size or zero SPI";
    case ProposalReplyError::DuplicateType:
      return "more than one transform of a type";
    case ProposalReplyError::NotOffered:
      return "transform not offered";
    case ProposalReplyError::MissingType:
      return "offered transform type missing";
    case ProposalReplyError::Malformed:
      return "malformed proposal";
  }
  return "?";
}

Expected<Proposal, ProposalReplyError> validate_selected_proposal(std::span<const Proposal> reply,
                                                                  std::span<const Proposal> offered,
                                                                  ProposalKind kind) {
  using E = ProposalReplyError;
  if (reply.size() != 1) return Unexpected(E::NotExactlyOne);
  const Proposal& r = reply[0];
  const Proposal* sent = nullptr;
  for (const Proposal& o : offered)
    if (o.number == r.number && o.protocol == r.protocol) sent = &o;
  if (sent == nullptr || r.protocol != protocol_of(kind)) return Unexpected(E::UnknownNumber);
  if (r.spi.size() != spi_size_of(kind)) return Unexpected(E::BadSpi);
  if (!r.spi.empty() && std::all_of(r.spi.begin(), r.spi.end(), [](uint8_t b) { return b == 0; }))
    return Unexpected(E::BadSpi);
  for (const Transform& t : r.transforms) {
    if (!known_type(t.type)) return Unexpected(E::NotOffered);
    if (std::count_if(r.transforms.begin(), r.transforms.end(),
                      [&](const Transform& x) { return x.type == t.type; }) > 1)
      return Unexpected(E::DuplicateType);
    if (!OfType(*sent, t.type, kind).contains(t)) return Unexpected(E::NotOffered);
  }
  for (TransformType type : kTypes) {
    if (!has_type(*sent, type) || has_type(r, type)) continue;
    // Omitting a type is the same as choosing NONE, which is fine only if NONE was offered.
    if (!none_when_absent(type, kind) || !OfType(*sent, type, kind).contains(Transform{type, 0, 0}))
      return Unexpected(E::MissingType);
  }
  if (!proposal_well_formed(r, kind)) return Unexpected(E::Malformed);
  return r;
}

std::optional<uint16_t> transform_id(const Proposal& p, TransformType type) {
  for (const Transform& t : p.transforms)
    if (t.type == type) return t.id;
  return std::nullopt;
}

crypto::KeGroup chosen_ke_group(const Proposal& p) {
  return static_cast<crypto::KeGroup>(transform_id(p, TransformType::Ke).value_or(0));
}

crypto::KeGroup initial_ke_group(std::span<const Proposal> offered) {
  for (const Proposal& p : offered)
    for (const Transform& t : p.transforms)
      if (t.type == TransformType::Ke && t.id != 0) return static_cast<crypto::KeGroup>(t.id);
  return crypto::KeGroup::None;
}

bool ke_retry_acceptable(std::span<const Proposal> offered, crypto::KeGroup requested, crypto::KeGroup used) {
  if (requested == crypto::KeGroup::None || requested == used) return false;
  Transform wanted{TransformType::Ke, static_cast<uint16_t>(requested), 0};
  return std::any_of(offered.begin(), offered.end(), [&](const Proposal& p) {
    return std::find(p.transforms.begin(), p.transforms.end(), wanted) != p.transforms.end();
  });
}

}  // namespace portunus::ike
