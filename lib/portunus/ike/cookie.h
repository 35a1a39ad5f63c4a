#pragma once
// Stateless cookies against half-open floods (RFC 7296 2.6). While too many IKE SAs are
// half open, the responder answers IKE_SA_INIT requests that carry no valid COOKIE with
// just a COOKIE notify, keeping no state; the initiator repeats its request with the
// cookie first, proving it can receive at its source address.
//
// Cookie = VersionIDofSecret (4 octets, big-endian) | SHA-256(SPIi | len(IPi) | IPi | Ni |
// secret). RFC 7296 only requires that the responder can recompute it; we put the
// fixed-size fields first and frame the address with its length so that no two
// (Ni, IPi, SPIi) inputs hash the same octets. The secret is replaced every
// `rotation_interval`; cookies of the previous version stay valid for `grace` afterwards
// so that a client between its two requests is not turned away.
#include <cstdint>
#include <map>
#include <optional>

#include "portunus/base/bytes.h"
#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/random.h"
#include "portunus/ike/time.h"

namespace portunus::ike {

// RFC 7296 3.10.1: COOKIE notification data is 1 to 64 octets.
constexpr size_t kMaxCookieSize = 64;
constexpr size_t kCookieSize = 4 + 32;
// What an initiator accepts in a COOKIE notify it is asked to echo.
bool cookie_size_valid(size_t size);

struct CookieConfig {
  Duration rotation_interval = std::chrono::minutes(2);
  Duration grace = std::chrono::seconds(30);
};

class CookieSecret {
 public:
  CookieSecret(crypto::Random& rng, Instant now, CookieConfig config = {});

  // The cookie for this (Ni, IPi, SPIi); rotates the secret first if it is due.
  Bytes make(BytesView ni, const IpAddress& ip_i, uint64_t spi_i, Instant now);
  // Constant-time check against the current secret, or the previous one within grace.
  bool verify(BytesView cookie, BytesView ni, const IpAddress& ip_i, uint64_t spi_i, Instant now);
  // Forces a new secret now (also done automatically by make/verify when due).
  void rotate(Instant now);

  uint32_t version() const { return current_.version; }

 private:
  struct Secret {
    uint32_t version = 0;
    SecureBytes key;
    Instant created{};
  };
  void maybe_rotate(Instant now);
  Bytes compute(const Secret& s, BytesView ni, const IpAddress& ip_i, uint64_t spi_i) const;

  crypto::Random& rng_;
  CookieConfig config_;
  Secret current_;
  std::optional<Secret> previous_;
  Instant previous_valid_until_{};
};

// Counts half-open IKE SAs (IKE_SA_INIT answered, IKE_AUTH not yet done) in total and per
// initiator address. Cookies are demanded from `cookie_threshold` on; a single address
// holding `per_peer_limit` half-open SAs is refused new ones outright (strongSwan's
// block_threshold), which cookies alone cannot stop since that peer can receive them.
class HalfOpenTracker {
 public:
  HalfOpenTracker(size_t cookie_threshold, size_t per_peer_limit)
      : cookie_threshold_(cookie_threshold), per_peer_limit_(per_peer_limit) {}

  void opened(const IpAddress& peer);
  // Called once per opened() when the SA completes IKE_AUTH or is destroyed half open.
  void closed(const IpAddress& peer);

  size_t total() const { return total_; }
  size_t count(const IpAddress& peer) const;
  bool cookie_required() const { return total_ >= cookie_threshold_; }
  bool peer_blocked(const IpAddress& peer) const { return count(peer) >= per_peer_limit_; }

 private:
  size_t cookie_threshold_;
  size_t per_peer_limit_;
  size_t total_ = 0;
  std::map<IpAddress, size_t> per_peer_;
};

}  // namespace portunus::ike
