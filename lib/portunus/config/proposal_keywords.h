#pragma once
// strongSwan's proposal keywords ("aes128gcm16-prfsha256-x25519, aes256-sha384-ecp384") to
// and from wire::Proposal transforms, with strongSwan's rules:
//  - several algorithms of one kind in one proposal are alternatives ("aes128-aes256-sha256");
//  - an IKE proposal without a PRF takes the PRFs matching its integrity algorithms;
//  - IKE proposals need a key exchange method; in ESP proposals one means PFS;
//  - ESP proposals without esn/noesn mean noesn;
//  - AEAD and classic ciphers are not mixed in one proposal, AEAD has no integrity algorithm;
//  - "default" (on its own between commas) stands for the default proposals.
// Legacy algorithms (des, md5, prfmd5, modp768, modp1024: RFC 8247 MUST NOT) are refused
// unless allowed explicitly.
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::config {

// Parses a comma-separated list of proposals for IKE or ESP. Error messages are bare (no
// file or key): the caller adds where the text came from.
Result<std::vector<wire::Proposal>> parse_proposals(std::string_view text, wire::ProtocolId protocol,
                                                    bool allow_legacy = false);

// The proposals "default" stands for.
std::vector<wire::Proposal> default_proposals(wire::ProtocolId protocol);

// One proposal as keywords, in the order encr-integ-prf-ke-esn; parsing the result gives the
// same transforms back.
std::string proposal_to_string(const wire::Proposal& proposal);
std::string proposals_to_string(const std::vector<wire::Proposal>& proposals);

}  // namespace portunus::config
