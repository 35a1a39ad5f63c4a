#include "portunus/ipsec/engine.h"

#include <algorithm>
#include <cstring>

#include "portunus/ipsec/esp.h"
#include "portunus/wire/esp_header.h"
#include "portunus/wire/flow_hash.h"

namespace portunus::ipsec {

namespace {

constexpr uint16_t kIkePort = 500;
constexpr uint8_t kDfBit = 0x40;  // in the IPv4 flags octet (offset 6)

uint8_t ecn_of(uint8_t tos) { return tos & 0x03; }

// IPv4 / IPv6 length fields after the packet changed size.
void set_ip_length(MutBytes pkt) {
  if (wire::ip_version(pkt) == 4) {
    store_be16(pkt.data() + 2, static_cast<uint16_t>(pkt.size()));
    size_t ihl = size_t{pkt[0] & 0x0fu} * 4;
    wire::ipv4_set_checksum(pkt.first(ihl));
  } else {
    store_be16(pkt.data() + 4, static_cast<uint16_t>(pkt.size() - wire::kIpv6Header));
  }
}

// TCP/UDP checksum over the pseudo-header (RFC 768, RFC 793, RFC 8200 8.1).
uint16_t l4_checksum(BytesView pkt, const wire::IpInfo& info, BytesView segment) {
  uint32_t sum = 0;
  bool v4 = info.family == IpFamily::V4;
  size_t alen = v4 ? 4 : 16;
  sum = wire::checksum_add(sum, pkt.subspan(v4 ? 12 : 8, alen));
  sum = wire::checksum_add(sum, pkt.subspan(v4 ? 16 : 24, alen));
  uint8_t tail[8] = {};
  store_be32(tail, static_cast<uint32_t>(segment.size()));
  tail[7] = info.flow.protocol;
  sum = wire::checksum_add(sum, BytesView(tail, 8));
  sum = wire::checksum_add(sum, segment);
  return wire::checksum_fold(sum);
}

// RFC 3948 3.1.2: after transport-mode NAT traversal the addresses in the IP header may no
// longer be those the sender used for its TCP/UDP checksum; ESP already authenticated the
// segment, so the receiver recomputes the checksum.
void fix_l4_checksum(MutBytes pkt, const wire::IpInfo& info) {
  if (info.is_fragment) return;
  size_t off = info.header_len;
  MutBytes seg = pkt.subspan(off);
  size_t at = 0;
  if (info.flow.protocol == wire::ipproto::kTcp && seg.size() >= 20) {
    at = 16;
  } else if (info.flow.protocol == wire::ipproto::kUdp && seg.size() >= 8) {
    if (info.family == IpFamily::V4 && load_be16(seg.data() + 6) == 0) return;  // no checksum
    at = 6;
  } else {
    return;
  }
  seg[at] = 0;
  seg[at + 1] = 0;
  uint16_t c = l4_checksum(pkt, info, seg);
  if (c == 0 && info.flow.protocol == wire::ipproto::kUdp) c = 0xffff;
  store_be16(seg.data() + at, c);
}

}  // namespace

std::string_view name(DiscardReason r) {
  switch (r) {
    case DiscardReason::NoPolicy:
      return "no-policy";
    case DiscardReason::PolicyDiscard:
      return "policy-discard";
    case DiscardReason::NoSa:
      return "no-sa-for-spi";
    case DiscardReason::Replayed:
      return "replayed";
    case DiscardReason::OutsideWindow:
      return "outside-replay-window";
    case DiscardReason::IcvMismatch:
      return "icv-mismatch";
    case DiscardReason::BadPadding:
      return "bad-padding";
    case DiscardReason::PolicyMismatch:
      return "policy-mismatch-after-decryption";
    case DiscardReason::CleartextRequiresProtection:
      return "cleartext-requires-protection";
    case DiscardReason::ProtectedButPolicyBypass:
      return "protected-but-policy-bypass";
    case DiscardReason::Malformed:
      return "malformed";
    case DiscardReason::UnknownAlgorithm:
      return "unknown-algorithm";
    case DiscardReason::MtuExceeded:
      return "mtu-exceeded";
    case DiscardReason::NoBufferSpace:
      return "no-buffer-space";
    case DiscardReason::SequenceExhausted:
      return "sequence-exhausted";
    case DiscardReason::SaExpired:
      return "sa-expired";
    case DiscardReason::DummyPacket:
      return "dummy-packet";
    case DiscardReason::NatKeepalive:
      return "nat-keepalive";
    case DiscardReason::WrongEncapsulation:
      return "wrong-encapsulation";
    case DiscardReason::EcnConflict:
      return "ecn-conflict";
    case DiscardReason::CryptoFailure:
      return "crypto-failure";
    case DiscardReason::AcquireQueueFull:
      return "acquire-queue-full";
    case DiscardReason::kCount:
      break;
  }
  return "?";
}

Engine::Engine(EngineConfig config)
    : config_(config),
      random_(config.random ? config.random : &crypto::system_random()),
      events_(std::max<size_t>(config.event_queue, 1)),
      queue_(config.acquire_queue_slots),
      queue_storage_(config.acquire_queue_slots * config.acquire_slot_size) {}

Engine::~Engine() = default;

OutboundResult Engine::discard_out(DiscardReason r, PolicyId policy) {
  ++stats_.discards[static_cast<size_t>(r)];
  OutboundResult o;
  o.verdict = Verdict::Discard;
  o.reason = r;
  o.policy = policy;
  return o;
}

InboundResult Engine::discard_in(DiscardReason r, uint32_t spi, SaId sa) {
  ++stats_.discards[static_cast<size_t>(r)];
  InboundResult o;
  o.verdict = Verdict::Discard;
  o.reason = r;
  o.spi = spi;
  o.sa = sa;
  return o;
}

void Engine::emit(const Event& e) {
  if (config_.sink) {
    config_.sink->on_event(e);
    return;
  }
  if (event_count_ == events_.size()) {
    ++stats_.events_dropped;
    return;
  }
  events_[(event_head_ + event_count_) % events_.size()] = e;
  ++event_count_;
}

std::optional<Event> Engine::poll_event() {
  if (event_count_ == 0) return std::nullopt;
  Event e = events_[event_head_];
  event_head_ = (event_head_ + 1) % events_.size();
  --event_count_;
  return e;
}

void Engine::expire(Sa& sa, bool hard) {
  Event e;
  e.kind = hard ? EventKind::HardExpire : EventKind::SoftExpire;
  e.policy = sa.policy;
  e.reqid = sa.reqid;
  e.sa = sa.id;
  e.spi = sa.spi;
  e.direction = sa.direction;
  if (!hard) sa.soft_expired = true;
  emit(e);
  if (hard) sad_.remove(sa.id);
}

bool Engine::account(Sa& sa, size_t bytes) {
  sa.counters.packets += 1;
  sa.counters.bytes += bytes;
  auto reached = [&](const LifetimeLimits& l) {
    return (l.packets != 0 && sa.counters.packets >= l.packets) ||
           (l.bytes != 0 && sa.counters.bytes >= l.bytes);
  };
  if (reached(sa.hard)) {
    expire(sa, true);
    return false;
  }
  if (!sa.soft_expired && reached(sa.soft)) expire(sa, false);
  return true;
}

void Engine::tick(Seconds now) {
  for (Sa* sa : sad_.all()) {
    Seconds age = now >= sa->added_at ? now - sa->added_at : 0;
    if (sa->hard.seconds != 0 && age >= sa->hard.seconds) {
      expire(*sa, true);
    } else if (!sa->soft_expired && sa->soft.seconds != 0 && age >= sa->soft.seconds) {
      expire(*sa, false);
    }
  }
  std::erase_if(acquiring_, [&](const auto& a) { return now >= a.second + config_.acquire_interval; });
}

Result<SaId> Engine::install_sa(SaParams params, Seconds now) {
  ProcessingOptions options;
  const Policy* pol = params.policy != kNoPolicy ? spd_.get(params.policy) : nullptr;
  if (!pol && params.reqid != 0) pol = spd_.find_by_reqid(params.direction, params.reqid);
  if (pol) options = pol->options;
  Direction dir = params.direction;
  uint32_t reqid = params.reqid;
  PolicyId linked = params.policy;
  auto id = sad_.install(std::move(params), now, options);
  if (!id) {
    if (id.error().message.find("algorithm") != std::string::npos)
      ++stats_.discards[static_cast<size_t>(DiscardReason::UnknownAlgorithm)];
    return id;
  }
  if (dir == Direction::Outbound) {
    // Policies that now have an SA stop acquiring; their queued packets may go.
    std::erase_if(acquiring_, [&](const auto& a) {
      const Policy* p = spd_.get(a.first);
      return !p || p->id == linked || (reqid != 0 && p->reqid == reqid) ||
             (p->reqid == 0 && sad_.find_outbound(*p, p->tunnel_remote) != nullptr);
    });
    for (QueuedPacket& q : queue_) {
      if (q.used && !q.released) q.released = true;  // outbound() decides again when re-submitted
    }
  }
  return id;
}

bool Engine::take_released(MutBytes storage, size_t headroom, PacketBuffer& out) {
  for (size_t i = 0; i < queue_.size(); ++i) {
    QueuedPacket& q = queue_[i];
    if (!q.used || !q.released) continue;
    BytesView data(queue_storage_.data() + i * config_.acquire_slot_size, q.length);
    out = PacketBuffer::copy_into(storage, headroom, data);
    q = QueuedPacket{};
    return out.size() == data.size();
  }
  return false;
}

OutboundResult Engine::needs_sa(const Policy& policy, const wire::IpInfo& info, const PacketBuffer& packet,
                                Seconds now) {
  ++stats_.outbound_needs_sa;
  OutboundResult o;
  o.verdict = Verdict::NeedsSa;
  o.policy = policy.id;
  auto it =
      std::find_if(acquiring_.begin(), acquiring_.end(), [&](const auto& a) { return a.first == policy.id; });
  if (it == acquiring_.end() || now >= it->second + config_.acquire_interval) {
    if (it == acquiring_.end()) {
      acquiring_.emplace_back(policy.id, now);
    } else {
      it->second = now;
    }
    Event e;
    e.kind = EventKind::Acquire;
    e.policy = policy.id;
    e.reqid = policy.reqid;
    e.direction = Direction::Outbound;
    e.flow = info.flow;
    emit(e);
  }
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (queue_[i].used || packet.size() > config_.acquire_slot_size) continue;
    std::memcpy(queue_storage_.data() + i * config_.acquire_slot_size, packet.data(), packet.size());
    queue_[i] = {policy.id, packet.size(), true, false};
    o.queued = true;
    return o;
  }
  ++stats_.discards[static_cast<size_t>(DiscardReason::AcquireQueueFull)];
  return o;
}

