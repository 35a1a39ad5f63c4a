// IKE_AUTH (RFC 7296 1.2, 2.15) with the first Child SA, in both roles. Authentication
// goes through the Authenticator interface (auth_psk.h): PSK today, signatures later.
#include <algorithm>

#include "portunus/ike/auth_psk.h"
#include "portunus/ike/engine_impl.h"
#include "portunus/ike/proposal_select.h"
#include "portunus/ike/ts_narrowing.h"

namespace portunus::ike {

using wire::NotifyType;

namespace {

Result<Identity> configured_identity(const std::string& text) {
  if (text.empty() || text == "%any" || text == "%any6") return Identity{};
  return parse_identity(text);
}

// ID payload body exactly as signed: ID Type | RESERVED (zero) | data.
template <class IdPayload>
Bytes id_body(const IdPayload& p) {
  Bytes b{static_cast<uint8_t>(p.id_type), 0, 0, 0};
  b.insert(b.end(), p.data.begin(), p.data.end());
  return b;
}

}  // namespace

Result<Identity> Engine::Impl::local_identity(const IkeSa& sa, const ConnectionConfig& conn) const {
  auto id = configured_identity(conn.local.id);
  if (!id) return id;
  if (!id->is_any()) return id;
  // Default: our IP address (RFC 7296 3.5 ID_IPV4_ADDR / ID_IPV6_ADDR).
  Identity ip;
  ip.type = sa.local.addr.is_v4() ? IdType::Ipv4Addr : IdType::Ipv6Addr;
  ip.data.assign(sa.local.addr.bytes().begin(), sa.local.addr.bytes().end());
  return ip;
}

// The secret for a pair of identities: the entry naming the most of the two wins, an entry
// without ids matches any pair (swanctl secrets semantics, simplified).
const SharedSecret* Engine::Impl::find_secret(const Identity& local, const Identity& remote) const {
  const SharedSecret* best = nullptr;
  int best_score = -1;
  for (const auto& s : config.secrets) {
    int score = 0;
    bool any_match = s.ids.empty();
    for (const auto& text : s.ids) {
      auto id = configured_identity(text);
      if (!id) continue;
      if (id->is_any()) {
        any_match = true;
        continue;
      }
      if (*id == local) {
        any_match = true;
        score += 1;
      }
      if (identity_matches(*id, remote)) {
        any_match = true;
        score += 2;
      }
    }
    if (any_match && score > best_score) {
      best = &s;
      best_score = score;
    }
  }
  return best;
}

namespace {

std::unique_ptr<Authenticator> make_authenticator(const PeerAuthConfig& side, crypto::PrfId prf,
                                                  const SharedSecret* secret) {
  if (side.auth != AuthClass::Psk || !secret) return nullptr;
  return std::make_unique<PskAuthenticator>(prf, secret->secret);
}

}  // namespace

void Engine::Impl::send_auth(IkeSa& sa, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  auto fail = [&](std::string why) {
    event(EventKind::IkeSaFailed, &sa, std::move(why));
    kill(sa, false);
  };
  if (!conn) return fail("connection removed");
  // The first queued child negotiation rides in IKE_AUTH (RFC 7296 1.2).
  Task task;
  auto it = std::find_if(sa.queue.begin(), sa.queue.end(),
                         [](const Task& t) { return t.kind == TaskKind::CreateChild; });
  if (it != sa.queue.end()) {
    task = std::move(*it);
    sa.queue.erase(it);
  }
  task.kind = TaskKind::Auth;
  const ChildConfig* ch = child_config(*conn, task.child);
  if (!ch) return fail("no child configuration for IKE_AUTH");

  auto local = local_identity(sa, *conn);
  if (!local) return fail("local identity: " + local.error().message);
  auto remote = configured_identity(conn->remote.id);
  if (!remote) return fail("remote identity: " + remote.error().message);
  sa.local_id = *local;
  const SharedSecret* secret = find_secret(*local, *remote);
  auto auth = make_authenticator(conn->local, sa.keys.alg.prf, secret);
  if (!auth) return fail("no usable authentication for the local side (missing secret?)");
  auto idi = id_payload<wire::IdiPayload>(*local);
  auto octets = signed_octets(sa.keys.alg.prf, sa.init_request, sa.nr, sa.keys.sk_pi, id_body(idi));
  if (!octets) return fail("AUTH: " + octets.error().message);
  auto data = auth->sign(*octets);
  if (!data) return fail("AUTH: " + data.error().message);

  task.new_spi_in = fresh_child_spi();
  task.offered = child_proposals(*ch, task.new_spi_in, false);
  propose_ts(sa, *ch, task);

  std::vector<wire::Payload> p;
  p.push_back(idi);
  if (conn->send_initial_contact) p.push_back(notify(NotifyType::InitialContact));
  if (!remote->is_any()) p.push_back(id_payload<wire::IdrPayload>(*remote));
  p.push_back(wire::AuthPayload{auth->method(), std::move(*data)});
  if (ch->mode == IpsecMode::Transport) p.push_back(notify(NotifyType::UseTransportMode));
  p.push_back(wire::SaPayload{task.offered});
  p.push_back(wire::TsiPayload{task.tsi});
  p.push_back(wire::TsrPayload{task.tsr});
  if (!send_request(sa, std::move(task), wire::ExchangeType::IkeAuth, p, now)) fail("cannot send IKE_AUTH");
}

void Engine::Impl::established(IkeSa& sa, Instant now) {
  sa.state = IkeState::Established;
  sa.established = now;
  if (sa.counted_half_open) {
    half_open.closed(sa.remote.addr);
    sa.counted_half_open = false;
  }
  sa.half_open_until.reset();
  // The by_init entry stays until the SA dies: a late copy of the IKE_SA_INIT request (the
  // network duplicated and delayed it) must still be recognised as a retransmission, not
  // open a second half-open SA (RFC 7296 2.1). finish() removes it with the SA.
  ++counters.ike_sa_established;
  const ConnectionConfig* conn = connection(sa.connection);
  schedule_rekey(sa, now);
  if (sa.nat_local && conn) sa.keepalive_at = now + conn->keepalive_interval;
  char spis[48];
  snprintf(spis, sizeof spis, "%016llx_i %016llx_r", static_cast<unsigned long long>(sa.spi_i),
           static_cast<unsigned long long>(sa.spi_r));
  event(EventKind::IkeSaEstablished, &sa,
        "IKE_SA " + sa.connection + "[" + std::to_string(sa.id) + "] established between " +
            sa.local.addr.to_string() + "[" + to_string(sa.local_id) + "]..." + sa.remote.addr.to_string() +
            "[" + to_string(sa.remote_id) + "] SPIs " + spis +
            (sa.nat_local || sa.nat_remote ? " (NAT-T)" : ""));
  if (config.export_keys) {
    KeyExport k;
    k.ike_sa = sa.id;
    k.spi_i = spi8(sa.spi_i);
    k.spi_r = spi8(sa.spi_r);
    k.sk_ei = sa.keys.sk_ei;
    k.sk_er = sa.keys.sk_er;
    k.sk_ai = sa.keys.sk_ai;
    k.sk_ar = sa.keys.sk_ar;
    k.encr = sa.keys.alg.encr;
    k.encr_key_bits = sa.keys.alg.encr_key_bits;
    k.integ = sa.keys.alg.integ;
    key_exports.push_back(std::move(k));
  }
  touch(sa);
}

void Engine::Impl::forget_init_material(IkeSa& sa) {
  // The IKE_SA_INIT messages and nonces are only needed for AUTH and the first Child SA.
  sa.init_request = Bytes{};
  sa.init_response = Bytes{};
  sa.ni = Bytes{};
  sa.nr = Bytes{};
  sa.cookie = Bytes{};
  sa.offered = {};
  // SK_pi / SK_pr only authenticate IKE_AUTH.
  sa.keys.sk_pi = SecureBytes{};
  sa.keys.sk_pr = SecureBytes{};
}

// INITIAL_CONTACT (RFC 7296 2.4): the peer has no other SAs with us; older IKE SAs of the
// same connection and peer identity are stale and go silently.
void Engine::Impl::drop_duplicates(IkeSa& sa) {
  for (auto& [id, other] : sas) {
    if (other.get() == &sa || other->state == IkeState::Dead || other->connection != sa.connection) continue;
    if (other->state != IkeState::Established || !(other->remote_id == sa.remote_id)) continue;
    event(EventKind::IkeSaDeleted, other.get(), "IKE_SA replaced (peer sent INITIAL_CONTACT)");
    kill(*other, true);
  }
}

void Engine::Impl::handle_auth_request(IkeSa& sa, const wire::Message& msg,
                                       const std::vector<wire::Payload>& inner, Instant now) {
  const uint32_t mid = msg.header.message_id;
  auto reject = [&](std::string why) {
    ++counters.auth_failed;
    event(EventKind::IkeSaFailed, &sa, "authentication failed: " + why);
    send_response(sa, wire::ExchangeType::IkeAuth, mid, {notify(NotifyType::AuthenticationFailed)});
    kill(sa, false);
  };
  const auto* idi = find_payload<wire::IdiPayload>(inner);
  const auto* idr = find_payload<wire::IdrPayload>(inner);
  const auto* authp = find_payload<wire::AuthPayload>(inner);
  if (!idi || !authp) return reject("IDi or AUTH missing");
  const Identity peer = identity_of(static_cast<uint8_t>(idi->id_type), idi->data);
  std::optional<Identity> wanted;
  if (idr) wanted = identity_of(static_cast<uint8_t>(idr->id_type), idr->data);

  // Pick the connection: the peer's identity (and the one it asks us to be) must fit.
  const ConnectionConfig* conn = nullptr;
  auto fits = [&](const ConnectionConfig& c) {
    auto rid = configured_identity(c.remote.id);
    if (!rid || !identity_matches(*rid, peer)) return false;
    if (wanted) {
      auto lid = local_identity(sa, c);
      if (!lid || !(*lid == *wanted)) return false;
    }
    return true;
  };
  if (const ConnectionConfig* cur = connection(sa.connection); cur && fits(*cur)) conn = cur;
  for (const auto& c : config.connections) {
    if (conn) break;
    const bool local_ok = c.local_addrs.empty() || std::find(c.local_addrs.begin(), c.local_addrs.end(),
                                                             sa.local.addr) != c.local_addrs.end();
    const bool remote_ok = c.remote_addrs.empty() || std::find(c.remote_addrs.begin(), c.remote_addrs.end(),
                                                               sa.remote.addr) != c.remote_addrs.end();
    if (local_ok && remote_ok && fits(c)) conn = &c;
  }
  if (!conn) return reject("no connection for peer identity " + to_string(peer));
  sa.connection = conn->name;
  sa.remote_id = peer;
  auto local = local_identity(sa, *conn);
  if (!local) return reject("local identity");
  sa.local_id = *local;

  const SharedSecret* secret = find_secret(*local, peer);
  auto verifier = make_authenticator(conn->remote, sa.keys.alg.prf, secret);
  if (!verifier) return reject("no secret for " + to_string(peer));
  auto peer_octets = signed_octets(sa.keys.alg.prf, sa.init_request, sa.nr, sa.keys.sk_pi, id_body(*idi));
  if (!peer_octets || !verifier->verify(authp->method, *peer_octets, authp->data))
    return reject("AUTH payload of " + to_string(peer) + " does not verify");

  auto signer = make_authenticator(conn->local, sa.keys.alg.prf, secret);
  auto idr_out = id_payload<wire::IdrPayload>(*local);
  auto our_octets = signed_octets(sa.keys.alg.prf, sa.init_response, sa.ni, sa.keys.sk_pr, id_body(idr_out));
  if (!signer || !our_octets) return reject("cannot sign");
  auto our_auth = signer->sign(*our_octets);
  if (!our_auth) return reject("cannot sign");

  if (find_notify(inner, NotifyType::InitialContact)) drop_duplicates(sa);

  std::vector<wire::Payload> out;
  out.push_back(idr_out);
  out.push_back(wire::AuthPayload{signer->method(), std::move(*our_auth)});
  established(sa, now);

  auto offer = child_offer(inner);
  auto answer = answer_child(sa, *conn, offer, nullptr, false, std::nullopt);
  if (!answer) {
    event(EventKind::ChildSaFailed, &sa, "CHILD_SA not created: " + wire::name(answer.error()));
    out.push_back(notify(answer.error()));
  } else {
    const uint32_t spi_in = fresh_child_spi();
    const uint32_t spi_out = answer->chosen.spi.size() == 4 ? load_be32(answer->chosen.spi.data()) : 0;
    answer->chosen.spi = spi4(spi_in);
    ChildSa* c = install_child(sa, answer->cfg, answer->cfg->name, reqid_for(*conn, *answer->cfg),
                               answer->chosen, spi_in, spi_out, answer->transport, answer->tsr, answer->tsi,
                               {}, sa.ni, sa.nr, false, !offer.tfc_unsupported, nullptr, now);
    if (!c) {
      child_spis.erase(spi_in);
      out.push_back(notify(NotifyType::NoProposalChosen));
    } else {
      if (answer->transport) out.push_back(notify(NotifyType::UseTransportMode));
      out.push_back(wire::SaPayload{{answer->chosen}});
      out.push_back(wire::TsiPayload{answer->tsi});
      out.push_back(wire::TsrPayload{answer->tsr});
    }
  }
  send_response(sa, wire::ExchangeType::IkeAuth, mid, out);
  forget_init_material(sa);
}

void Engine::Impl::handle_auth_response(IkeSa& sa, Task& task, const std::vector<wire::Payload>& inner,
                                        Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  auto fail = [&](std::string why) {
    ++counters.auth_failed;
    event(EventKind::IkeSaFailed, &sa, std::move(why));
    kill(sa, false);
  };
  if (!conn) return fail("connection removed");
  const auto* idr = find_payload<wire::IdrPayload>(inner);
  const auto* authp = find_payload<wire::AuthPayload>(inner);
  if (!idr || !authp) {
    const auto* err = first_error(inner);
    return fail("IKE_AUTH failed: " +
                (err ? "peer sent " + wire::name(err->type) : std::string("IDr/AUTH missing")));
  }
  const Identity peer = identity_of(static_cast<uint8_t>(idr->id_type), idr->data);
  auto rid = configured_identity(conn->remote.id);
  if (!rid || !identity_matches(*rid, peer))
    return fail("peer identity " + to_string(peer) + " not acceptable");
  sa.remote_id = peer;
  const SharedSecret* secret = find_secret(sa.local_id, peer);
  auto verifier = make_authenticator(conn->remote, sa.keys.alg.prf, secret);
  auto octets = signed_octets(sa.keys.alg.prf, sa.init_response, sa.ni, sa.keys.sk_pr, id_body(*idr));
  if (!verifier || !octets || !verifier->verify(authp->method, *octets, authp->data))
    return fail("AUTH payload of " + to_string(peer) + " does not verify");
  established(sa, now);

  const ChildConfig* ch = child_config(*conn, task.child);
  const auto* err = first_error(inner);
  auto offer = child_offer(inner);
  if (err || !offer.sa || !offer.tsi || !offer.tsr || !ch) {
    child_spis.erase(task.new_spi_in);
    event(
        EventKind::ChildSaFailed, &sa,
        "CHILD_SA " + task.child + " not created: " + (err ? wire::name(err->type) : std::string("no SA/TS")),
        task.child);
  } else {
    auto chosen = validate_selected_proposal(offer.sa->proposals, task.offered, ProposalKind::ChildSa);
    const bool ts_ok =
        reply_within(offer.tsi->selectors, task.tsi) && reply_within(offer.tsr->selectors, task.tsr);
    ChildSa* c = nullptr;
    if (chosen && ts_ok) {
      const bool transport = offer.transport && ch->mode == IpsecMode::Transport;
      c = install_child(sa, ch, ch->name, task.reqid, *chosen, task.new_spi_in, load_be32(chosen->spi.data()),
                        transport, offer.tsi->selectors, offer.tsr->selectors, {}, sa.ni, sa.nr, true,
                        !offer.tfc_unsupported, nullptr, now);
    } else {
      event(EventKind::ChildSaFailed, &sa,
            "CHILD_SA " + ch->name + ": responder's choice is not what we offered", ch->name);
    }
    if (!c) {
      // The peer installed it; tell it to delete (RFC 7296 2.9 / 1.4.1).
      Task del;
      del.kind = TaskKind::DeleteChild;
      del.delete_spis = {task.new_spi_in};
      sa.queue.push_front(std::move(del));
    }
  }
  forget_init_material(sa);
  pump(sa, now);
}

}  // namespace portunus::ike
