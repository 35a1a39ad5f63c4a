// CREATE_CHILD_SA (RFC 7296 1.3): additional Child SAs with optional PFS, Child SA rekey
// (make-before-break, collisions by the lowest-nonce rule of 2.8.1) and IKE SA rekey
// (2.18, the Child SAs move to the new IKE SA).
#include <algorithm>
#include <cstring>

#include "portunus/ike/engine_impl.h"
#include "portunus/ike/proposal_select.h"
#include "portunus/ike/ts_narrowing.h"

namespace portunus::ike {

using wire::NotifyType;

namespace {

// Nonces compared as unsigned big-endian strings (shorter first on a common prefix).
bool nonce_less(BytesView a, BytesView b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  return c < 0 || (c == 0 && a.size() < b.size());
}

Bytes group_bytes(crypto::KeGroup g) {
  Bytes b(2);
  store_be16(b.data(), static_cast<uint16_t>(g));
  return b;
}

std::vector<wire::Proposal> ike_offer(const ConnectionConfig& conn, uint64_t spi) {
  auto out = conn.ike_proposals;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].number = static_cast<uint8_t>(i + 1);
    out[i].protocol = wire::ProtocolId::Ike;
    out[i].spi = spi8(spi);
  }
  return out;
}

bool offers_group(const std::vector<wire::Proposal>& ps, crypto::KeGroup g) {
  for (const auto& p : ps)
    for (const auto& t : p.transforms)
      if (t.type == crypto::TransformType::Ke && t.id == static_cast<uint16_t>(g)) return true;
  return false;
}

}  // namespace

bool Engine::Impl::build_create_child(IkeSa& sa, Task task, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  if (!conn || conn->minimal_initiator) return false;
  std::vector<wire::Payload> p;
  task.nonce = random.bytes(kNonceSize);
  crypto::KeGroup group = crypto::KeGroup::None;

  if (task.kind == TaskKind::RekeyIke) {
    if (sa.rekeyed) return false;
    task.new_ike_spi = fresh_spi();
    task.offered = ike_offer(*conn, task.new_ike_spi);
    // Keep the current group when still offered: saves an INVALID_KE_PAYLOAD round trip.
    group = task.ke_group != crypto::KeGroup::None          ? task.ke_group
            : offers_group(task.offered, sa.keys.alg.group) ? sa.keys.alg.group
                                                            : initial_ke_group(task.offered);
    sa.rekeying = true;
    p.push_back(wire::SaPayload{task.offered});
  } else {
    const ChildConfig* ch = child_config(*conn, task.child);
    ChildSa* old = nullptr;
    if (task.kind == TaskKind::RekeyChild) {
      old = sa.child_by_spi_in(task.old_spi_in);
      if (!old || old->state != ChildState::Installed) return false;
    }
    if (!ch) {
      event(EventKind::ChildSaFailed, &sa, "no child configuration '" + task.child + "'", task.child);
      return false;
    }
    task.new_spi_in = fresh_child_spi();
    task.offered = child_proposals(*ch, task.new_spi_in, true);
    group = task.ke_group != crypto::KeGroup::None ? task.ke_group : initial_ke_group(task.offered);
    if (old) {
      old->state = ChildState::Rekeying;
      old->collision.reset();
      task.tsi = old->local_ts;
      task.tsr = old->remote_ts;
      wire::NotifyPayload n = notify(NotifyType::RekeySa);
      n.protocol = static_cast<uint8_t>(wire::ProtocolId::Esp);
      n.spi = spi4(old->spi_in);
      p.push_back(n);
      if (old->mode == IpsecMode::Transport) p.push_back(notify(NotifyType::UseTransportMode));
    } else {
      propose_ts(sa, *ch, task);
      if (ch->mode == IpsecMode::Transport) p.push_back(notify(NotifyType::UseTransportMode));
    }
    p.push_back(wire::SaPayload{task.offered});
  }
  p.push_back(wire::NoncePayload{task.nonce});
  if (group != crypto::KeGroup::None) {
    auto ke = crypto::make_key_exchange(group, random);
    if (!ke) {
      event(EventKind::Info, &sa, "key exchange: " + ke.error().message);
      return false;
    }
    task.ke = std::move(*ke);
    p.push_back(wire::KePayload{group, task.ke->public_value()});
  }
  if (task.kind != TaskKind::RekeyIke) {
    p.push_back(wire::TsiPayload{task.tsi});
    p.push_back(wire::TsrPayload{task.tsr});
  }
  return send_request(sa, std::move(task), wire::ExchangeType::CreateChildSa, p, now);
}