// Every path fills the one result object `o` and returns it, so that it is built in place in
// the caller's (named return value): a result assembled on the stack and copied out costs
// store-forwarding stalls on the per-packet path.
OutboundResult Engine::outbound(PacketBuffer& packet, Seconds now) {
  OutboundResult o;
  wire::IpParseResult parsed = wire::parse_ip(packet.view());
  if (!parsed.ok) {
    o = discard_out(DiscardReason::Malformed);
    return o;
  }
  const wire::IpInfo& info = parsed.info;
  packet.trim_back(packet.size() - info.total_len);  // link-layer padding
  const wire::FlowKey& f = info.flow;
  if (config_.bypass_ike && f.protocol == wire::ipproto::kUdp && !f.ports_opaque &&
      (f.src_port == kIkePort || f.src_port == config_.nat_t_port)) {
    ++stats_.outbound_bypass;
    o.verdict = Verdict::Bypass;
    return o;
  }
  const wire::FlowWords key = wire::flow_words(f);
  FlowCacheEntry& c = flow_cache_[wire::flow_slot(key, kFlowCacheBits)];
  const Policy* pol = c.policy;
  Sa* sa = c.sa;
  if (c.spd_generation != spd_.generation() || c.sad_generation != sad_.generation() || c.key != key) {
    pol = spd_.lookup(Direction::Outbound, f);
    if (!pol) {
      o = discard_out(DiscardReason::NoPolicy);
      return o;
    }
    sa = pol->action == Action::Protect ? find_outbound_sa(*pol, f) : nullptr;
    if (pol->action != Action::Protect || sa) c = {spd_.generation(), sad_.generation(), key, pol, sa};
  }
  switch (pol->action) {
    case Action::Bypass:
      ++stats_.outbound_bypass;
      o.verdict = Verdict::Bypass;
      o.policy = pol->id;
      return o;
    case Action::Discard:
      o = discard_out(DiscardReason::PolicyDiscard, pol->id);
      return o;
    case Action::Protect:
      break;
  }
  if (!sa) {
    o = needs_sa(*pol, info, packet, now);
    return o;
  }
  protect(*sa, *pol, packet, &info, 0, now, o);
  return o;
}

