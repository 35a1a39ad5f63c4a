#include "portunus/ike/fragment.h"

#include "portunus/ike/sk_payload.h"

namespace portunus::ike {

namespace {
constexpr size_t kIkeHeader = 28;
constexpr size_t kSkfHeader = 8;  // generic header + Fragment Number + Total Fragments
constexpr size_t kSkHeader = 4;
}  // namespace

size_t ip_udp_overhead(bool ipv6, bool non_esp_marker) {
  return (ipv6 ? 40 : 20) + 8 + (non_esp_marker ? 4 : 0);
}

size_t fragment_capacity(size_t datagram_size, bool ipv6, bool non_esp_marker,
                         const crypto::Protector& protector) {
  const size_t fixed = ip_udp_overhead(ipv6, non_esp_marker) + kIkeHeader + kSkfHeader + protector.iv_size() +
                       protector.icv_size();
  if (datagram_size <= fixed) return 0;
  const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
  const size_t text = (datagram_size - fixed) / block * block;  // padded plaintext incl. Pad Length
  return text == 0 ? 0 : text - 1;
}

Result<std::vector<Bytes>> seal_for_path(const wire::IkeHeader& header, wire::PayloadType first,
                                         BytesView chain, size_t datagram_size, bool ipv6,
                                         bool non_esp_marker, crypto::Protector& protector,
                                         crypto::Random& random) {
  if (datagram_size != 0) {
    // The whole message's size without sealing it: SK adds the same padding rule.
    const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
    const size_t padded = (chain.size() + 1 + block - 1) / block * block;
    const size_t whole = ip_udp_overhead(ipv6, non_esp_marker) + kIkeHeader + kSkHeader +
                         protector.iv_size() + padded + protector.icv_size();
    const size_t capacity = fragment_capacity(datagram_size, ipv6, non_esp_marker, protector);
    if (whole > datagram_size && capacity > 0) {
      const size_t count = (chain.size() + capacity - 1) / capacity;
      if (count >= 1 && count <= 0xffff)
        return seal_fragments(header, first, chain, count, protector, random);
    }
  }
  auto whole = seal_raw(header, first, chain, protector, random);
  if (!whole) return Unexpected(whole.error());
  std::vector<Bytes> out;
  out.push_back(std::move(*whole));
  return out;
}

}  // namespace portunus::ike