Duration Engine::Impl::rekey_grace() const {
  // The whole retransmission budget of one request, at least two maximal timeouts: a peer
  // still retransmitting its rekey request on the old SA gets its cached answer meanwhile.
  const auto& r = config.retransmit;
  Duration total{0};
  Duration t = r.timeout;
  for (uint32_t i = 0; i <= r.tries; ++i) {
    total += std::min(t, Duration(r.max_timeout));
    t = std::chrono::duration_cast<Duration>(t * r.base);
  }
  return std::max(total, std::chrono::duration_cast<Duration>(r.max_timeout * 2));
}

IkeSa& Engine::Impl::create_rekeyed_ike(IkeSa& old, bool initiator, uint64_t spi_i, uint64_t spi_r,
                                        IkeSaKeys keys, Instant now) {
  IkeSa& n = create_sa(old.connection, initiator, now);
  n.spi_i = spi_i;
  n.spi_r = spi_r;
  register_spi(n, n.our_spi());
  n.local = old.local;
  n.remote = old.remote;
  n.local_id = old.local_id;
  n.remote_id = old.remote_id;
  n.nat_local = old.nat_local;
  n.nat_remote = old.nat_remote;
  n.peer_supports_nat_t = old.peer_supports_nat_t;
  n.peer_fragmentation = old.peer_fragmentation;
  n.keys = std::move(keys);
  n.have_keys = true;
  n.state = IkeState::Established;
  n.established = now;
  schedule_rekey(n, now);
  const ConnectionConfig* conn = connection(n.connection);
  if (n.nat_local && conn) n.keepalive_at = now + conn->keepalive_interval;
  if (config.export_keys) {
    KeyExport k;
    k.ike_sa = n.id;
    k.spi_i = spi8(n.spi_i);
    k.spi_r = spi8(n.spi_r);
    k.sk_ei = n.keys.sk_ei;
    k.sk_er = n.keys.sk_er;
    k.sk_ai = n.keys.sk_ai;
    k.sk_ar = n.keys.sk_ar;
    k.encr = n.keys.alg.encr;
    k.encr_key_bits = n.keys.alg.encr_key_bits;
    k.integ = n.keys.alg.integ;
    key_exports.push_back(std::move(k));
  }
  touch(n);
  return n;
}

void Engine::Impl::move_to_rekeyed(IkeSa& old, IkeSa& n, Instant now) {
  for (auto& c : old.children) {
    // A Child SA rekey of ours still outstanding on the old SA finishes there (its response
    // is matched through child_holder); any other mid-exchange state is void.
    const bool ours_outstanding = old.outstanding && old.outstanding->task.kind == TaskKind::RekeyChild &&
                                  old.outstanding->task.old_spi_in == c.spi_in;
    if (c.state == ChildState::Rekeying && !ours_outstanding) c.state = ChildState::Installed;
    n.children.push_back(std::move(c));
  }
  old.children.clear();
  // Child work queued on the old SA continues on the new one.
  for (auto it = old.queue.begin(); it != old.queue.end();) {
    if (it->kind == TaskKind::CreateChild || it->kind == TaskKind::RekeyChild ||
        it->kind == TaskKind::DeleteChild) {
      n.queue.push_back(std::move(*it));
      it = old.queue.erase(it);
    } else {
      ++it;
    }
  }
  if (n.rekeyed) {
    // A collision's provisional SA becomes the real one: its own lifetimes from now on.
    n.rekeyed = false;
    schedule_rekey(n, now);
  }
  n.successor = 0;
  n.delete_when_gone = 0;
  old.rekeyed = true;
  old.successor = n.id;
  old.rekeying = false;
  old.rekey_collision.reset();
  old.rekey_at.reset();
  old.dpd_at.reset();
  old.keepalive_at.reset();
  // If the peer never deletes the old SA, it goes by itself.
  old.expire_at = now + rekey_grace();
  event(EventKind::IkeSaRekeyed, &n,
        "IKE_SA " + n.connection + "[" + std::to_string(old.id) + "] rekeyed as [" + std::to_string(n.id) +
            "]");
  touch(old);
  touch(n);
}

