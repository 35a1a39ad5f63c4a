// Engine plumbing: SA table, message windows, retransmission, timers, dispatch. The
// exchanges themselves live in ike_sa_init.cpp, ike_auth.cpp, create_child_sa.cpp and
// informational.cpp.
#include "portunus/ike/engine.h"

#include <algorithm>
#include <cmath>

#include "portunus/ike/engine_impl.h"
#include "portunus/ike/fragment.h"
#include "portunus/ike/nat_detection.h"
#include "portunus/ike/sk_payload.h"

namespace portunus::ike {

using wire::ExchangeType;
using wire::NotifyType;

Bytes spi8(uint64_t spi) {
  Bytes b(8);
  store_be64(b.data(), spi);
  return b;
}
Bytes spi4(uint32_t spi) {
  Bytes b(4);
  store_be32(b.data(), spi);
  return b;
}
wire::NotifyPayload notify(NotifyType type, Bytes data) {
  wire::NotifyPayload n;
  n.type = type;
  n.data = std::move(data);
  return n;
}
const wire::NotifyPayload* find_notify(const std::vector<wire::Payload>& ps, NotifyType type) {
  for (const auto& p : ps)
    if (const auto* n = std::get_if<wire::NotifyPayload>(&p); n && n->type == type) return n;
  return nullptr;
}
const wire::NotifyPayload* first_error(const std::vector<wire::Payload>& ps) {
  for (const auto& p : ps)
    if (const auto* n = std::get_if<wire::NotifyPayload>(&p); n && wire::is_error_notify(n->type)) return n;
  return nullptr;
}
Identity identity_of(uint8_t wire_type, BytesView data) {
  Identity id;
  id.type = static_cast<IdType>(wire_type);
  id.data.assign(data.begin(), data.end());
  return id;
}

const char* state_name(IkeState s) {
  switch (s) {
    case IkeState::InitSent:
    case IkeState::InitAnswered:
    case IkeState::AuthSent:
      return "connecting";
    case IkeState::Established:
      return "established";
    case IkeState::Deleting:
      return "deleting";
    case IkeState::Dead:
      return "dead";
  }
  return "?";
}

Engine::Impl::Impl(EngineConfig cfg, crypto::Random& rng, ChildSaInstaller& inst, Instant now0)
    : config(std::move(cfg)),
      random(rng),
      installer(inst),
      cookies(rng, now0, CookieConfig{config.cookie_secret_lifetime, config.cookie_secret_lifetime / 4}),
      half_open(config.cookie_threshold, std::max<uint32_t>(config.max_half_open / 4, 8)) {
  assign_reqids();
}

void Engine::Impl::assign_reqids() {
  reqids.clear();
  std::set<uint32_t> used;
  for (const auto& c : config.connections)
    for (const auto& ch : c.children)
      if (ch.reqid != 0) used.insert(ch.reqid);
  uint32_t next = 1;
  for (const auto& c : config.connections)
    for (const auto& ch : c.children) {
      uint32_t r = ch.reqid;
      if (r == 0) {
        while (used.count(next)) ++next;
        r = next++;
        used.insert(r);
      }
      reqids[{c.name, ch.name}] = r;
    }
}

const ConnectionConfig* Engine::Impl::connection(std::string_view name) const {
  for (const auto& c : config.connections)
    if (c.name == name) return &c;
  return nullptr;
}
const ChildConfig* Engine::Impl::child_config(const ConnectionConfig& c, std::string_view name) const {
  for (const auto& ch : c.children)
    if (ch.name == name) return &ch;
  return nullptr;
}
uint32_t Engine::Impl::reqid_for(const ConnectionConfig& c, const ChildConfig& ch) const {
  auto it = reqids.find({c.name, ch.name});
  return it == reqids.end() ? 0 : it->second;
}
std::pair<const ConnectionConfig*, const ChildConfig*> Engine::Impl::by_reqid(uint32_t reqid) const {
  for (const auto& c : config.connections)
    for (const auto& ch : c.children)
      if (reqid_for(c, ch) == reqid) return {&c, &ch};
  return {nullptr, nullptr};
}

IkeSa* Engine::Impl::find(IkeSaId id) {
  auto it = sas.find(id);
  return it == sas.end() ? nullptr : it->second.get();
}
IkeSa* Engine::Impl::find_by_spi(uint64_t spi) {
  auto it = by_spi.find(spi);
  return it == by_spi.end() ? nullptr : find(it->second);
}

uint64_t Engine::Impl::fresh_spi() {
  for (;;) {
    uint64_t s = random.u64();
    if (s != 0 && !by_spi.count(s)) return s;
  }
}
uint32_t Engine::Impl::fresh_child_spi() {
  // SPIs 1..255 are reserved by IANA (RFC 4303 2.1); keep to the upper range.
  for (;;) {
    uint32_t s = random.u32();
    if (s < 256 || child_spis.count(s)) continue;
    child_spis.insert(s);
    return s;
  }
}

void Engine::Impl::register_spi(IkeSa& sa, uint64_t spi) { by_spi[spi] = sa.id; }

IkeSa& Engine::Impl::create_sa(const std::string& conn, bool initiator, Instant now) {
  auto sa = std::make_unique<IkeSa>();
  sa->id = next_id++;
  sa->connection = conn;
  sa->initiator = initiator;
  sa->created = now;
  sa->last_inbound = now;
  IkeSa& ref = *sa;
  sas.emplace(ref.id, std::move(sa));
  touch(ref);
  return ref;
}

void Engine::Impl::event(EventKind kind, const IkeSa* sa, std::string message, std::string child) {
  Event e;
  e.kind = kind;
  if (sa) {
    e.ike_sa = sa->id;
    e.connection = sa->connection;
  }
  e.child = std::move(child);
  e.message = std::move(message);
  events.push_back(std::move(e));
}

void Engine::Impl::uninstall_child(IkeSa& sa, const ChildSa& child) {
  installer.delete_child_sa(ref_of(child));
  child_spis.erase(child.spi_in);
  event(EventKind::ChildSaDeleted, &sa, "CHILD_SA " + child.name + " deleted", child.name);
}

// Marks an SA dead: its children leave the data plane now, the object goes at finish().
IkeSa& Engine::Impl::child_holder(IkeSa& sa) {
  IkeSa* h = &sa;
  // Chained rekeys are followed; each step moves to a newer SA, so this ends.
  while (h->successor != 0) {
    IkeSa* next = find(h->successor);
    if (!next || next->state == IkeState::Dead) break;
    h = next;
  }
  return *h;
}

void Engine::Impl::kill(IkeSa& sa, bool uninstall_children) {
  if (sa.state == IkeState::Dead) return;
  if (uninstall_children)
    for (const auto& c : sa.children) uninstall_child(sa, c);
  sa.children.clear();
  // A Child SA Delete still unanswered when an IKE SA that was rekeyed goes away: its
  // Child SAs now live on the successor, so the Delete is sent again there. Otherwise they
  // would stay in the data plane for ever (the peer answers a Delete of an SPI it already
  // removed with an empty response, RFC 7296 1.4.1).
  if (sa.outstanding && sa.outstanding->task.kind == TaskKind::DeleteChild) {
    IkeSa& holder = child_holder(sa);
    if (&holder != &sa) {
      Task again;
      again.kind = TaskKind::DeleteChild;
      for (uint32_t s : sa.outstanding->task.delete_spis)
        if (holder.child_by_spi_in(s)) again.delete_spis.push_back(s);
      if (!again.delete_spis.empty()) {
        holder.queue.push_front(std::move(again));
        touch(holder);
      }
    }
  }
  sa.state = IkeState::Dead;
  touch(sa);
}

void Engine::Impl::finish(Instant now) {
  (void)now;
  for (IkeSaId id : dirty) {
    IkeSa* sa = find(id);
    if (!sa) continue;
    if (sa->registered_wake) {
      timers.erase({*sa->registered_wake, id});
      sa->registered_wake.reset();
    }
    if (sa->state == IkeState::Dead) {
      if (sa->counted_half_open) half_open.closed(sa->remote.addr);
      if (auto it = by_spi.find(sa->our_spi()); it != by_spi.end() && it->second == id) by_spi.erase(it);
      if (sa->init_key) by_init.erase({sa->spi_i, sa->init_key->addr, sa->init_key->port});
      for (const auto& c : sa->children) child_spis.erase(c.spi_in);
      sas.erase(id);
      continue;
    }
    if (auto w = wake_of(*sa)) {
      timers.insert({*w, id});
      sa->registered_wake = w;
    }
  }
  dirty.clear();
}

std::optional<Instant> Engine::Impl::wake_of(const IkeSa& sa) const {
  std::optional<Instant> w;
  auto consider = [&](const std::optional<Instant>& t) {
    if (t && (!w || *t < *w)) w = t;
  };
  if (sa.outstanding) consider(sa.outstanding->next_send);
  consider(sa.half_open_until);
  consider(sa.rekey_at);
  consider(sa.expire_at);
  consider(sa.dpd_at);
  consider(sa.keepalive_at);
  for (const auto& c : sa.children) {
    consider(c.rekey_at);
    consider(c.expire_at);
  }
  return w;
}

wire::IkeHeader Engine::Impl::header(const IkeSa& sa, ExchangeType ex, bool response, uint32_t msg_id) const {
  wire::IkeHeader h;
  h.initiator_spi = sa.spi_i;
  h.responder_spi = sa.spi_r;
  h.exchange = ex;
  h.initiator = sa.initiator;
  h.response = response;
  h.message_id = msg_id;
  return h;
}

void Engine::Impl::send_all(IkeSa& sa, const std::vector<Bytes>& datagrams) {
  for (const auto& b : datagrams) {
    if (datagrams.size() > 1) ++counters.tx_fragments;
    send_raw(sa, b);
  }
}

void Engine::Impl::send_raw(IkeSa& sa, Bytes bytes) {
  Datagram d;
  d.local = sa.local;
  d.remote = sa.remote;
  d.bytes = std::move(bytes);
  d.non_esp_marker = uses_non_esp_marker(sa.local.port, sa.remote.port);
  ++counters.tx_datagrams;
  out_datagrams.push_back(std::move(d));
}

size_t Engine::Impl::fragment_size_for(const IkeSa& sa, ExchangeType ex) const {
  // RFC 7383 2.5: only when the peer announced support, never IKE_SA_INIT.
  if (!sa.peer_fragmentation || ex == ExchangeType::IkeSaInit) return 0;
  const ConnectionConfig* c = connection(sa.connection);
  if (!c || (c->fragmentation != Fragmentation::Yes && c->fragmentation != Fragmentation::Force)) return 0;
  return c->fragment_size != 0 ? c->fragment_size : config.fragment_size;
}

Result<std::vector<Bytes>> Engine::Impl::seal_out(IkeSa& sa, const wire::IkeHeader& h,
                                                  const std::vector<wire::Payload>& inner) {
  auto prot = sa.out_protector();
  if (!prot) return make_error("no IKE SA keys");
  Bytes chain;
  wire::PayloadType first = wire::PayloadType::NoNext;
  if (!inner.empty()) {
    auto enc = encode_payloads(inner);
    if (!enc) return Unexpected(enc.error());
    chain = std::move(*enc);
    first = wire::payload_type(inner.front());
  }
  auto out = seal_for_path(h, first, chain, fragment_size_for(sa, h.exchange), !sa.remote.addr.is_v4(),
                           uses_non_esp_marker(sa.local.port, sa.remote.port), *prot, random);
  if (out && out->size() > 1)
    event(EventKind::Info, &sa,
          "splitting IKE message (" + std::to_string(chain.size()) + " bytes) into " +
              std::to_string(out->size()) + " fragments");
  return out;
}

void Engine::Impl::enqueue(IkeSa& sa, Task task, Instant now) {
  sa.queue.push_back(std::move(task));
  pump(sa, now);
}

// Starts the next queued request when the window is free.
void Engine::Impl::pump(IkeSa& sa, Instant now) {
  while (!sa.outstanding && !sa.queue.empty() && sa.state == IkeState::Established) {
    Task t = std::move(sa.queue.front());
    sa.queue.pop_front();
    bool sent = false;
    switch (t.kind) {
      case TaskKind::CreateChild:
      case TaskKind::RekeyChild:
      case TaskKind::RekeyIke:
        sent = build_create_child(sa, std::move(t), now);
        break;
      case TaskKind::DeleteChild:
      case TaskKind::DeleteIke:
      case TaskKind::Dpd:
        sent = build_informational(sa, std::move(t), now);
        break;
      case TaskKind::Init:
      case TaskKind::Auth:
        break;
    }
    (void)sent;
    if (sa.state == IkeState::Dead) return;
  }
  touch(sa);
}

bool Engine::Impl::send_request(IkeSa& sa, Task task, ExchangeType ex,
                                const std::vector<wire::Payload>& inner, Instant now) {
  const uint32_t id = sa.next_request_id;
  if (!sa.have_keys) return false;
  auto bytes = seal_out(sa, header(sa, ex, false, id), inner);
  if (!bytes) {
    event(EventKind::Info, &sa, "cannot encode request: " + bytes.error().message);
    return false;
  }
  ++sa.next_request_id;
  Outstanding o;
  o.message_id = id;
  o.task = std::move(task);
  if (bytes->size() == 1)
    o.packet = bytes->front();
  else
    o.fragments = *bytes;
  sa.outstanding = std::move(o);
  arm_retransmit(sa, now);
  send_all(sa, *bytes);
  return true;
}

void Engine::Impl::arm_retransmit(IkeSa& sa, Instant now) {
  sa.outstanding->retransmits = 0;
  sa.outstanding->timeout = config.retransmit.timeout;
  sa.outstanding->next_send = now + sa.outstanding->timeout;
  touch(sa);
}

void Engine::Impl::send_response(IkeSa& sa, ExchangeType ex, uint32_t msg_id,
                                 const std::vector<wire::Payload>& inner) {
  if (!sa.have_keys) return;
  auto bytes = seal_out(sa, header(sa, ex, true, msg_id), inner);
  if (!bytes) {
    event(EventKind::Info, &sa, "cannot encode response: " + bytes.error().message);
    return;
  }
  sa.cached_response.clear();
  sa.cached_fragments.clear();
  if (bytes->size() == 1)
    sa.cached_response = bytes->front();
  else
    sa.cached_fragments = *bytes;
  sa.have_cached_response = true;
  send_all(sa, *bytes);
}

// Exponential backoff (RFC 7296 2.1): timeout * base^n, capped; after `tries`
// retransmissions the peer is considered unreachable and the IKE SA goes.
void Engine::Impl::retransmit_or_fail(IkeSa& sa, Instant now) {
  Outstanding& o = *sa.outstanding;
  if (o.retransmits >= config.retransmit.tries) {
    const bool was_up = sa.state == IkeState::Established || sa.state == IkeState::Deleting;
    if (was_up) {
      event(EventKind::PeerDead, &sa,
            "peer did not answer " + std::to_string(o.retransmits) + " retransmissions, deleting IKE_SA");
      event(EventKind::IkeSaDeleted, &sa, "IKE_SA deleted (peer dead)");
    } else {
      event(EventKind::IkeSaFailed, &sa,
            "giving up after " + std::to_string(o.retransmits) + " retransmissions");
    }
    kill(sa, true);
    return;
  }
  ++o.retransmits;
  ++counters.tx_retransmits;
  auto next = std::chrono::duration_cast<Duration>(o.timeout * config.retransmit.base);
  o.timeout = std::min(next, config.retransmit.max_timeout);
  o.next_send = now + o.timeout;
  if (o.fragments.empty())
    send_raw(sa, o.packet);
  else
    send_all(sa, o.fragments);
  touch(sa);
}

Duration Engine::Impl::jitter(Duration rand_time) {
  if (rand_time.count() <= 0) return Duration{0};
  return Duration{static_cast<int64_t>(random.u64() % static_cast<uint64_t>(rand_time.count()))};
}

void Engine::Impl::schedule_rekey(IkeSa& sa, Instant now) {
  const ConnectionConfig* c = connection(sa.connection);
  sa.rekey_at.reset();
  sa.expire_at.reset();
  if (!c || c->minimal_initiator) return;
  const auto& lt = c->ike_lifetimes;
  if (lt.rekey_time.count() > 0) {
    sa.rekey_at = now + lt.rekey_time - jitter(std::min(lt.rand_time, lt.rekey_time));
    if (c->over_time.count() > 0) sa.expire_at = now + lt.rekey_time + c->over_time;
  }
  if (lt.life_time.count() > 0) sa.expire_at = now + lt.life_time;
  if (c->dpd_delay.count() > 0) sa.dpd_at = now + c->dpd_delay;
  touch(sa);
}

void Engine::Impl::schedule_child(ChildSa& child, const ChildConfig* cfg, Instant now) {
  child.rekey_at.reset();
  child.expire_at.reset();
  if (!cfg) return;
  const auto& lt = cfg->lifetimes;
  if (lt.rekey_time.count() > 0)
    child.rekey_at = now + lt.rekey_time - jitter(std::min(lt.rand_time, lt.rekey_time));
  if (lt.life_time.count() > 0) child.expire_at = now + lt.life_time;
}

// After an authenticated message: follow the peer's address/port if it changed behind a
// NAT (RFC 7296 2.23), and move the Child SAs with it.
void Engine::Impl::float_endpoints(IkeSa& sa, const Datagram& d) {
  if (d.remote == sa.remote && d.local == sa.local) return;
  if (!sa.nat_remote && !sa.nat_local && d.local.port != 4500) return;
  sa.remote = d.remote;
  sa.local = d.local;
  for (const auto& c : sa.children) installer.update_child_sa_endpoints(ref_of(c), sa.local, sa.remote, true);
}

void Engine::Impl::receive(const Datagram& d, Instant now) {
  ++counters.rx_datagrams;
  auto msg = wire::decode_message(d.bytes);
  if (!msg) {
    ++counters.rx_malformed;
    return;
  }
  const auto& h = msg->header;
  // Responder of the IKE SA: the I flag says the sender is the original initiator.
  if (h.exchange == ExchangeType::IkeSaInit && !h.response && h.initiator) {
    if (h.message_id != 0 || h.responder_spi != 0) {
      ++counters.rx_malformed;
      return;
    }
    handle_init_request(d, *msg, now);
    return;
  }
  const uint64_t our_spi = h.initiator ? h.responder_spi : h.initiator_spi;
  IkeSa* sa = find_by_spi(our_spi);
  if (!sa || sa->state == IkeState::Dead) {
    ++counters.rx_unknown_spi;
    return;
  }
  // The peer's SPI must match too (once known) and its role must be the other one.
  const uint64_t their_spi = h.initiator ? h.initiator_spi : h.responder_spi;
  const uint64_t expect_theirs = sa->initiator ? sa->spi_r : sa->spi_i;
  if (h.initiator == sa->initiator || (expect_theirs != 0 && their_spi != expect_theirs)) {
    ++counters.rx_unknown_spi;
    return;
  }
  if (h.exchange == ExchangeType::IkeSaInit) {
    if (h.response && sa->state == IkeState::InitSent && sa->outstanding && h.message_id == 0)
      handle_init_response(*sa, d, *msg, now);
    else
      ++counters.rx_unexpected;
    return;
  }
  if (!sa->have_keys) {
    ++counters.rx_unexpected;
    return;
  }
  receive_protected(*sa, d, *msg, now);
}

void Engine::Impl::receive_protected(IkeSa& sa, const Datagram& d, const wire::Message& msg, Instant now) {
  const auto& h = msg.header;
  if (h.response) {
    if (!sa.outstanding || h.message_id != sa.outstanding->message_id) {
      ++counters.rx_out_of_window;
      return;
    }
  } else {
    // A retransmitted request: resend the cached response, do not process it again
    // (for a fragmented request, once: on its first fragment, RFC 7383 2.6.1).
    const auto* skf =
        msg.payloads.empty() ? nullptr : std::get_if<wire::EncryptedFragmentPayload>(&msg.payloads.back());
    if (sa.have_cached_response && h.message_id + 1 == sa.expected_peer_id) {
      if (skf && skf->fragment_number != 1) return;
      ++counters.rx_retransmits;
      if (sa.cached_fragments.empty())
        send_raw(sa, sa.cached_response);
      else
        send_all(sa, sa.cached_fragments);
      return;
    }
    if (h.message_id != sa.expected_peer_id) {
      ++counters.rx_out_of_window;
      return;
    }
  }
  auto prot = sa.in_protector();
  if (!prot) return;
  auto count_error = [&](OpenError e) {
    if (e == OpenError::BadIcv)
      ++counters.rx_bad_icv;
    else
      ++counters.rx_malformed;
  };
  Expected<std::vector<wire::Payload>, OpenError> inner = std::vector<wire::Payload>{};
  if (!msg.payloads.empty() && std::holds_alternative<wire::EncryptedFragmentPayload>(msg.payloads.back())) {
    // Taken whatever our `fragmentation` says (even `no`, which only stops announcing and
    // sending), as strongSwan documents for swanctl.conf.
    auto frag = open_fragment(d.bytes, msg, *prot);
    if (!frag) return count_error(frag.error());
    ++counters.rx_fragments;
    if (frag->total == 0 || frag->total > kMaxFragments || frag->number == 0 || frag->number > frag->total)
      return count_error(OpenError::Malformed);
    auto& r = sa.reassembly;
    if (!r || r->message_id != h.message_id || r->response != h.response || r->total != frag->total) {
      r.emplace();
      r->message_id = h.message_id;
      r->response = h.response;
      r->total = frag->total;
      r->parts.resize(frag->total);
    }
    auto& slot = r->parts[frag->number - 1];
    if (!slot) {
      r->octets += frag->plain.size();
      if (frag->number == 1) r->first = frag->first_inner;
      slot = std::move(frag->plain);
      ++r->received;
    }
    if (r->octets > kMaxReassemblyOctets) {
      r.reset();
      return count_error(OpenError::Malformed);
    }
    sa.last_inbound = now;
    if (r->received < r->total) return;
    Bytes chain;
    for (auto& p : r->parts) chain.insert(chain.end(), p->begin(), p->end());
    const wire::PayloadType first = r->first;
    event(EventKind::Info, &sa,
          "reassembled fragmented IKE message (" + std::to_string(chain.size()) + " bytes) from " +
              std::to_string(r->total) + " fragments");
    r.reset();
    if (chain.empty() && first == wire::PayloadType::NoNext) {
      inner = std::vector<wire::Payload>{};
    } else {
      auto decoded = wire::decode_payloads(first, chain);
      if (!decoded) return count_error(OpenError::BadInner);
      inner = std::move(*decoded);
    }
  } else {
    inner = open_message(d.bytes, msg, *prot);
    if (!inner) return count_error(inner.error());
  }
  sa.last_inbound = now;
  float_endpoints(sa, d);
  if (sa.state == IkeState::Established) {
    const ConnectionConfig* c = connection(sa.connection);
    if (c && c->dpd_delay.count() > 0 && !c->minimal_initiator) sa.dpd_at = now + c->dpd_delay;
  }
  touch(sa);

  if (h.response) {
    Outstanding o = std::move(*sa.outstanding);
    sa.outstanding.reset();
    if (h.exchange != exchange_of(o.task.kind)) {
      ++counters.rx_unexpected;
      sa.outstanding = std::move(o);
      return;
    }
    switch (o.task.kind) {
      case TaskKind::Auth:
        handle_auth_response(sa, o.task, *inner, now);
        break;
      case TaskKind::CreateChild:
      case TaskKind::RekeyChild:
      case TaskKind::RekeyIke:
        handle_create_child_response(sa, o.task, *inner, now);
        break;
      case TaskKind::DeleteChild:
      case TaskKind::DeleteIke:
      case TaskKind::Dpd:
        handle_informational_response(sa, o.task, *inner, now);
        break;
      case TaskKind::Init:
        break;
    }
    if (sa.state != IkeState::Dead) pump(sa, now);
    return;
  }

  // A new request: RFC 7296 2.5, an unknown payload with the critical bit is rejected.
  ++sa.expected_peer_id;
  for (const auto& p : *inner)
    if (const auto* u = std::get_if<wire::UnknownPayload>(&p); u && u->critical) {
      send_response(sa, h.exchange, h.message_id,
                    {notify(NotifyType::UnsupportedCriticalPayload, Bytes{u->type})});
      return;
    }
  const ConnectionConfig* c = connection(sa.connection);
  switch (h.exchange) {
    case ExchangeType::IkeAuth:
      if (!sa.initiator && sa.state == IkeState::InitAnswered)
        handle_auth_request(sa, msg, *inner, now);
      else
        send_response(sa, h.exchange, h.message_id, {notify(NotifyType::InvalidSyntax)});
      break;
    case ExchangeType::CreateChildSa:
      if (sa.state != IkeState::Established && sa.state != IkeState::Deleting) {
        send_response(sa, h.exchange, h.message_id, {notify(NotifyType::InvalidSyntax)});
      } else if (c && c->minimal_initiator) {
        send_response(sa, h.exchange, h.message_id, {notify(NotifyType::NoAdditionalSas)});
      } else {
        handle_create_child_request(sa, msg, *inner, now);
      }
      break;
    case ExchangeType::Informational:
      // Before IKE_AUTH completes only IKE_AUTH is allowed (RFC 7296 1.2).
      if (sa.state != IkeState::Established && sa.state != IkeState::Deleting)
        send_response(sa, h.exchange, h.message_id, {notify(NotifyType::InvalidSyntax)});
      else
        handle_informational_request(sa, msg, *inner, now);
      break;
    default:
      // Exchanges we do not implement (IKE_INTERMEDIATE, ...) are refused as bad syntax.
      send_response(sa, h.exchange, h.message_id, {notify(NotifyType::InvalidSyntax)});
      break;
  }
}

void Engine::Impl::on_timer(Instant now) {
  // Each due SA is handled once per call, so a timer that stays due can never spin here.
  std::vector<IkeSaId> due;
  while (!timers.empty() && timers.begin()->first <= now) {
    due.push_back(timers.begin()->second);
    timers.erase(timers.begin());
  }
  for (IkeSaId id : due) {
    IkeSa* sa = find(id);
    if (!sa) continue;
    sa->registered_wake.reset();
    timer_for(*sa, now);
    touch(*sa);
  }
}

void Engine::Impl::timer_for(IkeSa& sa, Instant now) {
  if (sa.state == IkeState::Dead) return;
  const ConnectionConfig* conn = connection(sa.connection);
  if (sa.half_open_until && *sa.half_open_until <= now) {
    if (sa.state != IkeState::Established) {
      event(EventKind::IkeSaFailed, &sa, "half-open IKE_SA timed out");
      kill(sa, true);
      return;
    }
    sa.half_open_until.reset();
  }
  if (sa.outstanding && sa.outstanding->next_send <= now) {
    retransmit_or_fail(sa, now);
    if (sa.state == IkeState::Dead) return;
  }
  if (sa.expire_at && *sa.expire_at <= now) {
    event(EventKind::IkeSaDeleted, &sa, "IKE_SA hard lifetime reached");
    sa.expire_at.reset();
    // Tell the peer, but do not wait for it.
    if (sa.state == IkeState::Established && !sa.outstanding) {
      Task t;
      t.kind = TaskKind::DeleteIke;
      build_informational(sa, std::move(t), now);
    }
    IkeSa& holder = child_holder(sa);
    kill(sa, true);
    if (&holder != &sa) pump(holder, now);  // a Delete that kill() handed over
    return;
  }
  if (sa.state != IkeState::Established) {
    // Rekeys, liveness checks and keepalives only run on an established SA; drop ones that
    // fell due meanwhile instead of leaving them due for ever.
    auto stale = [&](std::optional<Instant>& t) {
      if (t && *t <= now) t.reset();
    };
    stale(sa.rekey_at);
    stale(sa.dpd_at);
    stale(sa.keepalive_at);
    for (auto& c : sa.children) {
      stale(c.rekey_at);
      stale(c.expire_at);
    }
    return;
  }
  if (sa.keepalive_at && *sa.keepalive_at <= now) {
    // RFC 3948 2.3: a single 0xFF octet, no non-ESP marker.
    Datagram d;
    d.local = sa.local;
    d.remote = sa.remote;
    d.bytes = {0xff};
    out_datagrams.push_back(std::move(d));
    sa.keepalive_at = now + (conn ? conn->keepalive_interval : Duration{std::chrono::seconds(20)});
  }
  if (sa.rekey_at && *sa.rekey_at <= now) {
    sa.rekey_at.reset();
    if (!sa.rekeying && !sa.rekeyed) {
      Task t;
      t.kind = TaskKind::RekeyIke;
      enqueue(sa, std::move(t), now);
      if (sa.state == IkeState::Dead) return;
    }
  }
  for (auto& c : sa.children) {
    if (c.expire_at && *c.expire_at <= now) {
      c.expire_at.reset();
      c.rekey_at.reset();
      if (c.state != ChildState::Deleting) {
        c.state = ChildState::Deleting;
        Task t;
        t.kind = TaskKind::DeleteChild;
        t.old_spi_in = c.spi_in;
        sa.queue.push_back(std::move(t));
      }
    } else if (c.rekey_at && *c.rekey_at <= now) {
      c.rekey_at.reset();
      if (c.state == ChildState::Installed) {
        Task t;
        t.kind = TaskKind::RekeyChild;
        t.old_spi_in = c.spi_in;
        t.child = c.name;
        t.reqid = c.reqid;
        sa.queue.push_back(std::move(t));
      }
    }
  }
  if (sa.dpd_at && *sa.dpd_at <= now) {
    sa.dpd_at.reset();
    if (!sa.outstanding && sa.queue.empty()) {
      Task t;
      t.kind = TaskKind::Dpd;
      sa.queue.push_back(std::move(t));
    }
    if (conn && conn->dpd_delay.count() > 0) sa.dpd_at = now + conn->dpd_delay;
  }
  pump(sa, now);
}

// ---- public API ----

Engine::Engine(EngineConfig config, crypto::Random& random, ChildSaInstaller& installer)
    : impl_(std::make_unique<Impl>(std::move(config), random, installer, Instant{})) {}
Engine::~Engine() = default;

void Engine::reload(EngineConfig config, Instant now) {
  impl_->config = std::move(config);
  impl_->psk_pads.clear();
  impl_->assign_reqids();
  for (auto& [id, sa] : impl_->sas)
    if (!impl_->connection(sa->connection)) {
      impl_->event(EventKind::IkeSaDeleted, sa.get(), "connection removed from configuration");
      if (sa->state == IkeState::Established && !sa->outstanding) {
        Task t;
        t.kind = TaskKind::DeleteIke;
        impl_->build_informational(*sa, std::move(t), now);
      }
      impl_->kill(*sa, true);
    }
  impl_->finish(now);
}

void Engine::receive(const Datagram& datagram, Instant now) {
  impl_->receive(datagram, now);
  impl_->finish(now);
}

void Engine::on_timer(Instant now) {
  impl_->on_timer(now);
  impl_->finish(now);
}

std::optional<Instant> Engine::next_wakeup() const {
  if (impl_->timers.empty()) return std::nullopt;
  return impl_->timers.begin()->first;
}

Result<IkeSaId> Engine::initiate(std::string_view connection, std::string_view child, Instant now) {
  const ConnectionConfig* c = impl_->connection(connection);
  if (!c) return make_error("no connection named '" + std::string(connection) + "'");
  const ChildConfig* ch =
      child.empty() ? (c->children.empty() ? nullptr : &c->children.front()) : impl_->child_config(*c, child);
  if (!ch) return make_error("connection '" + c->name + "' has no child '" + std::string(child) + "'");
  Task t;
  t.kind = TaskKind::CreateChild;
  t.child = ch->name;
  t.reqid = impl_->reqid_for(*c, *ch);
  // An established IKE SA of the connection carries the new child.
  for (auto& [id, sa] : impl_->sas)
    if (sa->connection == c->name && sa->state == IkeState::Established && !sa->rekeyed) {
      if (c->minimal_initiator) return make_error("minimal initiator: no CREATE_CHILD_SA");
      impl_->enqueue(*sa, std::move(t), now);
      impl_->finish(now);
      return id;
    }
  IkeSa* sa = impl_->start_initiator(*c, std::move(t), now);
  impl_->finish(now);
  if (!sa) return make_error("cannot start IKE_SA_INIT for '" + c->name + "'");
  return sa->id;
}

Result<IkeSaId> Engine::acquire(uint32_t reqid, const std::optional<wire::TrafficSelector>& packet_src,
                                const std::optional<wire::TrafficSelector>& packet_dst, Instant now) {
  auto [c, ch] = impl_->by_reqid(reqid);
  if (!c || !ch) return make_error("no child with reqid " + std::to_string(reqid));
  // Already negotiating or established for this policy: nothing to do.
  for (auto& [id, sa] : impl_->sas) {
    if (sa->connection != c->name || sa->state == IkeState::Dead) continue;
    if (sa->outstanding && sa->outstanding->task.reqid == reqid) return id;
    for (const auto& t : sa->queue)
      if (t.reqid == reqid) return id;
    for (const auto& cs : sa->children)
      if (cs.reqid == reqid) return id;
  }
  Task t;
  t.kind = TaskKind::CreateChild;
  t.child = ch->name;
  t.reqid = reqid;
  t.trigger_src = packet_src;
  t.trigger_dst = packet_dst;
  for (auto& [id, sa] : impl_->sas)
    if (sa->connection == c->name && sa->state == IkeState::Established && !sa->rekeyed &&
        !c->minimal_initiator) {
      impl_->enqueue(*sa, std::move(t), now);
      impl_->finish(now);
      return id;
    }
  IkeSa* sa = impl_->start_initiator(*c, std::move(t), now);
  impl_->finish(now);
  if (!sa) return make_error("cannot start IKE_SA_INIT for '" + c->name + "'");
  return sa->id;
}

Result<void> Engine::terminate_ike(IkeSaId id, Instant now) {
  IkeSa* sa = impl_->find(id);
  if (!sa || sa->state == IkeState::Dead) return make_error("no IKE_SA " + std::to_string(id));
  const ConnectionConfig* c = impl_->connection(sa->connection);
  if (sa->state == IkeState::Established && !(c && c->minimal_initiator)) {
    // The Delete goes out at once (even ahead of queued work); the SA is gone locally.
    sa->outstanding.reset();
    sa->queue.clear();
    Task t;
    t.kind = TaskKind::DeleteIke;
    impl_->build_informational(*sa, std::move(t), now);
  }
  impl_->event(EventKind::IkeSaDeleted, sa, "IKE_SA deleted (terminate)");
  impl_->kill(*sa, true);
  impl_->finish(now);
  return {};
}

Result<void> Engine::terminate_child(IkeSaId id, uint32_t spi_in, Instant now) {
  IkeSa* sa = impl_->find(id);
  if (!sa || sa->state != IkeState::Established)
    return make_error("no established IKE_SA " + std::to_string(id));
  ChildSa* c = sa->child_by_spi_in(spi_in);
  if (!c) return make_error("no CHILD_SA with SPI " + std::to_string(spi_in));
  c->state = ChildState::Deleting;
  Task t;
  t.kind = TaskKind::DeleteChild;
  t.old_spi_in = spi_in;
  impl_->enqueue(*sa, std::move(t), now);
  impl_->finish(now);
  return {};
}

void Engine::terminate_connection(std::string_view connection, Instant now) {
  std::vector<IkeSaId> ids;
  for (auto& [id, sa] : impl_->sas)
    if (sa->connection == connection) ids.push_back(id);
  for (IkeSaId id : ids) (void)terminate_ike(id, now);
}

void Engine::terminate_all(Instant now) {
  std::vector<IkeSaId> ids;
  for (auto& [id, sa] : impl_->sas) ids.push_back(id);
  for (IkeSaId id : ids) (void)terminate_ike(id, now);
}

Result<void> Engine::rekey_child(IkeSaId id, uint32_t spi_in, Instant now) {
  IkeSa* sa = impl_->find(id);
  if (!sa || sa->state != IkeState::Established)
    return make_error("no established IKE_SA " + std::to_string(id));
  ChildSa* c = sa->child_by_spi_in(spi_in);
  if (!c || c->state != ChildState::Installed)
    return make_error("no rekeyable CHILD_SA " + std::to_string(spi_in));
  Task t;
  t.kind = TaskKind::RekeyChild;
  t.old_spi_in = spi_in;
  t.child = c->name;
  t.reqid = c->reqid;
  impl_->enqueue(*sa, std::move(t), now);
  impl_->finish(now);
  return {};
}

Result<void> Engine::rekey_ike(IkeSaId id, Instant now) {
  IkeSa* sa = impl_->find(id);
  if (!sa || sa->state != IkeState::Established)
    return make_error("no established IKE_SA " + std::to_string(id));
  if (sa->rekeying || sa->rekeyed) return make_error("IKE_SA is already being rekeyed");
  Task t;
  t.kind = TaskKind::RekeyIke;
  impl_->enqueue(*sa, std::move(t), now);
  impl_->finish(now);
  return {};
}

Result<void> Engine::send_dpd(IkeSaId id, Instant now) {
  IkeSa* sa = impl_->find(id);
  if (!sa || sa->state != IkeState::Established)
    return make_error("no established IKE_SA " + std::to_string(id));
  Task t;
  t.kind = TaskKind::Dpd;
  impl_->enqueue(*sa, std::move(t), now);
  impl_->finish(now);
  return {};
}

void Engine::expire(uint32_t spi_in, bool hard, Instant now) {
  for (auto& [id, sa] : impl_->sas) {
    ChildSa* c = sa->child_by_spi_in(spi_in);
    if (!c || sa->state != IkeState::Established) continue;
    if (hard) {
      c->expire_at = now;
    } else if (c->state == ChildState::Installed) {
      c->rekey_at = now;
    }
    impl_->timer_for(*sa, now);
    impl_->touch(*sa);
    break;
  }
  impl_->finish(now);
}

std::vector<Datagram> Engine::take_datagrams() { return std::exchange(impl_->out_datagrams, {}); }
std::vector<Event> Engine::take_events() { return std::exchange(impl_->events, {}); }
std::vector<KeyExport> Engine::take_key_exports() { return std::exchange(impl_->key_exports, {}); }

std::vector<IkeSaStatus> Engine::status() const {
  std::vector<IkeSaStatus> out;
  for (const auto& [id, sa] : impl_->sas) {
    if (sa->state == IkeState::Dead) continue;
    IkeSaStatus s;
    s.id = id;
    s.connection = sa->connection;
    s.state = sa->rekeying ? "rekeying" : state_name(sa->state);
    s.initiator = sa->initiator;
    s.spi_i = sa->spi_i;
    s.spi_r = sa->spi_r;
    s.local = sa->local;
    s.remote = sa->remote;
    s.local_id = to_string(sa->local_id);
    s.remote_id = to_string(sa->remote_id);
    if (sa->have_keys) {
      s.encr = sa->keys.alg.encr;
      s.encr_key_bits = sa->keys.alg.encr_key_bits;
      s.prf = sa->keys.alg.prf;
      s.integ = sa->keys.alg.integ;
      s.group = sa->keys.alg.group;
    }
    s.nat_local = sa->nat_local;
    s.nat_remote = sa->nat_remote;
    s.established = sa->established;
    s.rekey_at = sa->rekey_at;
    for (const auto& c : sa->children) {
      ChildSaStatus cs;
      cs.name = c.name;
      cs.reqid = c.reqid;
      cs.spi_in = c.spi_in;
      cs.spi_out = c.spi_out;
      cs.mode = c.mode;
      cs.encr = c.alg.encr;
      cs.encr_key_bits = c.alg.encr_key_bits;
      cs.integ = c.alg.integ;
      cs.pfs_group = c.alg.group;
      cs.udp_encap = sa->nat_local || sa->nat_remote;
      cs.local_ts = c.local_ts;
      cs.remote_ts = c.remote_ts;
      cs.established = c.established;
      cs.rekey_at = c.rekey_at;
      cs.expire_at = c.expire_at;
      s.children.push_back(std::move(cs));
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<Datagram> Engine::craft_request(IkeSaId id, uint8_t exchange, uint32_t message_id, uint8_t first_inner,
                                       BytesView inner_chain) {
  IkeSa* sa = impl_->find(id);
  if (!sa || !sa->have_keys) return make_error("no IKE_SA with keys");
  auto h = impl_->header(*sa, static_cast<ExchangeType>(exchange), false, message_id);
  auto prot = sa->out_protector();
  if (!prot) return make_error("cannot build protector");
  auto bytes = seal_raw(h, static_cast<wire::PayloadType>(first_inner), inner_chain, *prot, impl_->random);
  if (!bytes) return Unexpected(bytes.error());
  Datagram d;
  d.local = sa->local;
  d.remote = sa->remote;
  d.bytes = std::move(*bytes);
  return d;
}

Result<std::vector<Datagram>> Engine::craft_fragmented_request(IkeSaId id, uint8_t exchange,
                                                               uint32_t message_id, uint8_t first_inner,
                                                               BytesView inner_chain, size_t fragments) {
  IkeSa* sa = impl_->find(id);
  if (!sa || !sa->have_keys) return make_error("no IKE_SA with keys");
  auto prot = sa->out_protector();
  if (!prot) return make_error("cannot build protector");
  auto h = impl_->header(*sa, static_cast<ExchangeType>(exchange), false, message_id);
  auto parts = seal_fragments(h, static_cast<wire::PayloadType>(first_inner), inner_chain, fragments, *prot,
                              impl_->random);
  if (!parts) return Unexpected(parts.error());
  std::vector<Datagram> out;
  for (auto& p : *parts) out.push_back(Datagram{sa->local, sa->remote, std::move(p), false});
  return out;
}

const EngineCounters& Engine::counters() const { return impl_->counters; }

uint32_t Engine::reqid_of(std::string_view connection, std::string_view child) const {
  auto it = impl_->reqids.find({std::string(connection), std::string(child)});
  return it == impl_->reqids.end() ? 0 : it->second;
}

size_t Engine::ike_sa_count() const {
  size_t n = 0;
  for (const auto& [id, sa] : impl_->sas)
    if (sa->state != IkeState::Dead) ++n;
  return n;
}
size_t Engine::half_open_count() const { return impl_->half_open.total(); }

}  // namespace portunus::ike
