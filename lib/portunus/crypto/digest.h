#pragma once
// One-shot hashes for the protocol's fixed-hash uses (NAT detection's SHA-1, cookies'
// SHA-256). EVP_Digest with EVP_sha1() resolves the name and builds a context on every
// call, which cost more than the hash itself on the handshake path.
#include <initializer_list>

#include "portunus/base/bytes.h"

namespace portunus::crypto {

enum class DigestId { Sha1, Sha2_256 };

size_t digest_size(DigestId id);

// Hashes the concatenation of `parts` into `out` (exactly digest_size(id) octets). False if
// OpenSSL fails or `out` has the wrong size.
bool digest(DigestId id, std::initializer_list<BytesView> parts, MutBytes out);

}  // namespace portunus::crypto
