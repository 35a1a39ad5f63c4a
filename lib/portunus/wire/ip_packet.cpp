#include "portunus/wire/ip_packet.h"

namespace portunus::wire {

IpAddress FlowKey::src_address() const {
  return family == IpFamily::V4 ? IpAddress::v4(BytesView(src, 4)) : IpAddress::v6(BytesView(src, 16));
}
IpAddress FlowKey::dst_address() const {
  return family == IpFamily::V4 ? IpAddress::v4(BytesView(dst, 4)) : IpAddress::v6(BytesView(dst, 16));
}

namespace {

// The parsers fill the caller's result in place (parse_ip has one named return object, so it
// is the caller's): a result built on the stack and copied out costs store-forwarding stalls,
// twice per decapsulated packet. A failure leaves a default IpInfo, as before.
bool fail(IpParseResult& r, IpParseError e) {
  r = IpParseResult{};
  r.error = e;
  return false;
}

// Fills the selector fields of the upper-layer header at `off`. Non-initial fragments and
// protocols without selector fields leave the ports at zero.
// Inlined into both parsers: a call here showed as its own line in per-packet profiles.
[[gnu::always_inline]] inline bool read_upper_layer(BytesView pkt, size_t off, FlowKey& flow) {
  if (flow.ports_opaque) return true;
  BytesView rest = off <= pkt.size() ? pkt.subspan(off) : BytesView{};
  switch (flow.protocol) {
    case ipproto::kTcp:
    case ipproto::kUdp:
    case ipproto::kSctp:
      if (rest.size() < 4) return false;
      flow.src_port = load_be16(rest.data());
      flow.dst_port = load_be16(rest.data() + 2);
      return true;
    case ipproto::kIcmp:
    case ipproto::kIcmpv6:
      if (rest.size() < 2) return false;
      flow.src_port = rest[0];
      flow.dst_port = rest[1];
      return true;
    case ipproto::kMobility:
      // Payload Proto, Header Len, MH Type (RFC 6275 6.1.1).
      if (rest.size() < 3) return false;
      flow.src_port = rest[2];
      return true;
    default:
      return true;
  }
}

bool parse_v4(BytesView pkt, IpParseResult& r) {
  if (pkt.size() < kIpv4MinHeader) return fail(r, IpParseError::Truncated);
  size_t ihl = size_t{pkt[0] & 0x0fu} * 4;
  size_t total = load_be16(pkt.data() + 2);
  if (ihl < kIpv4MinHeader || total < ihl) return fail(r, IpParseError::BadHeader);
  if (pkt.size() < total) return fail(r, IpParseError::Truncated);
  IpInfo& in = r.info;
  in.family = IpFamily::V4;
  in.total_len = total;
  in.header_len = ihl;
  in.esp_insert_offset = ihl;
  in.insert_next_header_offset = 9;
  in.insert_next_header = pkt[9];
  in.upper_next_header_offset = 9;
  uint16_t frag = load_be16(pkt.data() + 6);
  in.is_fragment = (frag & 0x3fff) != 0;  // MF or a non-zero offset
  in.flow.family = IpFamily::V4;
  in.flow.protocol = pkt[9];
  in.flow.ports_opaque = (frag & 0x1fff) != 0;
  std::memcpy(in.flow.src, pkt.data() + 12, 4);
  std::memcpy(in.flow.dst, pkt.data() + 16, 4);
  if (!read_upper_layer(pkt.first(total), ihl, in.flow)) return fail(r, IpParseError::BadUpperLayer);
  r.ok = true;
  return true;
}

bool parse_v6(BytesView pkt, IpParseResult& r) {
  if (pkt.size() < kIpv6Header) return fail(r, IpParseError::Truncated);
  size_t payload = load_be16(pkt.data() + 4);
  // A zero payload length means a jumbogram (RFC 2675), which this data path does not carry.
  if (payload == 0 && pkt[6] == ipproto::kHopByHop) return fail(r, IpParseError::BadHeader);
  size_t total = kIpv6Header + payload;
  if (pkt.size() < total) return fail(r, IpParseError::Truncated);
  BytesView p = pkt.first(total);
  IpInfo& in = r.info;
  in.family = IpFamily::V6;
  in.total_len = total;
  in.flow.family = IpFamily::V6;
  std::memcpy(in.flow.src, p.data() + 8, 16);
  std::memcpy(in.flow.dst, p.data() + 24, 16);

  uint8_t nh = p[6];
  size_t nh_off = 6;
  size_t off = kIpv6Header;
  in.esp_insert_offset = off;
  in.insert_next_header_offset = nh_off;
  in.insert_next_header = nh;
  bool first = true;
  for (int count = 0;; ++count) {
    if (count > 16) return fail(r, IpParseError::BadHeader);  // bound the work on hostile chains
    size_t len = 0;
    switch (nh) {
      case ipproto::kHopByHop:
        if (!first) return fail(r, IpParseError::BadHeader);  // only directly after the header
        [[fallthrough]];
      case ipproto::kRouting:
      case ipproto::kDstOpts:
        if (p.size() < off + 8) return fail(r, IpParseError::Truncated);
        len = (size_t{p[off + 1]} + 1) * 8;
        break;
      case ipproto::kFragment: {
        if (p.size() < off + 8) return fail(r, IpParseError::Truncated);
        len = 8;
        uint16_t fo = load_be16(p.data() + off + 2);
        in.is_fragment = true;
        if ((fo & 0xfff8) != 0) in.flow.ports_opaque = true;
        break;
      }
      case ipproto::kAh:
        if (p.size() < off + 8) return fail(r, IpParseError::Truncated);
        len = (size_t{p[off + 1]} + 2) * 4;
        break;
      default:
        len = 0;
        break;
    }
    if (len == 0) break;
    if (p.size() < off + len) return fail(r, IpParseError::Truncated);
    uint8_t this_type = nh;
    size_t this_off = off;
    nh = p[off];
    nh_off = off;
    off += len;
    first = false;
    if (this_type == ipproto::kHopByHop || this_type == ipproto::kRouting ||
        this_type == ipproto::kFragment) {
      // Everything up to and including this header stays in front of ESP, including any
      // destination options that preceded a routing header.
      in.esp_insert_offset = off;
      in.insert_next_header_offset = this_off;
      in.insert_next_header = nh;
    }
    if (in.flow.ports_opaque) break;
  }
  in.header_len = off;
  in.upper_next_header_offset = nh_off;
  in.flow.protocol = nh;
  if (!read_upper_layer(p, off, in.flow)) return fail(r, IpParseError::BadUpperLayer);
  r.ok = true;
  return true;
}

}  // namespace

IpParseResult parse_ip(BytesView packet) {
  IpParseResult r;
  switch (ip_version(packet)) {
    case 4:
      parse_v4(packet, r);
      break;
    case 6:
      parse_v6(packet, r);
      break;
    default:
      fail(r, packet.empty() ? IpParseError::Truncated : IpParseError::BadVersion);
      break;
  }
  return r;
}

uint32_t checksum_add(uint32_t sum, BytesView data) {
  // 32-bit big-endian words into a 64-bit accumulator: since 2^16 = 1 modulo 2^16 - 1, the
  // folded one's complement sum is the same as over 16-bit words, at half the additions
  // (and no overflow below 2^32 words).
  uint64_t acc = sum;
  const uint8_t* p = data.data();
  const size_t n = data.size();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) acc += load_be32(p + i);
  if (i + 2 <= n) {
    acc += load_be16(p + i);
    i += 2;
  }
  if (i < n) acc += uint32_t{p[i]} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint32_t>(acc);
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void ipv4_set_checksum(MutBytes header) {
  header[10] = 0;
  header[11] = 0;
  store_be16(header.data() + 10, checksum_fold(checksum_add(0, header)));
}

bool ipv4_checksum_ok(BytesView header) { return checksum_fold(checksum_add(0, header)) == 0; }

}  // namespace portunus::wire
