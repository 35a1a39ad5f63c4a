// INFORMATIONAL (RFC 7296 1.4, 1.5): Delete of Child SAs and IKE SAs, liveness checks,
// and the answers to whatever the peer sends.
#include <algorithm>

#include "portunus/ike/engine_impl.h"

namespace portunus::ike {

using wire::NotifyType;

bool Engine::Impl::build_informational(IkeSa& sa, Task task, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  const bool minimal = conn && conn->minimal_initiator;
  std::vector<wire::Payload> p;
  switch (task.kind) {
    case TaskKind::DeleteChild: {
      std::vector<uint32_t> spis = task.delete_spis;
      if (spis.empty()) spis.push_back(task.old_spi_in);
      std::vector<uint32_t> known;
      for (uint32_t s : spis)
        if (ChildSa* c = sa.child_by_spi_in(s)) {
          c->state = ChildState::Deleting;
          known.push_back(s);
        }
      if (minimal) {
        // RFC 7815: we send no INFORMATIONAL requests; the SA just leaves the data plane.
        for (uint32_t s : known)
          if (ChildSa* c = sa.child_by_spi_in(s)) uninstall_child(sa, *c);
        std::erase_if(sa.children, [&](const ChildSa& c) {
          return std::find(known.begin(), known.end(), c.spi_in) != known.end();
        });
        return false;
      }
      task.delete_spis = spis;
      p.push_back(wire::DeletePayload{wire::ProtocolId::Esp, spis});
      break;
    }
    case TaskKind::DeleteIke:
      if (minimal) {
        kill(sa, true);
        return false;
      }
      sa.state = IkeState::Deleting;
      p.push_back(wire::DeletePayload{wire::ProtocolId::Ike, {}});
      break;
    case TaskKind::Dpd:
      if (minimal) return false;
      break;
    default:
      return false;
  }
  return send_request(sa, std::move(task), wire::ExchangeType::Informational, p, now);
}

void Engine::Impl::handle_informational_request(IkeSa& sa, const wire::Message& msg,
                                                const std::vector<wire::Payload>& inner, Instant now) {
  const uint32_t mid = msg.header.message_id;
  const ConnectionConfig* conn = connection(sa.connection);
  const bool minimal = conn && conn->minimal_initiator;
  bool delete_ike = false;
  std::vector<uint32_t> ours;
  for (const auto& p : inner) {
    const auto* d = std::get_if<wire::DeletePayload>(&p);
    if (!d) continue;  // notifies and anything else: status information only (unknown ones ignored)
    if (d->protocol == wire::ProtocolId::Ike) {
      delete_ike = true;
      continue;
    }
    if (d->protocol != wire::ProtocolId::Esp) continue;
    // Sent on an IKE SA we have rekeyed meanwhile: the Child SAs are on the new one.
    IkeSa& holder = child_holder(sa);
    for (uint32_t spi : d->spis) {
      ChildSa* c = holder.child_by_spi_out(spi);
      if (!c) continue;
      // 1.4.1: answer with our SPIs, except for SAs we are deleting ourselves already.
      if (c->state != ChildState::Deleting) ours.push_back(c->spi_in);
      // Our rekey of it is outstanding and collided with the peer's, which has finished and
      // replaced it: keep the collision for when our response arrives (2.8.1).
      if (c->state == ChildState::Rekeying && c->collision && holder.outstanding &&
          holder.outstanding->task.kind == TaskKind::RekeyChild &&
          holder.outstanding->task.old_spi_in == c->spi_in)
        holder.outstanding->task.collision = c->collision;
      uninstall_child(holder, *c);
      const uint32_t gone = c->spi_in;
      std::erase_if(holder.children, [&](const ChildSa& x) { return x.spi_in == gone; });
    }
    touch(holder);
  }
  // RFC 7296 2.21.2: an initiator that refused our IKE_AUTH answer reports it in an
  // INFORMATIONAL request; the IKE SA (and the Child SA from IKE_AUTH) must go.
  if (!delete_ike && find_notify(inner, NotifyType::AuthenticationFailed)) {
    ++counters.auth_failed;
    send_response(sa, wire::ExchangeType::Informational, mid, {});
    event(EventKind::IkeSaFailed, &sa,
          "peer refused our authentication (AUTHENTICATION_FAILED), IKE_SA deleted");
    IkeSa& holder = child_holder(sa);
    kill(sa, true);
    if (&holder != &sa) pump(holder, now);
    return;
  }
  std::vector<wire::Payload> out;
  if (!ours.empty() && !delete_ike && !minimal)
    out.push_back(wire::DeletePayload{wire::ProtocolId::Esp, ours});
  send_response(sa, wire::ExchangeType::Informational, mid, out);
  if (delete_ike) {
    // RFC 7296 2.8.2: the peer finished its rekey of this SA without seeing ours and now
    // deletes the old SA; our rekey is forgotten and the Child SAs go to the peer's new SA.
    if (sa.rekey_collision && !sa.rekeyed)
      if (IkeSa* theirs = find(sa.rekey_collision->created); theirs && theirs->state == IkeState::Established)
        move_to_rekeyed(sa, *theirs, now);
    if (!sa.rekeyed) event(EventKind::IkeSaDeleted, &sa, "IKE_SA deleted by peer");
    IkeSa& holder = child_holder(sa);
    kill(sa, true);
    if (&holder != &sa) pump(holder, now);  // a Delete that kill() handed over
    // We won a rekey collision and the peer has now deleted its redundant SA: the old SA,
    // kept so far for the peer's retransmissions, goes now.
    if (IkeSa* old = sa.delete_when_gone ? find(sa.delete_when_gone) : nullptr;
        old && old->state == IkeState::Established && old->rekeyed) {
      Task del;
      del.kind = TaskKind::DeleteIke;
      enqueue(*old, std::move(del), now);
    }
  }
}

void Engine::Impl::handle_informational_response(IkeSa& sa, Task& task,
                                                 const std::vector<wire::Payload>& inner, Instant now) {
  (void)inner;
  switch (task.kind) {
    case TaskKind::DeleteChild: {
      // The IKE SA may have been rekeyed while the Delete was out; the Child SAs then moved.
      IkeSa& holder = child_holder(sa);
      for (uint32_t s : task.delete_spis) {
        ChildSa* c = holder.child_by_spi_in(s);
        if (!c) continue;
        uninstall_child(holder, *c);
        std::erase_if(holder.children, [&](const ChildSa& x) { return x.spi_in == s; });
      }
      touch(holder);
      break;
    }
    case TaskKind::DeleteIke: {
      if (!sa.rekeyed) event(EventKind::IkeSaDeleted, &sa, "IKE_SA deleted");
      IkeSa& holder = child_holder(sa);
      kill(sa, true);
      if (&holder != &sa) pump(holder, now);
      break;
    }
    default:
      break;  // liveness confirmed (last_inbound was updated)
  }
}

}  // namespace portunus::ike