IkeSa& Engine::Impl::adopt_rekeyed_ike(IkeSa& old, bool initiator, uint64_t spi_i, uint64_t spi_r,
                                       IkeSaKeys keys, Instant now) {
  IkeSa& n = create_rekeyed_ike(old, initiator, spi_i, spi_r, std::move(keys), now);
  move_to_rekeyed(old, n, now);
  return n;
}

void Engine::Impl::handle_create_child_request(IkeSa& sa, const wire::Message& msg,
                                               const std::vector<wire::Payload>& inner, Instant now) {
  const uint32_t mid = msg.header.message_id;
  const auto ex = wire::ExchangeType::CreateChildSa;
  auto answer_error = [&](NotifyType t, Bytes data = {}) {
    send_response(sa, ex, mid, {notify(t, std::move(data))});
  };
  const ConnectionConfig* conn = connection(sa.connection);
  const auto* sa_p = find_payload<wire::SaPayload>(inner);
  const auto* ni_p = find_payload<wire::NoncePayload>(inner);
  const auto* ke_p = find_payload<wire::KePayload>(inner);
  if (!conn || !sa_p || !ni_p || sa_p->proposals.empty() || ni_p->data.size() < 16 || ni_p->data.size() > 256)
    return answer_error(NotifyType::InvalidSyntax);
  if (sa.state != IkeState::Established || sa.rekeyed) return answer_error(NotifyType::TemporaryFailure);
  const Bytes nr = random.bytes(kNonceSize);

  // ---- IKE SA rekey ----
  if (sa_p->proposals.front().protocol == wire::ProtocolId::Ike) {
    // A second rekey request on an SA whose collision is pending: the window makes this a
    // confused peer, not a collision.
    if (sa.rekey_collision) return answer_error(NotifyType::TemporaryFailure);
    // Our own Child SA creation or rekey is outstanding on this SA: moving the Child SAs now
    // would leave its answer without a home if the peer then deletes this SA. Retried
    // later (2.25: TEMPORARY_FAILURE for a temporary condition such as a rekey).
    if (sa.outstanding && (sa.outstanding->task.kind == TaskKind::CreateChild ||
                           sa.outstanding->task.kind == TaskKind::RekeyChild))
      return answer_error(NotifyType::TemporaryFailure);
    SelectOptions opts;
    if (ke_p) opts.received_ke = ke_p->group;
    auto chosen = select_proposal(sa_p->proposals, ike_offer(*conn, 0), ProposalKind::IkeRekey, opts);
    if (!chosen) return answer_error(NotifyType::NoProposalChosen);
    const crypto::KeGroup group = chosen_ke_group(*chosen);
    if (!ke_p || ke_p->group != group) return answer_error(NotifyType::InvalidKePayload, group_bytes(group));
    if (chosen->spi.size() != 8) return answer_error(NotifyType::InvalidSyntax);
    auto ke = crypto::make_key_exchange(group, random);
    if (!ke) return answer_error(NotifyType::NoProposalChosen);
    auto g_ir = (*ke)->derive(ke_p->data);
    if (!g_ir) return answer_error(NotifyType::InvalidSyntax);
    const uint64_t peer_spi = load_be64(chosen->spi.data());
    const uint64_t our_spi = fresh_spi();
    auto keys = derive_rekeyed_ike_sa_keys(algorithms_of(*chosen), sa.keys.alg.prf, sa.keys.sk_d, *g_ir,
                                           ni_p->data, nr, peer_spi, our_spi);
    if (!keys) return answer_error(NotifyType::NoProposalChosen);
    chosen->spi = spi8(our_spi);
    send_response(
        sa, ex, mid,
        {wire::SaPayload{{*chosen}}, wire::NoncePayload{nr}, wire::KePayload{group, (*ke)->public_value()}});
    if (!sa.rekeying) {
      adopt_rekeyed_ike(sa, false, peer_spi, our_spi, std::move(*keys), now);
      return;
    }
    // Simultaneous IKE SA rekey (2.8.2, 2.25.2): answered as usual, but which of the two new
    // SAs inherits the Child SAs is decided by the nonces once our own response arrives.
    // Until then the new SA is marked rekeyed: no new work starts on it.
    IkeSa& n = create_rekeyed_ike(sa, false, peer_spi, our_spi, std::move(*keys), now);
    n.rekeyed = true;
    n.expire_at = now + rekey_grace() * 2;
    sa.rekey_collision = IkeSa::RekeyCollision{ni_p->data, nr, n.id};
    event(EventKind::Info, &sa,
          "IKE_SA rekey collision: peer's rekey answered as [" + std::to_string(n.id) + "]");
    return;
  }

  // ---- Child SA: new or rekey ----
  const ChildConfig* fixed = nullptr;
  ChildSa* old = nullptr;
  if (const auto* rk = find_notify(inner, NotifyType::RekeySa)) {
    if (rk->spi.size() == 4) old = sa.child_by_spi_out(load_be32(rk->spi.data()));
    if (!old) return answer_error(NotifyType::ChildSaNotFound);
    // 2.25.1: a rekey of a Child SA we are closing is refused for now; our Delete follows.
    if (old->state == ChildState::Deleting) return answer_error(NotifyType::TemporaryFailure);
    // Our rekey of it already completed: the peer's is redundant (2.8.1, 2.25).
    if (old->state == ChildState::Rekeyed) return answer_error(NotifyType::TemporaryFailure);
    fixed = child_config(*conn, old->name);
    if (!fixed) return answer_error(NotifyType::NoProposalChosen);
  } else if (conn->no_additional_sas || sa.children.size() >= kMaxChildrenPerIkeSa) {
    return answer_error(NotifyType::NoAdditionalSas);
  }
  auto offer = child_offer(inner);
  std::optional<crypto::KeGroup> received;
  if (ke_p) received = ke_p->group;
  auto answer = answer_child(sa, *conn, offer, fixed, true, received);
  if (!answer) return answer_error(answer.error());
  const crypto::KeGroup group = chosen_ke_group(answer->chosen);
  SecureBytes g_ir;
  std::unique_ptr<crypto::KeyExchange> ke;
  if (group != crypto::KeGroup::None) {
    if (!ke_p || ke_p->group != group) return answer_error(NotifyType::InvalidKePayload, group_bytes(group));
    auto made = crypto::make_key_exchange(group, random);
    if (!made) return answer_error(NotifyType::NoProposalChosen);
    ke = std::move(*made);
    auto shared = ke->derive(ke_p->data);
    if (!shared) return answer_error(NotifyType::InvalidSyntax);
    g_ir = std::move(*shared);
  }
  std::optional<ChildSa> old_copy;
  if (old) old_copy = *old;
  const bool transport = old ? offer.transport && old->mode == IpsecMode::Transport : answer->transport;
  ChildSa* c =
      install_answered_child(sa, *answer, old ? old->reqid : reqid_for(*conn, *answer->cfg), transport, g_ir,
                             ni_p->data, nr, !offer.tfc_unsupported, old_copy ? &*old_copy : nullptr, now);
  if (!c) return answer_error(NotifyType::NoProposalChosen);
  const uint32_t spi_in = c->spi_in;
  if (old_copy) {
    old = sa.child_by_spi_in(old_copy->spi_in);  // the vector may have moved
    if (old && old->state == ChildState::Rekeying) {
      old->collision = ChildSa::Collision{ni_p->data, nr, spi_in};
    } else if (old) {
      // The peer replaces it and will delete it; if it never does, the old SA expires.
      old->state = ChildState::Rekeyed;
      old->rekey_at.reset();
      old->expire_at = now + std::chrono::duration_cast<Duration>(config.retransmit.max_timeout * 2);
    }
  }
  std::vector<wire::Payload> out;
  if (transport) out.push_back(notify(NotifyType::UseTransportMode));
  out.push_back(wire::SaPayload{{answer->chosen}});
  out.push_back(wire::NoncePayload{nr});
  if (ke) out.push_back(wire::KePayload{group, ke->public_value()});
  out.push_back(wire::TsiPayload{answer->tsi});
  out.push_back(wire::TsrPayload{answer->tsr});
  send_response(sa, ex, mid, out);
}