Sa* Engine::find_outbound_sa(const Policy& pol, const wire::FlowKey& flow) {
  const bool cacheable = pol.reqid != 0 || pol.mode == Mode::Tunnel;
  OutCacheEntry& c = out_cache_[pol.id % out_cache_.size()];
  if (cacheable && c.policy == pol.id && c.generation == sad_.generation()) return c.sa;
  Sa* sa = sad_.find_outbound(pol, pol.mode == Mode::Tunnel ? pol.tunnel_remote : flow.dst_address());
  if (cacheable && sa) c = {pol.id, sad_.generation(), sa};
  return sa;
}

Sa* Engine::find_inbound_sa(uint32_t spi) {
  InCacheEntry& c = in_cache_[spi % in_cache_.size()];
  if (c.sa && c.spi == spi && c.generation == sad_.generation()) return c.sa;
  Sa* sa = sad_.find_inbound(spi);
  if (sa) c = {spi, sad_.generation(), sa};
  return sa;
}

std::vector<DummyDue> Engine::dummies_due(Seconds now) {
  std::vector<DummyDue> due;
  std::vector<std::pair<PolicyId, Seconds>> next;
  for (const Policy* pol : spd_.policies()) {
    if (pol->direction != Direction::Outbound || pol->action != Action::Protect ||
        pol->options.dummy_interval == 0)
      continue;
    const ProcessingOptions& opt = pol->options;
    if (!sad_.find_outbound(*pol, pol->mode == Mode::Tunnel ? pol->tunnel_remote : IpAddress{})) continue;
    auto it = std::find_if(dummy_next_.begin(), dummy_next_.end(),
                           [&](const auto& d) { return d.first == pol->id; });
    Seconds at = it == dummy_next_.end() ? now + opt.dummy_interval : it->second;
    if (now >= at) {
      size_t lo = opt.dummy_min_len;
      size_t hi = std::max<size_t>(opt.dummy_max_len, lo);
      size_t len = lo + (hi > lo ? random_->u32() % (hi - lo + 1) : 0);
      due.push_back({pol->id, len});
      at += opt.dummy_interval;
      if (now >= at) at = now + opt.dummy_interval;  // late: one packet, then back on the grid
    }
    next.emplace_back(pol->id, at);
  }
  dummy_next_ = std::move(next);  // policies gone or without an SA start again
  return due;
}

