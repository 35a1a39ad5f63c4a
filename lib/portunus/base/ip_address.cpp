#include "portunus/base/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace portunus {

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  store_be32(a.bytes_.data(), host_order);
  return a;
}

IpAddress IpAddress::v4(BytesView four) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), four.data(), 4);
  return a;
}

IpAddress IpAddress::v6(BytesView sixteen) {
  IpAddress a;
  a.family_ = IpFamily::V6;
  std::memcpy(a.bytes_.data(), sixteen.data(), 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) return a;
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = IpFamily::V6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::any(IpFamily f) {
  IpAddress a;
  a.family_ = f;
  return a;
}

IpAddress IpAddress::all_ones(IpFamily f) {
  IpAddress a = any(f);
  std::memset(a.bytes_.data(), 0xff, a.size());
  return a;
}

std::string IpAddress::to_string() const {
  if (is_v4()) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, which showed in handshake profiles.
    std::string s;
    s.reserve(15);
    for (size_t i = 0; i < 4; ++i) {
      if (i) s.push_back('.');
      unsigned b = bytes_[i];
      if (b >= 100) s.push_back(static_cast<char>('0' + b / 100));
      if (b >= 10) s.push_back(static_cast<char>('0' + b / 10 % 10));
      s.push_back(static_cast<char>('0' + b % 10));
    }
    return s;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::network(unsigned prefix) const {
  IpAddress a = *this;
  for (size_t i = 0; i < size(); ++i) {
    unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix) {
      a.bytes_[i] = 0;
    } else if (prefix - bit < 8) {
      a.bytes_[i] &= static_cast<uint8_t>(0xff << (8 - (prefix - bit)));
    }
  }
  return a;
}

IpAddress IpAddress::broadcast(unsigned prefix) const {
  IpAddress a = *this;
  for (size_t i = 0; i < size(); ++i) {
    unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix) {
      a.bytes_[i] = 0xff;
    } else if (prefix - bit < 8) {
      a.bytes_[i] |= static_cast<uint8_t>(0xff >> (prefix - bit));
    }
  }
  return a;
}

std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
  if (a.family_ != b.family_) return a.family_ <=> b.family_;
  int c = std::memcmp(a.bytes_.data(), b.bytes_.data(), a.size());
  return c < 0   ? std::strong_ordering::less
         : c > 0 ? std::strong_ordering::greater
                 : std::strong_ordering::equal;
}

}  // namespace portunus
