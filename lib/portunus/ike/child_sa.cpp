// Child SA negotiation pieces shared by IKE_AUTH and CREATE_CHILD_SA: proposing and
// answering selectors and proposals, key derivation and installation in the data plane.
#include "portunus/ike/engine_impl.h"
#include "portunus/ike/proposal_select.h"
#include "portunus/ike/ts_narrowing.h"

namespace portunus::ike {

namespace {

std::vector<ConfiguredTs> or_dynamic(const std::vector<ConfiguredTs>& ts) {
  if (!ts.empty()) return ts;
  ConfiguredTs d;
  d.dynamic = true;
  return {d};
}

}  // namespace

void Engine::Impl::propose_ts(const IkeSa& sa, const ChildConfig& ch, Task& task) const {
  auto local = resolve_dynamic(or_dynamic(ch.local_ts), sa.local.addr);
  auto remote = resolve_dynamic(or_dynamic(ch.remote_ts), sa.remote.addr);
  task.tsi.clear();
  task.tsr.clear();
  // RFC 7296 2.9: the selectors of the packet that triggered the SA go first.
  if (task.trigger_src && task.trigger_dst) {
    task.tsi.push_back(*task.trigger_src);
    task.tsr.push_back(*task.trigger_dst);
  }
  task.tsi.insert(task.tsi.end(), local.begin(), local.end());
  task.tsr.insert(task.tsr.end(), remote.begin(), remote.end());
}

std::vector<wire::Proposal> Engine::Impl::child_proposals(const ChildConfig& ch, uint32_t spi,
                                                          bool with_ke) const {
  std::vector<wire::Proposal> out = ch.esp_proposals;
  for (size_t i = 0; i < out.size(); ++i) {
    auto& p = out[i];
    p.number = static_cast<uint8_t>(i + 1);
    p.protocol = wire::ProtocolId::Esp;
    p.spi = spi4(spi);
    if (!with_ke)
      std::erase_if(p.transforms,
                    [](const wire::Transform& t) { return t.type == crypto::TransformType::Ke; });
  }
  return out;
}

Engine::Impl::ChildOffer Engine::Impl::child_offer(const std::vector<wire::Payload>& payloads) {
  ChildOffer o;
  o.sa = find_payload<wire::SaPayload>(payloads);
  o.tsi = find_payload<wire::TsiPayload>(payloads);
  o.tsr = find_payload<wire::TsrPayload>(payloads);
  o.transport = find_notify(payloads, wire::NotifyType::UseTransportMode) != nullptr;
  o.tfc_unsupported = find_notify(payloads, wire::NotifyType::EspTfcPaddingNotSupported) != nullptr;
  return o;
}

Expected<Engine::Impl::ChildAnswer, wire::NotifyType> Engine::Impl::answer_child(
    const IkeSa& sa, const ConnectionConfig& conn, const ChildOffer& offer, const ChildConfig* fixed_cfg,
    bool allow_ke, std::optional<crypto::KeGroup> received_ke) const {
  if (!offer.sa || !offer.tsi || !offer.tsr || offer.tsi->selectors.empty() || offer.tsr->selectors.empty())
    return Unexpected(wire::NotifyType::InvalidSyntax);
  std::vector<const ChildConfig*> candidates;
  if (fixed_cfg) {
    candidates.push_back(fixed_cfg);
  } else {
    for (const auto& ch : conn.children) candidates.push_back(&ch);
  }
  if (candidates.empty()) return Unexpected(wire::NotifyType::TsUnacceptable);
  std::vector<std::vector<wire::TrafficSelector>> remote_cfgs, local_cfgs;
  for (const auto* ch : candidates) {
    remote_cfgs.push_back(resolve_dynamic(or_dynamic(ch->remote_ts), sa.remote.addr));
    local_cfgs.push_back(resolve_dynamic(or_dynamic(ch->local_ts), sa.local.addr));
  }
  auto idx = select_by_trigger(offer.tsi->selectors, offer.tsr->selectors, remote_cfgs, local_cfgs);
  if (!idx) return Unexpected(wire::NotifyType::TsUnacceptable);
  auto narrowed = narrow(offer.tsi->selectors, offer.tsr->selectors, remote_cfgs[*idx], local_cfgs[*idx]);
  if (!narrowed) return Unexpected(wire::NotifyType::TsUnacceptable);
  const ChildConfig* ch = candidates[*idx];
  auto configured = child_proposals(*ch, 0, allow_ke);
  for (auto& p : configured) p.spi.clear();
  SelectOptions opts;
  opts.received_ke = received_ke;
  auto chosen = select_proposal(offer.sa->proposals, configured, ProposalKind::ChildSa, opts);
  if (!chosen) return Unexpected(wire::NotifyType::NoProposalChosen);
  ChildAnswer a;
  a.cfg = ch;
  a.chosen = std::move(*chosen);
  a.tsi = std::move(narrowed->tsi);
  a.tsr = std::move(narrowed->tsr);
  // We use transport mode only when both the peer asks for it and the child is configured so.
  a.transport = offer.transport && ch->mode == IpsecMode::Transport;
  return a;
}

ChildSa* Engine::Impl::install_child(IkeSa& sa, const ChildConfig* cfg, std::string name, uint32_t reqid,
                                     const wire::Proposal& chosen, uint32_t spi_in, uint32_t spi_out,
                                     bool transport, std::vector<wire::TrafficSelector> local_ts,
                                     std::vector<wire::TrafficSelector> remote_ts, BytesView g_ir,
                                     BytesView ni, BytesView nr, bool exchange_initiator, bool tfc_allowed,
                                     const ChildSa* replaces, Instant now) {
  const Algorithms esp = algorithms_of(chosen);
  auto keys = derive_child_keys(sa.keys.alg.prf, sa.keys.sk_d, g_ir, ni, nr, esp);
  if (!keys) {
    event(EventKind::ChildSaFailed, &sa, "CHILD_SA key derivation: " + keys.error().message, name);
    return nullptr;
  }
  ChildSaParams p;
  p.ike_sa_id = sa.id;
  p.connection = sa.connection;
  p.child = name;
  p.reqid = reqid;
  p.spi_in = spi_in;
  p.spi_out = spi_out;
  p.mode = transport ? IpsecMode::Transport : IpsecMode::Tunnel;
  p.encr = esp.encr;
  p.encr_key_bits = esp.encr_key_bits;
  p.integ = esp.integ;
  p.esn = esp.esn;
  // KEYMAT order (2.17): first the direction from the exchange initiator to the responder.
  p.out = exchange_initiator ? std::move(keys->i_to_r) : std::move(keys->r_to_i);
  p.in = exchange_initiator ? std::move(keys->r_to_i) : std::move(keys->i_to_r);
  p.local = sa.local;
  p.remote = sa.remote;
  p.udp_encap = sa.nat_local || sa.nat_remote;
  p.local_ts = local_ts;
  p.remote_ts = remote_ts;
  if (cfg) {
    p.lifetimes = cfg->lifetimes;
    p.replay_window = cfg->replay_window;
  }
  p.tfc_padding_allowed = tfc_allowed;
  if (replaces) {
    p.replaces_spi_in = replaces->spi_in;
    p.replaces_spi_out = replaces->spi_out;
  }
  auto r = installer.install_child_sa(p);
  if (!r) {
    event(EventKind::ChildSaFailed, &sa, "installing CHILD_SA failed: " + r.error().message, name);
    return nullptr;
  }
  ChildSa c;
  c.name = std::move(name);
  c.reqid = reqid;
  c.spi_in = spi_in;
  c.spi_out = spi_out;
  c.alg = esp;
  c.mode = p.mode;
  c.local_ts = std::move(local_ts);
  c.remote_ts = std::move(remote_ts);
  c.established = now;
  c.tfc_allowed = tfc_allowed;
  schedule_child(c, cfg, now);
  child_spis.insert(spi_in);
  sa.children.push_back(std::move(c));
  ++counters.child_sa_established;
  std::string msg;  // one buffer, no printf: this runs in every handshake
  msg.reserve(96);
  msg.append("CHILD_SA ").append(sa.children.back().name).append(" {").append(std::to_string(reqid));
  msg.append("} established with SPIs ");
  append_hex(msg, spi_in, 8);
  msg.append("_i ");
  append_hex(msg, spi_out, 8);
  msg.append(transport ? "_o (transport)" : "_o (tunnel)");
  if (p.udp_encap) msg.append(" UDP-encapsulated");
  event(replaces ? EventKind::ChildSaRekeyed : EventKind::ChildSaEstablished, &sa, std::move(msg),
        sa.children.back().name);
  touch(sa);
  return &sa.children.back();
}

ChildSa* Engine::Impl::install_answered_child(IkeSa& sa, ChildAnswer& answer, uint32_t reqid, bool transport,
                                              BytesView g_ir, BytesView ni, BytesView nr, bool tfc_allowed,
                                              const ChildSa* replaces, Instant now) {
  const uint32_t spi_in = fresh_child_spi();
  const uint32_t spi_out = answer.chosen.spi.size() == 4 ? load_be32(answer.chosen.spi.data()) : 0;
  answer.chosen.spi = spi4(spi_in);
  ChildSa* c =
      install_child(sa, answer.cfg, answer.cfg->name, reqid, answer.chosen, spi_in, spi_out, transport,
                    answer.tsr, answer.tsi, g_ir, ni, nr, false, tfc_allowed, replaces, now);
  if (!c) child_spis.erase(spi_in);
  return c;
}

}  // namespace portunus::ike