OutboundResult Engine::make_dummy(PolicyId policy, PacketBuffer& packet, size_t payload_len, Seconds now) {
  const Policy* pol = spd_.get(policy);
  if (!pol || pol->action != Action::Protect) return discard_out(DiscardReason::NoPolicy, policy);
  Sa* sa = sad_.find_outbound(*pol, pol->mode == Mode::Tunnel ? pol->tunnel_remote : IpAddress{});
  if (!sa) return discard_out(DiscardReason::SaExpired, policy);
  packet.pull_front(packet.size());  // empty, at the old start
  if (!packet.push_back(payload_len)) return discard_out(DiscardReason::NoBufferSpace, policy);
  random_->fill(packet.span());
  OutboundResult o;
  protect(*sa, *pol, packet, nullptr, payload_len, now, o);
  return o;
}

// `info` describes the packet in `packet`; nullptr for a dummy packet, whose payload of
// dummy_len random octets is already in place and which always gets an outer header built
// from the SA endpoints.
void Engine::protect(Sa& sa, const Policy& pol, PacketBuffer& packet, const wire::IpInfo* info,
                     size_t dummy_len, Seconds now, OutboundResult& o) {
  (void)now;
  const ProcessingOptions& opt = pol.options;
  uint64_t next = sa.seq + 1;
  if ((!sa.esn && next > UINT32_MAX) || sa.seq == UINT64_MAX) {
    expire(sa, true);  // RFC 4303 3.3.3: never cycle; the SA must be replaced
    o = discard_out(DiscardReason::SequenceExhausted, pol.id);
    return;
  }
  crypto::Protector& pr = *sa.protector;
  const size_t iv_len = sa.iv_len;
  const size_t icv_len = sa.icv_len;
  const bool dummy = info == nullptr;
  const bool outer_hdr = dummy || sa.mode == Mode::Tunnel;
  if (!dummy && sa.mode == Mode::Transport && info->is_fragment) {
    o = discard_out(DiscardReason::Malformed, pol.id);  // transport mode carries no fragments
    return;
  }
  const bool outer_v6 = outer_hdr ? !sa.remote.is_v4() : info->family == IpFamily::V6;
  const size_t outer_len = outer_hdr ? (outer_v6 ? wire::kIpv6Header : wire::kIpv4MinHeader) : 0;
  const size_t udp_len = sa.udp_encap ? wire::kUdpHeader : 0;
  const size_t insert = outer_hdr ? 0 : info->esp_insert_offset;
  const size_t payload_len = dummy ? dummy_len : outer_hdr ? info->total_len : info->total_len - insert;
  // TFC padding (RFC 4303 2.7) only where the receiver can tell it from the payload: in tunnel
  // mode the inner IP header has the length; in transport mode only an unfragmented UDP
  // datagram carries its own length (TCP, ICMP and the rest do not, so they are not padded).
  size_t tfc = 0;
  const bool tfc_ok = !dummy && (sa.mode == Mode::Tunnel ||
                                 (info->flow.protocol == wire::ipproto::kUdp && !info->is_fragment));
  if (tfc_ok && opt.tfc_pad_to > payload_len) tfc = opt.tfc_pad_to - payload_len;
  const size_t pad = esp_min_padding(payload_len + tfc, sa.block_size);
  const size_t front = outer_len + udp_len + wire::kEspHeader + iv_len;
  const size_t back = tfc + pad + wire::kEspTrailer + icv_len;
  const size_t final_len = packet.size() + front + back;
  if (opt.mtu != 0 && final_len > opt.mtu) {
    o = discard_out(DiscardReason::MtuExceeded, pol.id);
    o.payload_mtu = opt.mtu > front + back ? opt.mtu - front - back : 0;
    return;
  }
  if (final_len > 65535) {
    o = discard_out(DiscardReason::MtuExceeded, pol.id);
    return;
  }
  if (packet.headroom() < front || packet.tailroom() < back) {
    o = discard_out(DiscardReason::NoBufferSpace, pol.id);
    return;
  }

  // Values taken from the original header before it moves.
  uint8_t inner_tos = 0;
  bool inner_df = true;
  uint8_t esp_next = wire::ipproto::kNoNext;
  if (!dummy) {
    const uint8_t* h = packet.data();
    if (info->family == IpFamily::V4) {
      inner_tos = h[1];
      inner_df = (h[6] & kDfBit) != 0;
    } else {
      inner_tos = static_cast<uint8_t>((h[0] << 4) | (h[1] >> 4));  // traffic class
    }
    if (outer_hdr) {
      esp_next = info->family == IpFamily::V4 ? wire::ipproto::kIpv4 : wire::ipproto::kIpv6;
    } else {
      esp_next = info->insert_next_header;
    }
  }

  packet.push_front(front);
  uint8_t* d = packet.data();
  if (!outer_hdr) std::memmove(d, d + front, insert);  // IP header (and unfragmentable part) forward
  uint8_t* esp = d + insert + outer_len + udp_len;
  uint8_t* payload = esp + wire::kEspHeader + iv_len;
  if (tfc) std::memset(payload + payload_len, 0, tfc);
  packet.push_back(back);

  // The IV goes straight to its place after the ESP header.
  uint8_t* iv = esp + wire::kEspHeader;
  if (sa.counter_iv && iv_len == 8) {
    store_be64(iv, next);  // unique per key, which is all CTR, GCM and ChaCha20 need
  } else if (iv_len != 0) {
    random_->fill(MutBytes(iv, iv_len));  // CBC needs an unpredictable IV
  }
  EspSealParams sp{sa.spi, next, sa.esn, sa.combined_mode, esp_next};
  size_t n = esp_seal(pr, sp, BytesView(iv, iv_len), esp_default_padding(pad), esp, payload_len + tfc);
  if (n == 0) {
    o = discard_out(DiscardReason::CryptoFailure, pol.id);
    return;
  }
  sa.seq = next;

  MutBytes out = packet.span();
  if (outer_hdr) {
    uint8_t tos = opt.ecn == EcnMode::Normal ? inner_tos : static_cast<uint8_t>(inner_tos & 0xfc);
    uint8_t proto = udp_len ? wire::ipproto::kUdp : wire::ipproto::kEsp;
    if (!outer_v6) {
      const auto total = static_cast<uint16_t>(out.size());
      const uint16_t id = ip_id_++;
      const bool df = opt.df == DfMode::Set || (opt.df == DfMode::Copy && inner_df);
      d[0] = 0x45;
      d[1] = tos;
      store_be16(d + 2, total);
      store_be16(d + 4, id);
      d[6] = df ? kDfBit : 0;
      d[7] = 0;
      d[8] = opt.outer_ttl;
      d[9] = proto;
      std::memcpy(d + 12, sa.local.data(), 4);
      std::memcpy(d + 16, sa.remote.data(), 4);
      // The header checksum from the values just written, not read back from the packet.
      uint32_t sum = (0x4500u | tos) + total + id + (df ? uint32_t{kDfBit} << 8 : 0) +
                     (uint32_t{opt.outer_ttl} << 8 | proto) + load_be16(sa.local.data()) +
                     load_be16(sa.local.data() + 2) + load_be16(sa.remote.data()) +
                     load_be16(sa.remote.data() + 2);
      sum = (sum & 0xffff) + (sum >> 16);
      sum = (sum & 0xffff) + (sum >> 16);
      store_be16(d + 10, static_cast<uint16_t>(~sum));
    } else {
      d[0] = 0x60;
      d[1] = d[2] = d[3] = 0;
      wire::ip_set_tos(out, tos);
      d[6] = proto;
      d[7] = opt.outer_ttl;
      std::memcpy(d + 8, sa.local.data(), 16);
      std::memcpy(d + 24, sa.remote.data(), 16);
    }
  } else {
    d[info->insert_next_header_offset] = udp_len ? wire::ipproto::kUdp : wire::ipproto::kEsp;
  }
  if (!outer_hdr || outer_v6) set_ip_length(out);  // a new IPv4 header is complete already
  o.verdict = Verdict::Protected;
  o.policy = pol.id;
  o.sa = sa.id;
  o.spi = sa.spi;
  o.esp_offset = static_cast<size_t>(esp - d);
  o.outer_dst = outer_hdr ? sa.remote : info->flow.dst_address();
  if (udp_len) {
    uint8_t* u = esp - wire::kUdpHeader;
    store_be16(u, sa.udp_encap->local_port);
    store_be16(u + 2, sa.udp_encap->remote_port);
    store_be16(u + 4, static_cast<uint16_t>(wire::kUdpHeader + n));
    store_be16(u + 6, 0);  // RFC 3948 2.1: zero over IPv4
    if (outer_v6) {
      wire::IpParseResult op = wire::parse_ip(out);
      if (op.ok) {
        uint16_t c = l4_checksum(out, op.info, out.subspan(op.info.header_len));
        store_be16(u + 6, c == 0 ? 0xffff : c);
      }
    }
    o.udp_src_port = sa.udp_encap->local_port;
    o.udp_dst_port = sa.udp_encap->remote_port;
  }
  ++stats_.outbound_protected;
  account(sa, payload_len);
}