void Engine::Impl::handle_create_child_response(IkeSa& sa, Task& task,
                                                const std::vector<wire::Payload>& inner, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  const auto* err = first_error(inner);
  const auto* sa_p = find_payload<wire::SaPayload>(inner);
  const auto* nr_p = find_payload<wire::NoncePayload>(inner);
  const auto* ke_p = find_payload<wire::KePayload>(inner);

  auto retry_with_group = [&]() -> bool {
    if (!err || err->type != NotifyType::InvalidKePayload || err->data.size() != 2) return false;
    const auto requested = static_cast<crypto::KeGroup>(load_be16(err->data.data()));
    const crypto::KeGroup used = task.ke ? task.ke->group() : crypto::KeGroup::None;
    if (!ke_retry_acceptable(task.offered, requested, used)) return false;
    Task again;
    again.kind = task.kind;
    again.child = task.child;
    again.reqid = task.reqid;
    again.trigger_src = task.trigger_src;
    again.trigger_dst = task.trigger_dst;
    again.old_spi_in = task.old_spi_in;
    again.ke_group = requested;
    sa.queue.push_front(std::move(again));
    return true;
  };

  if (task.kind == TaskKind::RekeyIke) {
    sa.rekeying = false;
    // The peer's colliding rekey, if we answered one meanwhile (2.8.2).
    std::optional<IkeSa::RekeyCollision> col = std::exchange(sa.rekey_collision, std::nullopt);
    IkeSa* theirs = col ? find(col->created) : nullptr;
    if (theirs && theirs->state != IkeState::Established) theirs = nullptr;
    if (err || !sa_p || !nr_p || !ke_p || !task.ke || !conn) {
      if (theirs) {
        // The peer finished its rekey before it saw ours (or refused ours): its SA is the
        // only new one; it deletes the old SA.
        event(EventKind::Info, &sa, "IKE_SA rekey collision: peer's rekey completed first");
        move_to_rekeyed(sa, *theirs, now);
        return;
      }
      if (!retry_with_group()) {
        event(EventKind::Info, &sa,
              "IKE_SA rekey failed: " + (err ? wire::name(err->type) : std::string("incomplete response")) +
                  ", retrying later");
        sa.rekey_at = now + std::chrono::seconds(10) + jitter(std::chrono::seconds(10));
      }
      return;
    }
    auto chosen = validate_selected_proposal(sa_p->proposals, task.offered, ProposalKind::IkeRekey);
    auto g_ir = chosen && chosen->spi.size() == 8 && chosen_ke_group(*chosen) == task.ke->group() &&
                        ke_p->group == task.ke->group()
                    ? task.ke->derive(ke_p->data)
                    : Result<SecureBytes>(make_error("responder's choice is not what we offered"));
    Result<IkeSaKeys> keys = make_error("no shared secret");
    if (g_ir)
      keys =
          derive_rekeyed_ike_sa_keys(algorithms_of(*chosen), sa.keys.alg.prf, sa.keys.sk_d, *g_ir, task.nonce,
                                     nr_p->data, task.new_ike_spi, load_be64(chosen->spi.data()));
    if (!keys) {
      event(EventKind::Info, &sa, "IKE_SA rekey: " + keys.error().message);
      if (theirs) {
        move_to_rekeyed(sa, *theirs, now);  // ours is unusable; the peer's survives
        return;
      }
      sa.rekey_at = now + std::chrono::seconds(10);
      return;
    }
    IkeSa& mine =
        create_rekeyed_ike(sa, true, task.new_ike_spi, load_be64(chosen->spi.data()), std::move(*keys), now);
    // 2.8.2: of the two new IKE SAs, the one made with the lowest of the four nonces is
    // redundant and deleted by its creator; the other inherits the Child SAs, and its
    // creator deletes the old SA. Both ends see the same nonces, so they agree.
    BytesView lowest_ours =
        nonce_less(task.nonce, nr_p->data) ? BytesView(task.nonce) : BytesView(nr_p->data);
    const bool ours_redundant =
        col &&
        nonce_less(lowest_ours, nonce_less(col->ni, col->nr) ? BytesView(col->ni) : BytesView(col->nr));
    if (ours_redundant && !theirs)
      // The peer's SA, which should survive, is already gone here (it expired): keep ours.
      event(EventKind::Info, &sa, "IKE_SA rekey collision: the peer's new IKE_SA is gone, keeping ours");
    if (ours_redundant && theirs) {
      event(EventKind::Info, &mine,
            "IKE_SA rekey collision lost: deleting redundant IKE_SA [" + std::to_string(mine.id) + "]");
      move_to_rekeyed(sa, *theirs, now);  // the peer deletes the old SA
      mine.rekeyed = true;
      mine.rekey_at.reset();
      mine.expire_at = now + rekey_grace();
      Task del;
      del.kind = TaskKind::DeleteIke;
      enqueue(mine, std::move(del), now);
      return;
    }
    move_to_rekeyed(sa, mine, now);
    if (col && !ours_redundant && !theirs)
      event(EventKind::Info, &sa,
            "IKE_SA rekey collision won: the peer already deleted its redundant IKE_SA");
    if (col && theirs) {
      // Won: the peer deletes its SA; only then do we delete the old one, on which the peer
      // may still be retransmitting its rekey request (it learns the outcome from our answer).
      event(
          EventKind::Info, &sa,
          "IKE_SA rekey collision won: waiting for the peer to delete [" + std::to_string(theirs->id) + "]");
      theirs->delete_when_gone = sa.id;
      theirs->rekey_at.reset();
      theirs->expire_at = now + rekey_grace();
      touch(*theirs);
      return;
    }
    // The initiator of the rekey deletes the old IKE SA (2.18).
    Task del;
    del.kind = TaskKind::DeleteIke;
    sa.queue.push_front(std::move(del));
    return;
  }

  // The IKE SA may have been rekeyed while this exchange was out: the Child SAs moved to
  // its successor, and so does whatever this response creates or deletes.
  IkeSa& h = child_holder(sa);
  // Work queued on the holder starts when this returns (the caller pumps only `sa`).
  struct PumpHolder {
    Engine::Impl& engine;
    IkeSa *sa, *holder;
    Instant now;
    ~PumpHolder() {
      if (holder != sa && holder->state == IkeState::Established) engine.pump(*holder, now);
    }
  } pump_holder{*this, &sa, &h, now};
  ChildSa* old = task.kind == TaskKind::RekeyChild ? h.child_by_spi_in(task.old_spi_in) : nullptr;
  if (err || !sa_p || !nr_p) {
    child_spis.erase(task.new_spi_in);
    if (old && old->state == ChildState::Rekeying) {
      if (old->collision) {
        // The peer's rekey of the same SA went through; it deletes the old one.
        old->state = ChildState::Rekeyed;
        old->collision.reset();
        return;
      }
      old->state = ChildState::Installed;
    }
    if (retry_with_group()) return;
    if (old && err && err->type == NotifyType::ChildSaNotFound) {
      uninstall_child(h, *old);
      std::erase_if(h.children, [&](const ChildSa& c) { return c.spi_in == task.old_spi_in; });
      return;
    }
    if (old) old->rekey_at = now + std::chrono::seconds(10) + jitter(std::chrono::seconds(10));
    event(EventKind::ChildSaFailed, &sa,
          "CHILD_SA " + task.child + " " + (old ? "rekey" : "creation") +
              " failed: " + (err ? wire::name(err->type) : std::string("incomplete response")),
          task.child);
    return;
  }
  const ChildConfig* ch = conn ? child_config(*conn, task.child) : nullptr;
  auto offer = child_offer(inner);
  auto chosen = validate_selected_proposal(sa_p->proposals, task.offered, ProposalKind::ChildSa);
  bool ok = chosen && ch && offer.tsi && offer.tsr && reply_within(offer.tsi->selectors, task.tsi) &&
            reply_within(offer.tsr->selectors, task.tsr);
  SecureBytes g_ir;
  if (ok && chosen_ke_group(*chosen) != crypto::KeGroup::None) {
    ok = task.ke && ke_p && ke_p->group == task.ke->group() && chosen_ke_group(*chosen) == task.ke->group();
    if (ok) {
      auto shared = task.ke->derive(ke_p->data);
      ok = shared.has_value();
      if (ok) g_ir = std::move(*shared);
    }
  }
  ChildSa* c = nullptr;
  std::optional<ChildSa> old_copy;
  if (old) old_copy = *old;
  if (ok) {
    const bool transport = offer.transport && (old_copy ? old_copy->mode : ch->mode) == IpsecMode::Transport;
    c = install_child(h, ch, ch->name, task.reqid, *chosen, task.new_spi_in, load_be32(chosen->spi.data()),
                      transport, offer.tsi->selectors, offer.tsr->selectors, g_ir, task.nonce, nr_p->data,
                      true, !offer.tfc_unsupported, old_copy ? &*old_copy : nullptr, now);
  } else {
    event(EventKind::ChildSaFailed, &sa, "CHILD_SA " + task.child + ": unacceptable response", task.child);
  }
  if (!c) {
    // The peer installed its half; ask it to delete that.
    Task del;
    del.kind = TaskKind::DeleteChild;
    del.delete_spis = {task.new_spi_in};
    h.queue.push_front(std::move(del));
    if (old_copy)
      if (ChildSa* o = h.child_by_spi_in(old_copy->spi_in)) o->state = ChildState::Installed;
    return;
  }
  if (task.kind != TaskKind::RekeyChild) return;
  old = old_copy ? h.child_by_spi_in(old_copy->spi_in) : nullptr;
  // The peer's colliding rekey, recorded on the old SA, or on the task if the peer already
  // deleted the old SA (its rekey finished first).
  std::optional<ChildSa::Collision> col = old ? old->collision : task.collision;
  if (old) old->collision.reset();
  Task del;
  del.kind = TaskKind::DeleteChild;
  if (col) {
    // 2.8.1: the SA created with the lowest of the four nonces is deleted by its creator.
    BytesView lowest_ours =
        nonce_less(task.nonce, nr_p->data) ? BytesView(task.nonce) : BytesView(nr_p->data);
    BytesView lowest_theirs = nonce_less(col->ni, col->nr) ? BytesView(col->ni) : BytesView(col->nr);
    if (nonce_less(lowest_ours, lowest_theirs)) {
      // Ours is redundant: delete the SA we just made; the peer deletes the old one.
      del.delete_spis = {task.new_spi_in};
      if (ChildSa* mine = h.child_by_spi_in(task.new_spi_in)) mine->state = ChildState::Deleting;
      if (old) {
        old->state = ChildState::Rekeyed;
        old->expire_at = now + std::chrono::duration_cast<Duration>(config.retransmit.max_timeout * 2);
      }
      h.queue.push_front(std::move(del));
      return;
    }
  }
  if (!old) return;  // deleted by the peer meanwhile
  old->state = ChildState::Deleting;
  del.old_spi_in = old->spi_in;
  h.queue.push_front(std::move(del));
}

}  // namespace portunus::ike
