#include "portunus/ike/cookie.h"

#include <cstdlib>

#include "portunus/crypto/digest.h"

namespace portunus::ike {

namespace {

constexpr size_t kSecretSize = 32;

}  // namespace

bool cookie_size_valid(size_t size) { return size >= 1 && size <= kMaxCookieSize; }

CookieSecret::CookieSecret(crypto::Random& rng, Instant now, CookieConfig config)
    : rng_(rng), config_(config) {
  current_.version = rng_.u32();  // a random start so restarts do not reuse version numbers
  current_.key = SecureBytes(kSecretSize);
  rng_.fill(current_.key.span());
  current_.created = now;
}

void CookieSecret::rotate(Instant now) {
  Secret next;
  next.version = current_.version + 1;
  next.key = SecureBytes(kSecretSize);
  rng_.fill(next.key.span());
  next.created = now;
  previous_ = std::move(current_);
  previous_valid_until_ = now + config_.grace;
  current_ = std::move(next);
}

void CookieSecret::maybe_rotate(Instant now) {
  if (now - current_.created >= config_.rotation_interval) rotate(now);
}

Bytes CookieSecret::compute(const Secret& s, BytesView ni, const IpAddress& ip_i, uint64_t spi_i) const {
  uint8_t head[8 + 1 + 16];
  store_be64(head, spi_i);
  head[8] = static_cast<uint8_t>(ip_i.size());
  std::copy(ip_i.bytes().begin(), ip_i.bytes().end(), head + 9);
  Bytes out(kCookieSize);
  store_be32(out.data(), s.version);
  // Fixed-size fields first, then Ni, then the fixed-size secret: the split of the hashed
  // octets into fields is unambiguous.
  if (!crypto::digest(crypto::DigestId::Sha2_256, {BytesView(head, 9 + ip_i.size()), ni, s.key},
                      MutBytes(out.data() + 4, 32)))
    std::abort();  // SHA-256 unavailable: OpenSSL is broken beyond recovery
  return out;
}

Bytes CookieSecret::make(BytesView ni, const IpAddress& ip_i, uint64_t spi_i, Instant now) {
  maybe_rotate(now);
  return compute(current_, ni, ip_i, spi_i);
}

bool CookieSecret::verify(BytesView cookie, BytesView ni, const IpAddress& ip_i, uint64_t spi_i,
                          Instant now) {
  maybe_rotate(now);
  if (cookie.size() != kCookieSize) return false;
  const uint32_t version = load_be32(cookie.data());
  const Secret* s = nullptr;
  if (version == current_.version) {
    s = &current_;
  } else if (previous_ && version == previous_->version && now < previous_valid_until_) {
    s = &*previous_;
  }
  if (s == nullptr) return false;
  return equal_ct(cookie, compute(*s, ni, ip_i, spi_i));
}

void HalfOpenTracker::opened(const IpAddress& peer) {
  ++total_;
  ++per_peer_[peer];
}

void HalfOpenTracker::closed(const IpAddress& peer) {
  auto it = per_peer_.find(peer);
  if (it == per_peer_.end()) return;  // unbalanced call: ignore rather than underflow
  if (--it->second == 0) per_peer_.erase(it);
  --total_;
}

size_t HalfOpenTracker::count(const IpAddress& peer) const {
  auto it = per_peer_.find(peer);
  return it == per_peer_.end() ? 0 : it->second;
}

}  // namespace portunus::ike
