#include "portunus/ipsec/sad.h"

#include <algorithm>
#include <string>

namespace portunus::ipsec {

namespace {

bool is_combined(crypto::EncrId e) {
  using crypto::EncrId;
  return e == EncrId::AesGcm8 || e == EncrId::AesGcm12 || e == EncrId::AesGcm16 ||
         e == EncrId::NullAuthAesGmac || e == EncrId::ChaCha20Poly1305;
}

bool is_counter_iv(crypto::EncrId e) { return is_combined(e) || e == crypto::EncrId::AesCtr; }

}  // namespace

Result<SaId> Sad::install(SaParams p, Seconds now, const ProcessingOptions& options) {
  // SPIs 1..255 are reserved by IANA and 0 is never sent on the wire (RFC 4303 2.1).
  if (p.spi < 256) return make_error("SA install: SPI " + std::to_string(p.spi) + " is reserved");
  if (p.direction == Direction::Inbound && inbound_.count(p.spi) != 0)
    return make_error("SA install: inbound SPI " + std::to_string(p.spi) + " already in use");
  if (p.mode == Mode::Tunnel && p.local.family() != p.remote.family())
    return make_error("SA install: tunnel endpoints of different address families");
  auto prot = crypto::make_protector(p.encr, p.encr_key_bits, p.encr_keymat, p.integ, p.integ_key);
  p.encr_keymat.wipe();
  p.integ_key.wipe();
  if (!prot) {
    return make_error("SA install: unknown or unusable algorithm (encr " + std::string(crypto::name(p.encr)) +
                      ", integ " + std::string(crypto::name(p.integ)) + "): " + prot.error().message);
  }

  auto sa = std::make_unique<Sa>();
  sa->id = next_id_++;
  sa->direction = p.direction;
  sa->spi = p.spi;
  sa->mode = p.mode;
  sa->local = p.local;
  sa->remote = p.remote;
  sa->udp_encap = p.udp_encap;
  sa->encr = p.encr;
  sa->integ = p.integ;
  sa->esn = p.esn;
  sa->combined_mode = is_combined(p.encr);
  sa->counter_iv = is_counter_iv(p.encr);
  sa->reqid = p.reqid;
  sa->policy = p.policy;
  sa->options = p.options ? *p.options : options;
  uint32_t window = p.replay_window ? *p.replay_window : sa->options.replay_window;
  bool replay_on = sa->options.replay_check && window != 0;
  sa->replay = ReplayWindow(window, p.esn, replay_on);
  sa->selectors = std::move(p.selectors);
  sa->soft = p.soft;
  sa->hard = p.hard;
  sa->added_at = now;
  sa->protector = std::move(*prot);
  sa->iv_len = static_cast<uint8_t>(sa->protector->iv_size());
  sa->icv_len = static_cast<uint8_t>(sa->protector->icv_size());
  sa->block_size = static_cast<uint8_t>(std::max<size_t>(sa->protector->block_size(), 1));
  if (p.direction == Direction::Inbound) {
    sa->replay.reset(p.initial_seq);
  } else {
    sa->seq = p.initial_seq;
  }

  Sa* raw = sa.get();
  all_.emplace(raw->id, std::move(sa));
  ++generation_;
  if (raw->direction == Direction::Inbound) {
    inbound_[raw->spi] = raw;
  } else {
    // The newest SA takes over at once (make-before-break rekeying).
    if (raw->reqid != 0) outbound_by_reqid_[raw->reqid] = raw;
    if (raw->policy != kNoPolicy) outbound_by_policy_[raw->policy] = raw;
    outbound_by_remote_[{raw->mode, raw->remote}] = raw;
  }
  return raw->id;
}

void Sad::unlink(Sa& sa) {
  if (sa.direction == Direction::Inbound) {
    inbound_.erase(sa.spi);
    return;
  }
  // Fall back to the newest remaining SA with the same link, if any.
  auto relink = [&](auto& map, auto key, auto same) {
    auto it = map.find(key);
    if (it == map.end() || it->second != &sa) return;
    Sa* repl = nullptr;
    for (auto& [id, other] : all_)
      if (other.get() != &sa && other->direction == Direction::Outbound && same(*other)) repl = other.get();
    if (repl) {
      it->second = repl;
    } else {
      map.erase(it);
    }
  };
  if (sa.reqid != 0) relink(outbound_by_reqid_, sa.reqid, [&](const Sa& o) { return o.reqid == sa.reqid; });
  if (sa.policy != kNoPolicy)
    relink(outbound_by_policy_, sa.policy, [&](const Sa& o) { return o.policy == sa.policy; });
  relink(outbound_by_remote_, std::make_pair(sa.mode, sa.remote),
         [&](const Sa& o) { return o.mode == sa.mode && o.remote == sa.remote; });
}

bool Sad::remove(SaId id) {
  auto it = all_.find(id);
  if (it == all_.end()) return false;
  unlink(*it->second);
  all_.erase(it);
  ++generation_;  // the Protector's destructor frees and cleanses the key schedules
  return true;
}

bool Sad::remove_by_spi(Direction dir, uint32_t spi) {
  Sa* sa = dir == Direction::Inbound ? find_inbound(spi) : find_outbound_by_spi(spi);
  return sa != nullptr && remove(sa->id);
}

void Sad::clear() {
  inbound_.clear();
  outbound_by_reqid_.clear();
  outbound_by_policy_.clear();
  outbound_by_remote_.clear();
  all_.clear();
  ++generation_;
}

Sa* Sad::get(SaId id) {
  auto it = all_.find(id);
  return it == all_.end() ? nullptr : it->second.get();
}

Sa* Sad::find_outbound(const Policy& policy, const IpAddress& remote_outer) {
  if (policy.reqid != 0) {
    auto it = outbound_by_reqid_.find(policy.reqid);
    return it == outbound_by_reqid_.end() ? nullptr : it->second;
  }
  if (auto it = outbound_by_policy_.find(policy.id); it != outbound_by_policy_.end()) return it->second;
  auto it = outbound_by_remote_.find({policy.mode, remote_outer});
  return it == outbound_by_remote_.end() ? nullptr : it->second;
}

Sa* Sad::find_outbound_by_spi(uint32_t spi) {
  Sa* found = nullptr;
  for (auto& [id, sa] : all_)
    if (sa->direction == Direction::Outbound && sa->spi == spi) found = sa.get();
  return found;
}

std::vector<Sa*> Sad::all() {
  std::vector<Sa*> out;
  out.reserve(all_.size());
  for (auto& [id, sa] : all_) out.push_back(sa.get());
  return out;
}

}  // namespace portunus::ipsec
