// IKE_SA_INIT (RFC 7296 1.2, 2.6 cookies, 2.23 NAT detection) in both roles.
#include <algorithm>

#include "portunus/ike/engine_impl.h"
#include "portunus/ike/nat_detection.h"
#include "portunus/ike/proposal_select.h"

namespace portunus::ike {

using wire::NotifyType;

namespace {

// RFC 7427 4: the hash algorithms we can verify signatures with (SHA2-256/384/512, Identity).
Bytes signature_hash_algorithms() { return encode_signature_hashes(default_signature_hashes()); }

Bytes hash_bytes(const NatHash& h) { return Bytes(h.begin(), h.end()); }

bool addr_allowed(const std::vector<IpAddress>& list, const IpAddress& a) {
  return list.empty() || std::find(list.begin(), list.end(), a) != list.end();
}

}  // namespace

const ConnectionConfig* Engine::Impl::match_connection(const Endpoint& local, const Endpoint& remote) const {
  for (const auto& c : config.connections)
    if (addr_allowed(c.local_addrs, local.addr) && addr_allowed(c.remote_addrs, remote.addr)) return &c;
  return nullptr;
}

std::vector<wire::Payload> Engine::Impl::nat_notifies(const IkeSa& sa, const ConnectionConfig& conn) {
  std::vector<wire::Payload> out;
  const NatHash src = conn.force_encap ? fake_nat_source_hash(random)
                                       : nat_detection_hash(sa.spi_i, sa.spi_r, sa.local.addr, sa.local.port);
  out.push_back(notify(NotifyType::NatDetectionSourceIp, hash_bytes(src)));
  out.push_back(notify(NotifyType::NatDetectionDestinationIp,
                       hash_bytes(nat_detection_hash(sa.spi_i, sa.spi_r, sa.remote.addr, sa.remote.port))));
  return out;
}

void Engine::Impl::apply_nat_detection(IkeSa& sa, const wire::Message& msg, const Datagram& d,
                                       const ConnectionConfig& conn) {
  std::vector<BytesView> sources;
  BytesView dest;
  bool have_dest = false;
  for (const auto& p : msg.payloads)
    if (const auto* n = std::get_if<wire::NotifyPayload>(&p)) {
      if (n->type == NotifyType::NatDetectionSourceIp) sources.emplace_back(n->data);
      if (n->type == NotifyType::NatDetectionDestinationIp) {
        dest = n->data;
        have_dest = true;
      }
    }
  sa.peer_supports_nat_t = !sources.empty() && have_dest;
  if (sa.peer_supports_nat_t) {
    NatStatus st = detect_nat(msg.header.initiator_spi, msg.header.responder_spi, sources, dest, d.local.addr,
                              d.local.port, d.remote.addr, d.remote.port);
    sa.nat_local = st.local_behind_nat;
    sa.nat_remote = st.remote_behind_nat;
  }
  // encap = yes: we claimed a NAT in our own notifies, so behave as if behind one.
  if (conn.force_encap && sa.peer_supports_nat_t) sa.nat_local = true;
}

IkeSa* Engine::Impl::start_initiator(const ConnectionConfig& conn, Task first_child, Instant now) {
  if (conn.remote_addrs.empty()) {
    event(EventKind::IkeSaFailed, nullptr,
          "connection '" + conn.name + "' has no remote address to initiate to");
    return nullptr;
  }
  if (conn.ike_proposals.empty()) return nullptr;
  IkeSa& sa = create_sa(conn.name, true, now);
  sa.remote = {conn.remote_addrs.front(), conn.remote_port};
  // Without a configured local address the daemon's routing decides; the NAT hash of the
  // unspecified address then never matches, which only costs an unneeded float to 4500.
  sa.local = {conn.local_addrs.empty() ? IpAddress::any(sa.remote.addr.family()) : conn.local_addrs.front(),
              conn.local_port};
  sa.spi_i = fresh_spi();
  register_spi(sa, sa.spi_i);
  sa.ni = random.bytes(kNonceSize);
  sa.offered = conn.ike_proposals;
  for (size_t i = 0; i < sa.offered.size(); ++i) {
    sa.offered[i].number = static_cast<uint8_t>(i + 1);
    sa.offered[i].protocol = wire::ProtocolId::Ike;
    sa.offered[i].spi.clear();
  }
  auto ke = crypto::make_key_exchange(initial_ke_group(sa.offered), random);
  if (!ke) {
    event(EventKind::IkeSaFailed, &sa, "key exchange: " + ke.error().message);
    kill(sa, false);
    return nullptr;
  }
  sa.ke = std::move(*ke);
  sa.state = IkeState::InitSent;
  sa.queue.push_back(std::move(first_child));
  event(EventKind::Info, &sa, "initiating IKE_SA " + conn.name + " to " + sa.remote.addr.to_string());
  send_init(sa, now);
  return &sa;
}

void Engine::Impl::send_init(IkeSa& sa, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  if (!conn) {
    kill(sa, false);
    return;
  }
  ++sa.init_attempts;
  wire::Message m;
  m.header = header(sa, wire::ExchangeType::IkeSaInit, false, 0);
  // RFC 7296 2.6: the cookie must be the first payload.
  if (!sa.cookie.empty()) m.payloads.push_back(notify(NotifyType::Cookie, sa.cookie));
  m.payloads.push_back(wire::SaPayload{sa.offered});
  m.payloads.push_back(wire::KePayload{sa.ke->group(), sa.ke->public_value()});
  m.payloads.push_back(wire::NoncePayload{sa.ni});
  for (auto& n : nat_notifies(sa, *conn)) m.payloads.push_back(std::move(n));
  if (conn->fragmentation != Fragmentation::No)
    m.payloads.push_back(notify(NotifyType::Ikev2FragmentationSupported));
  if (config.signature_authentication)
    m.payloads.push_back(notify(NotifyType::SignatureHashAlgorithms, signature_hash_algorithms()));
  auto bytes = wire::encode_message(m);
  if (!bytes) {
    event(EventKind::IkeSaFailed, &sa, "cannot encode IKE_SA_INIT: " + bytes.error().message);
    kill(sa, false);
    return;
  }
  sa.init_request = *bytes;
  Outstanding o;
  o.message_id = 0;
  o.task.kind = TaskKind::Init;
  o.packet = *bytes;
  sa.outstanding = std::move(o);
  sa.next_request_id = 1;
  arm_retransmit(sa, now);
  send_raw(sa, std::move(*bytes));
}

// Stateless error answers to IKE_SA_INIT (COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN):
// our SPI stays zero because we keep no state (RFC 7296 2.6, 1.2).
void Engine::Impl::reply_init_error(const Datagram& d, const wire::Message& msg, NotifyType type,
                                    Bytes data) {
  wire::Message m;
  m.header = msg.header;
  m.header.responder_spi = 0;
  m.header.initiator = false;
  m.header.response = true;
  m.header.higher_version = false;
  m.payloads.push_back(notify(type, std::move(data)));
  auto bytes = wire::encode_message(m);
  if (!bytes) return;
  Datagram out;
  out.local = d.local;
  out.remote = d.remote;
  out.bytes = std::move(*bytes);
  out.non_esp_marker = uses_non_esp_marker(d.local.port, d.remote.port);
  ++counters.tx_datagrams;
  out_datagrams.push_back(std::move(out));
}

void Engine::Impl::handle_init_request(const Datagram& d, const wire::Message& msg, Instant now) {
  const auto& h = msg.header;
  // A retransmission of a request we answered: while half open, send the same answer again;
  // once IKE_AUTH has completed (the messages are forgotten by then) the initiator has our
  // answer, so a late copy is only dropped. Either way it opens no new SA (2.1).
  if (auto it = by_init.find({h.initiator_spi, d.remote.addr, d.remote.port}); it != by_init.end()) {
    IkeSa* sa = find(it->second);
    if (sa && sa->state == IkeState::InitAnswered && d.bytes.size() == sa->init_request.size() &&
        std::equal(d.bytes.begin(), d.bytes.end(), sa->init_request.begin())) {
      ++counters.rx_retransmits;
      send_raw(*sa, sa->init_response);
    } else {
      ++counters.rx_unexpected;
    }
    return;
  }
  const auto* sa_p = msg.find<wire::SaPayload>();
  const auto* ke_p = msg.find<wire::KePayload>();
  const auto* ni_p = msg.find<wire::NoncePayload>();
  if (!sa_p || !ke_p || !ni_p || ni_p->data.size() < 16 || ni_p->data.size() > 256) {
    ++counters.rx_malformed;
    return;
  }
  for (const auto& p : msg.payloads)
    if (const auto* u = std::get_if<wire::UnknownPayload>(&p); u && u->critical) {
      reply_init_error(d, msg, NotifyType::UnsupportedCriticalPayload, Bytes{u->type});
      return;
    }
  const ConnectionConfig* conn = match_connection(d.local, d.remote);
  if (!conn) {
    ++counters.rx_unexpected;
    reply_init_error(d, msg, NotifyType::NoProposalChosen, {});
    return;
  }
  if (half_open.peer_blocked(d.remote.addr) || half_open.total() >= config.max_half_open) {
    ++counters.half_open_dropped;
    return;
  }
  if (half_open.cookie_required()) {
    const wire::NotifyPayload* first =
        msg.payloads.empty() ? nullptr : std::get_if<wire::NotifyPayload>(&msg.payloads.front());
    if (!first || first->type != NotifyType::Cookie) {
      ++counters.cookies_sent;
      reply_init_error(d, msg, NotifyType::Cookie,
                       cookies.make(ni_p->data, d.remote.addr, h.initiator_spi, now));
      return;
    }
    if (!cookies.verify(first->data, ni_p->data, d.remote.addr, h.initiator_spi, now)) {
      ++counters.cookies_rejected;
      ++counters.cookies_sent;
      reply_init_error(d, msg, NotifyType::Cookie,
                       cookies.make(ni_p->data, d.remote.addr, h.initiator_spi, now));
      return;
    }
  }
  SelectOptions opts;
  opts.received_ke = ke_p->group;
  auto chosen = select_proposal(sa_p->proposals, conn->ike_proposals, ProposalKind::IkeSaInit, opts);
  if (!chosen) {
    event(EventKind::IkeSaFailed, nullptr, "no acceptable IKE proposal from " + d.remote.addr.to_string());
    reply_init_error(d, msg, NotifyType::NoProposalChosen, {});
    return;
  }
  const crypto::KeGroup group = chosen_ke_group(*chosen);
  if (group != ke_p->group || !crypto::ke_group_supported(group)) {
    ++counters.invalid_ke_sent;
    Bytes data(2);
    store_be16(data.data(), static_cast<uint16_t>(group));
    reply_init_error(d, msg, NotifyType::InvalidKePayload, std::move(data));
    return;
  }
  auto ke = crypto::make_key_exchange(group, random);
  if (!ke) return;
  auto g_ir = (*ke)->derive(ke_p->data);
  if (!g_ir) {
    ++counters.rx_malformed;
    return;
  }

  IkeSa& sa = create_sa(conn->name, false, now);
  sa.local = d.local;
  sa.remote = d.remote;
  sa.spi_i = h.initiator_spi;
  sa.spi_r = fresh_spi();
  register_spi(sa, sa.spi_r);
  sa.init_key = d.remote;
  by_init[{sa.spi_i, d.remote.addr, d.remote.port}] = sa.id;
  half_open.opened(d.remote.addr);
  sa.counted_half_open = true;
  sa.half_open_until = now + config.half_open_timeout;
  sa.state = IkeState::InitAnswered;
  sa.ni = ni_p->data;
  sa.nr = random.bytes(kNonceSize);
  sa.ke = std::move(*ke);
  sa.init_request = d.bytes;
  sa.peer_fragmentation = msg.find_notify(NotifyType::Ikev2FragmentationSupported) != nullptr;
  note_signature_hashes(sa, msg.payloads);
  apply_nat_detection(sa, msg, d, *conn);

  const Algorithms alg = algorithms_of(*chosen);
  auto keys = derive_ike_sa_keys(alg, *g_ir, sa.ni, sa.nr, sa.spi_i, sa.spi_r);
  if (!keys) {
    event(EventKind::IkeSaFailed, &sa, "key derivation: " + keys.error().message);
    kill(sa, false);
    return;
  }
  sa.keys = std::move(*keys);
  sa.have_keys = true;
  sa.expected_peer_id = 1;

  wire::Message m;
  m.header = header(sa, wire::ExchangeType::IkeSaInit, true, 0);
  m.payloads.push_back(wire::SaPayload{{*chosen}});
  m.payloads.push_back(wire::KePayload{sa.ke->group(), sa.ke->public_value()});
  m.payloads.push_back(wire::NoncePayload{sa.nr});
  // RFC 7296 1.2 / 3.7: the responder asks for certificates from our CAs in its first
  // message, so the initiator can pick the right one for IKE_AUTH.
  if (auto req = certreq_payload(conn->remote)) m.payloads.push_back(std::move(*req));
  if (sa.peer_supports_nat_t)
    for (auto& n : nat_notifies(sa, *conn)) m.payloads.push_back(std::move(n));
  // RFC 7383 2.3: only in answer to the initiator's.
  if (sa.peer_fragmentation && conn->fragmentation != Fragmentation::No)
    m.payloads.push_back(notify(NotifyType::Ikev2FragmentationSupported));
  if (config.signature_authentication)
    m.payloads.push_back(notify(NotifyType::SignatureHashAlgorithms, signature_hash_algorithms()));
  auto bytes = wire::encode_message(m);
  if (!bytes) {
    kill(sa, false);
    return;
  }
  sa.init_response = *bytes;
  sa.ke.reset();  // the private value is no longer needed
  send_raw(sa, std::move(*bytes));
  touch(sa);
}

void Engine::Impl::handle_init_response(IkeSa& sa, const Datagram& d, const wire::Message& msg, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  if (!conn) {
    kill(sa, false);
    return;
  }
  if (const auto* c = msg.find_notify(NotifyType::Cookie)) {
    if (!cookie_size_valid(c->data.size()) || sa.init_attempts >= kMaxInitAttempts) {
      ++counters.rx_unexpected;
      return;
    }
    sa.cookie = c->data;
    sa.outstanding.reset();
    event(EventKind::Info, &sa, "responder requested a COOKIE, retrying");
    send_init(sa, now);
    return;
  }
  if (const auto* n = msg.find_notify(NotifyType::InvalidKePayload)) {
    crypto::KeGroup requested = crypto::KeGroup::None;
    if (n->data.size() == 2) requested = static_cast<crypto::KeGroup>(load_be16(n->data.data()));
    if (sa.init_attempts >= kMaxInitAttempts || !ke_retry_acceptable(sa.offered, requested, sa.ke->group()) ||
        !crypto::ke_group_supported(requested)) {
      // RFC 7296 2.21: an unauthenticated error must not kill the attempt; let the
      // retransmission budget run out instead of trusting a possibly forged notify.
      ++counters.rx_unexpected;
      return;
    }
    auto ke = crypto::make_key_exchange(requested, random);
    if (!ke) return;
    sa.ke = std::move(*ke);
    sa.outstanding.reset();
    event(EventKind::Info, &sa,
          std::string("peer requested key exchange ") + std::string(crypto::name(requested)));
    send_init(sa, now);
    return;
  }
  if (const auto* err = msg.find_notify(NotifyType::NoProposalChosen);
      err || msg.find<wire::SaPayload>() == nullptr) {
    for (const auto& p : msg.payloads)
      if (const auto* n = std::get_if<wire::NotifyPayload>(&p); n && wire::is_error_notify(n->type)) {
        event(EventKind::IkeSaFailed, &sa, "IKE_SA_INIT failed: peer sent " + wire::name(n->type));
        kill(sa, false);
        return;
      }
    ++counters.rx_malformed;
    return;
  }
  const auto* sa_p = msg.find<wire::SaPayload>();
  const auto* ke_p = msg.find<wire::KePayload>();
  const auto* nr_p = msg.find<wire::NoncePayload>();
  if (!ke_p || !nr_p || nr_p->data.size() < 16 || nr_p->data.size() > 256 || msg.header.responder_spi == 0) {
    ++counters.rx_malformed;
    return;
  }
  auto chosen = validate_selected_proposal(sa_p->proposals, sa.offered, ProposalKind::IkeSaInit);
  if (!chosen || chosen_ke_group(*chosen) != sa.ke->group() || ke_p->group != sa.ke->group()) {
    event(EventKind::IkeSaFailed, &sa, "responder chose an IKE proposal we did not offer");
    kill(sa, false);
    return;
  }
  auto g_ir = sa.ke->derive(ke_p->data);
  if (!g_ir) {
    ++counters.rx_malformed;
    return;
  }
  sa.spi_r = msg.header.responder_spi;
  sa.nr = nr_p->data;
  sa.init_response = d.bytes;
  sa.peer_fragmentation = msg.find_notify(NotifyType::Ikev2FragmentationSupported) != nullptr;
  note_signature_hashes(sa, msg.payloads);
  note_certreq(sa, msg.payloads);
  apply_nat_detection(sa, msg, d, *conn);
  auto keys = derive_ike_sa_keys(algorithms_of(*chosen), *g_ir, sa.ni, sa.nr, sa.spi_i, sa.spi_r);
  if (!keys) {
    event(EventKind::IkeSaFailed, &sa, "key derivation: " + keys.error().message);
    kill(sa, false);
    return;
  }
  sa.keys = std::move(*keys);
  sa.have_keys = true;
  sa.ke.reset();
  sa.outstanding.reset();
  // RFC 7296 2.23: with a NAT in the path, both sides continue on port 4500.
  if ((sa.nat_local || sa.nat_remote) && sa.remote.port == 500) {
    sa.local.port = 4500;
    sa.remote.port = 4500;
  }
  sa.state = IkeState::AuthSent;
  send_auth(sa, now);
}

}  // namespace portunus::ike