InboundResult Engine::inbound(PacketBuffer& packet, Seconds now) {
  wire::IpParseResult parsed = wire::parse_ip(packet.view());
  if (!parsed.ok) return discard_in(DiscardReason::Malformed);
  const wire::IpInfo& info = parsed.info;
  packet.trim_back(packet.size() - info.total_len);
  const wire::FlowKey& f = info.flow;
  if (f.protocol == wire::ipproto::kEsp) {
    // Reassembly is the caller's job (RFC 4303 3.4.1): ESP fragments are not processed.
    if (info.is_fragment) return discard_in(DiscardReason::Malformed);
    return inbound_esp(packet, info, info.header_len, false, now);
  }
  if (f.protocol == wire::ipproto::kUdp && !info.is_fragment) {
    BytesView udp = packet.view().subspan(info.header_len);
    if (udp.size() < wire::kUdpHeader || load_be16(udp.data() + 4) != udp.size())
      return discard_in(DiscardReason::Malformed);
    if (f.dst_port == config_.nat_t_port) {
      switch (wire::classify_udp_encap(udp.subspan(wire::kUdpHeader))) {
        case wire::UdpEncapKind::Esp:
          return inbound_esp(packet, info, info.header_len + wire::kUdpHeader, true, now);
        case wire::UdpEncapKind::Keepalive:
          return discard_in(DiscardReason::NatKeepalive);
        case wire::UdpEncapKind::Malformed:
          return discard_in(DiscardReason::Malformed);
        case wire::UdpEncapKind::Ike:
          break;
      }
    }
    if (config_.bypass_ike && (f.dst_port == kIkePort || f.dst_port == config_.nat_t_port)) {
      ++stats_.inbound_bypass;
      InboundResult r;
      r.verdict = Verdict::Bypass;
      return r;
    }
  }
  return inbound_cleartext(info);
}

