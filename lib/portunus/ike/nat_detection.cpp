#include "portunus/ike/nat_detection.h"

#include <algorithm>
#include <cstdlib>

#include "portunus/crypto/digest.h"

namespace portunus::ike {

NatHash nat_detection_hash(uint64_t spi_i, uint64_t spi_r, const IpAddress& addr, uint16_t port) {
  // SPIi(8) | SPIr(8) | IP(4 or 16) | port(2), all in network order.
  uint8_t buf[8 + 8 + 16 + 2];
  store_be64(buf, spi_i);
  store_be64(buf + 8, spi_r);
  std::copy(addr.bytes().begin(), addr.bytes().end(), buf + 16);
  store_be16(buf + 16 + addr.size(), port);
  NatHash out{};
  // SHA-1 is what RFC 7296 2.23 fixes for this notify; a failure here means OpenSSL lost
  // its default provider, which nothing can recover from.
  if (!crypto::digest(crypto::DigestId::Sha1, {BytesView(buf, 16 + addr.size() + 2)}, out)) std::abort();
  return out;
}

NatHash fake_nat_source_hash(crypto::Random& rng) {
  NatHash out{};
  rng.fill(out);
  return out;
}

NatStatus detect_nat(uint64_t spi_i, uint64_t spi_r, std::span<const BytesView> received_source,
                     BytesView received_destination, const IpAddress& local_addr, uint16_t local_port,
                     const IpAddress& remote_addr, uint16_t remote_port) {
  const NatHash mine = nat_detection_hash(spi_i, spi_r, local_addr, local_port);
  const NatHash theirs = nat_detection_hash(spi_i, spi_r, remote_addr, remote_port);
  NatStatus s;
  // The hashes are public (anyone on the path can compute them); equal_ct is used only
  // because it also checks the length.
  s.local_behind_nat = !equal_ct(received_destination, mine);
  s.remote_behind_nat = std::none_of(received_source.begin(), received_source.end(),
                                     [&](BytesView h) { return equal_ct(h, theirs); });
  return s;
}

bool uses_non_esp_marker(uint16_t local_port, uint16_t remote_port) {
  return local_port == 4500 || (local_port != 500 && remote_port != 500);
}

}  // namespace portunus::ike
