#pragma once
// Proposal negotiation (RFC 7296 2.7, 3.3). The responder picks one proposal out of the
// initiator's SA payload and reduces it to exactly one transform of each type; the
// initiator checks that the reply is one of the things it offered.
//
// Preference order: like strongSwan's default (charon.prefer_configured_proposals = yes),
// the responder walks its own configured proposals in order and, for each, the
// initiator's proposals in order; the first acceptable pair wins, and within it each
// transform type takes the responder's first algorithm that the initiator also offered.
// SelectOptions::prefer_initiator_order flips both loops (strongSwan with
// prefer_configured_proposals = no). Either way, if the group of the initiator's KE
// payload is acceptable in the winning pair it is chosen, which saves the
// INVALID_KE_PAYLOAD round trip (RFC 7296 1.2 lets the responder pick any acceptable group).
//
// A proposal is acceptable only if it is well formed for its protocol (RFC 7296 3.3.3,
// RFC 5282 8):
//  - IKE: ENCR, PRF and KE (a real group, not NONE) required; INTEG required unless the
//    encryption is an AEAD, in which case INTEG must be absent or NONE; no ESN.
//  - ESP: ENCR required, no PRF; INTEG required (not NONE) unless AEAD, absent or NONE with
//    AEAD; KE optional (PFS); ESN optional (absent means "no ESN").
//  - AEAD and non-AEAD encryption never in one proposal.
//  - Every transform type known (1..5); unknown types make the proposal unacceptable (3.3.6).
// Transforms match when type, id and Key Length attribute are all equal. For the optional
// types (INTEG with AEAD, KE for ESP, ESN) an absent type is the same as offering only
// NONE (id 0), and the chosen proposal carries the type only if the initiator sent it.
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "portunus/base/expected.h"
#include "portunus/crypto/ids.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::ike {

// Which SA the proposals are for; it fixes the protocol and the SPI size (RFC 7296 3.3.1).
enum class ProposalKind : uint8_t {
  IkeSaInit,  // IKE, SPI size 0
  IkeRekey,   // IKE, SPI size 8 (CREATE_CHILD_SA rekeying the IKE SA)
  ChildSa,    // ESP, SPI size 4
};

struct SelectOptions {
  bool prefer_initiator_order = false;
  // The group of the initiator's KE payload, if one came with the proposals.
  std::optional<crypto::KeGroup> received_ke;
};

// True for combined-mode (AEAD) encryption ids: AES-CCM, AES-GCM, AES-GMAC, ChaCha20-Poly1305.
bool is_aead_encr(uint16_t encr_id);

// Whether one proposal is well formed for `kind` (the rules above; SPI size included for
// offered proposals, not for configured ones, which carry no SPI).
bool proposal_well_formed(const wire::Proposal& p, ProposalKind kind, bool check_spi_size = true);

// Responder: the proposal to send back (number and SPI copied from the chosen offer, one
// transform per type, types in the order ENCR, PRF, INTEG, KE, ESN), or nullopt for
// NO_PROPOSAL_CHOSEN. For a Child SA the caller replaces the SPI with its own inbound SPI.
std::optional<wire::Proposal> select_proposal(std::span<const wire::Proposal> offered,
                                              std::span<const wire::Proposal> configured, ProposalKind kind,
                                              const SelectOptions& options = {});

enum class ProposalReplyError : uint8_t {
  NotExactlyOne,  // the SA payload must carry exactly one proposal
  UnknownNumber,  // its number matches none we sent (or a different protocol)
  BadSpi,         // wrong SPI size for the kind, or an SPI of zero
  DuplicateType,  // more than one transform of a type
  NotOffered,     // a transform (or type) we did not offer
  MissingType,    // a type we offered without NONE is missing
  Malformed,      // violates the well-formedness rules above
};
std::string_view name(ProposalReplyError e);

// Initiator: checks the responder's SA payload against what we offered and returns the
// accepted proposal (with the responder's SPI).
Expected<wire::Proposal, ProposalReplyError> validate_selected_proposal(
    std::span<const wire::Proposal> reply, std::span<const wire::Proposal> offered, ProposalKind kind);

// The single transform id of `type` in a chosen proposal, if present.
std::optional<uint16_t> transform_id(const wire::Proposal& p, crypto::TransformType type);
// KE group of a chosen proposal; KeGroup::None when it has none.
crypto::KeGroup chosen_ke_group(const wire::Proposal& p);

// Initiator: the group to put in the first KE payload: the first KE transform of the
// first proposal that has one (KeGroup::None if no proposal has a KE transform).
crypto::KeGroup initial_ke_group(std::span<const wire::Proposal> offered);
// Initiator, on INVALID_KE_PAYLOAD (RFC 7296 1.2, 1.3): whether retrying with `requested`
// is legitimate: it must be a real group we offered, and differ from the one we used
// (otherwise the notify is bogus and the exchange fails).
bool ke_retry_acceptable(std::span<const wire::Proposal> offered, crypto::KeGroup requested,
                         crypto::KeGroup used);

}  // namespace portunus::ike