InboundResult Engine::inbound_cleartext(const wire::IpInfo& info) {
  const Policy* pol = spd_.lookup(Direction::Inbound, info.flow);
  if (!pol) return discard_in(DiscardReason::NoPolicy);
  InboundResult r;
  r.policy = pol->id;
  switch (pol->action) {
    case Action::Bypass:
      ++stats_.inbound_bypass;
      r.verdict = Verdict::Bypass;
      return r;
    case Action::Discard:
      r = discard_in(DiscardReason::PolicyDiscard);
      break;
    case Action::Protect:
      r = discard_in(DiscardReason::CleartextRequiresProtection);
      break;
  }
  r.policy = pol->id;
  return r;
}

InboundResult Engine::inbound_esp(PacketBuffer& packet, const wire::IpInfo& outer, size_t esp_offset,
                                  bool udp, Seconds now) {
  (void)now;
  MutBytes esp = packet.span().subspan(esp_offset);
  auto hdr = wire::read_esp_header(esp);
  if (!hdr) return discard_in(DiscardReason::Malformed);
  Sa* sa = find_inbound_sa(hdr->spi);
  if (!sa) return discard_in(DiscardReason::NoSa, hdr->spi);
  auto drop = [&](DiscardReason r) {
    if (r == DiscardReason::Replayed || r == DiscardReason::OutsideWindow) {
      ++sa->counters.replay_drops;
    } else if (r == DiscardReason::IcvMismatch) {
      ++sa->counters.auth_failures;
    } else {
      ++sa->counters.other_drops;
    }
    return discard_in(r, sa->spi, sa->id);
  };
  if (sa->udp_encap.has_value() != udp) return drop(DiscardReason::WrongEncapsulation);

  // Anti-replay: infer and check before the ICV, record only after it (RFC 4303 3.4.3).
  std::optional<uint64_t> seq = sa->replay.infer(hdr->seq_lo);
  if (!seq) return drop(DiscardReason::OutsideWindow);
  switch (sa->replay.check(*seq)) {
    case ReplayWindow::Check::Replayed:
      return drop(DiscardReason::Replayed);
    case ReplayWindow::Check::OutsideWindow:
      return drop(DiscardReason::OutsideWindow);
    case ReplayWindow::Check::Ok:
      break;
  }
  const uint8_t outer_tos = wire::ip_tos(packet.view());
  auto opened = esp_open(*sa->protector, sa->esn, sa->combined_mode, *seq, sa->options.pad_check, esp);
  if (!opened) {
    switch (opened.error()) {
      case EspOpenError::Malformed:
        return drop(DiscardReason::Malformed);
      case EspOpenError::IcvMismatch:
        return drop(DiscardReason::IcvMismatch);
      case EspOpenError::BadPadding:
        return drop(DiscardReason::BadPadding);
    }
  }
  sa->replay.update(*seq);
  const EspOpened& o = *opened;
  if (o.next_header == wire::ipproto::kNoNext) {
    // RFC 4303 2.6: dummy packets are discarded silently (they still count for lifetimes).
    account(*sa, o.payload_len);
    return discard_in(DiscardReason::DummyPacket, hdr->spi);
  }

  const size_t payload_at = esp_offset + o.payload_offset;
  const bool tunnel = sa->mode == Mode::Tunnel;
  if (tunnel) {
    if (o.next_header != wire::ipproto::kIpv4 && o.next_header != wire::ipproto::kIpv6)
      return drop(DiscardReason::Malformed);
    packet.pull_front(payload_at);
    packet.trim_back(packet.size() - o.payload_len);
  } else {
    // Transport: the IP header (up to the ESP or UDP header) moves up to the payload.
    size_t h = outer.header_len;
    size_t shift = payload_at - h;
    uint8_t* d = packet.data();
    std::memmove(d + shift, d, h);
    packet.pull_front(shift);
    packet.trim_back(packet.size() - h - o.payload_len);
    packet.data()[outer.upper_next_header_offset] = o.next_header;
    set_ip_length(packet.span());
  }
  // The decrypted packet's parse, initialised in place and used by reference (IpInfo is ~100
  // octets; copying it per packet showed in profiles).
  wire::IpParseResult ip = wire::parse_ip(packet.view());
  wire::IpInfo& inner = ip.info;
  if (tunnel) {
    uint8_t want = o.next_header == wire::ipproto::kIpv4 ? 4 : 6;
    if (!ip.ok || wire::ip_version(packet.view()) != want) return drop(DiscardReason::Malformed);
    packet.trim_back(packet.size() - ip.info.total_len);  // TFC padding (RFC 4303 2.7)
    // RFC 6040 4.2 decapsulation.
    MutBytes in = packet.span();
    uint8_t itos = wire::ip_tos(in);
    auto iecn = static_cast<wire::Ecn>(ecn_of(itos));
    auto oecn = static_cast<wire::Ecn>(ecn_of(outer_tos));
    uint8_t new_ecn = ecn_of(itos);
    if (oecn == wire::Ecn::Ce) {
      if (iecn == wire::Ecn::NotEct) return drop(DiscardReason::EcnConflict);
      new_ecn = static_cast<uint8_t>(wire::Ecn::Ce);
    } else if (oecn == wire::Ecn::Ect1 && iecn == wire::Ecn::Ect0) {
      new_ecn = static_cast<uint8_t>(wire::Ecn::Ect1);
    }
    if (new_ecn != ecn_of(itos)) {
      wire::ip_set_tos(in, static_cast<uint8_t>((itos & 0xfc) | new_ecn));
      if (inner.family == IpFamily::V4) wire::ipv4_set_checksum(in.first(inner.header_len));
    }
  } else {
    if (!ip.ok) return drop(DiscardReason::Malformed);
    if (inner.flow.protocol == wire::ipproto::kUdp && !inner.is_fragment) {
      // TFC padding after a UDP datagram (RFC 4303 2.7): the UDP length says where it ends.
      size_t udp_len = load_be16(packet.data() + inner.header_len + 4);
      if (udp_len < wire::kUdpHeader || inner.header_len + udp_len > packet.size())
        return drop(DiscardReason::Malformed);
      if (inner.header_len + udp_len < packet.size()) {
        packet.trim_back(packet.size() - inner.header_len - udp_len);
        set_ip_length(packet.span());
        inner.total_len = packet.size();
      }
    }
    if (udp) fix_l4_checksum(packet.span(), inner);
  }

  // RFC 4301 5.2: the decrypted packet must be one the SA was negotiated for.
  if (!sa->selectors.empty()) {
    bool ok = std::any_of(sa->selectors.begin(), sa->selectors.end(),
                          [&](const Selector& s) { return s.matches(inner.flow, false); });
    if (!ok) return drop(DiscardReason::PolicyMismatch);
  } else {
    const Policy* pol = spd_.lookup(Direction::Inbound, inner.flow);
    if (!pol) return drop(DiscardReason::PolicyMismatch);
    if (pol->action != Action::Protect) return drop(DiscardReason::ProtectedButPolicyBypass);
    if (pol->mode != sa->mode || (pol->reqid != 0 && sa->reqid != 0 && pol->reqid != sa->reqid))
      return drop(DiscardReason::PolicyMismatch);
  }
  // Read before account(), which may remove the SA; returned as a prvalue so that it is built
  // in the caller's result (a stack copy costs a store-forwarding stall per packet).
  const SaId id = sa->id;
  const uint32_t spi = sa->spi;
  const PolicyId policy = sa->policy;
  ++stats_.inbound_delivered;
  account(*sa, o.payload_len);
  return InboundResult{Verdict::Deliver, DiscardReason::Malformed, id, spi, policy};
}

}  // namespace portunus::ipsec
