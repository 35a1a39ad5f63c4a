#include "portunus/daemon/config_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "portunus/crypto/x509_credentials.h"

namespace portunus::daemon {

namespace {

namespace fs = std::filesystem;

using crypto::files_in;

bool key_fits(config::PubkeyKind kind, crypto::KeyType type) {
  switch (kind) {
    case config::PubkeyKind::Any:
      return true;
    case config::PubkeyKind::Rsa:
    case config::PubkeyKind::RsaPss:
      return type == crypto::KeyType::Rsa;
    case config::PubkeyKind::Ecdsa:
      return type == crypto::KeyType::Ec;
    case config::PubkeyKind::Ed25519:
      return type == crypto::KeyType::Ed25519;
    case config::PubkeyKind::Ed448:
      return type == crypto::KeyType::Ed448;
  }
  return false;
}

ike::PubKeyConstraint constraint_of(config::PubkeyKind kind) {
  switch (kind) {
    case config::PubkeyKind::Any:
      return ike::PubKeyConstraint::Any;
    case config::PubkeyKind::Rsa:
    case config::PubkeyKind::RsaPss:
      return ike::PubKeyConstraint::Rsa;
    case config::PubkeyKind::Ecdsa:
      return ike::PubKeyConstraint::Ecdsa;
    case config::PubkeyKind::Ed25519:
      return ike::PubKeyConstraint::Ed25519;
    case config::PubkeyKind::Ed448:
      return ike::PubKeyConstraint::Ed448;
  }
  return ike::PubKeyConstraint::Any;
}

std::string where_text(const config::Origin& o) { return fmt::format("{}:{}", o.at.file, o.at.line); }

// Everything read from the credential directories and the files the configuration names,
// each file read once. Records what uses which certificate for the inventory.
class CredentialPool {
 public:
  CredentialPool(const config::SwanctlConfig& cfg, std::string confdir)
      : cfg_(cfg), confdir_(std::move(confdir)) {}

  // Reads x509/, x509ca/, x509crl/ and the key directories, and the secrets' key files.
  Result<void> load(const std::string& config_file) {
    if (loaded_) return {};
    loaded_ = true;
    auto fail = [&](const std::string& msg) { return make_error(config_file + ": " + msg); };
    if (!confdir_.empty()) {
      const fs::path base(confdir_);
      for (const auto& f : files_in(base / "x509")) {
        auto certs = file_certs(f);
        if (!certs) return fail(certs.error().message);
        for (const auto& c : **certs) own_dir_.push_back(c);
      }
      for (const auto& f : files_in(base / "x509ca")) {
        auto certs = file_certs(f);
        if (!certs) return fail(certs.error().message);
        for (const auto& c : **certs) {
          if (!c.is_ca()) return fail(f + ": '" + c.subject() + "' is not a CA certificate (x509ca/)");
          ca_dir_.push_back(c);
        }
      }
      // Intermediates (swanctl's x509im/): sent after our certificate, never trust anchors.
      for (const auto& f : files_in(base / "x509im")) {
        auto certs = file_certs(f);
        if (!certs) return fail(certs.error().message);
        for (const auto& c : **certs)
          if (!c.is_ca()) return fail(f + ": '" + c.subject() + "' is not a CA certificate (x509im/)");
      }
      for (const auto& f : files_in(base / "x509crl")) {
        // Parsed now so that a broken CRL fails the load, not the first handshake.
        crypto::TrustStore probe;
        if (auto n = probe.add_crl_file(f); !n) return fail(n.error().message);
        crl_files_.push_back(f);
      }
      for (const char* dir : {"private", "rsa", "ecdsa"}) {
        for (const auto& f : files_in(base / dir)) {
          auto key = crypto::load_private_key_file(f);
          if (!key) return fail(key.error().message);
          keys_.push_back(crypto::KeyFile{f, std::move(*key)});
        }
      }
    }
    for (const auto& k : cfg_.key_files) {
      const char* dir = k.name.rfind("rsa", 0) == 0     ? "rsa"
                        : k.name.rfind("ecdsa", 0) == 0 ? "ecdsa"
                                                        : "private";
      auto path = resolve(k.file, dir);
      if (!path)
        return make_error(where_text(k.where) + ": secrets." + k.name + ".file: " + path.error().message);
      if (std::any_of(keys_.begin(), keys_.end(),
                      [&](const crypto::KeyFile& kf) { return same_file(kf.path, *path); }))
        continue;
      auto key = crypto::load_private_key_file(*path);
      if (!key)
        return make_error(where_text(k.where) + ": secrets." + k.name + ".file: " + key.error().message);
      keys_.push_back(crypto::KeyFile{*path, std::move(*key)});
    }
    return {};
  }

  // A certs / cacerts entry: relative to x509/ or x509ca/ as in swanctl, or absolute.
  Result<const std::vector<crypto::Certificate>*> named(const std::string& name, const char* dir) {
    auto path = resolve(name, dir);
    if (!path) return Unexpected<Error>(path.error());
    return file_certs(*path);
  }

  const std::vector<crypto::Certificate>& own_dir() const { return own_dir_; }
  const std::vector<crypto::Certificate>& ca_dir() const { return ca_dir_; }
  const std::vector<std::string>& crl_files() const { return crl_files_; }
  const crypto::PrivateKey* key_for(const crypto::Certificate& c) const { return crypto::key_for(keys_, c); }

  // The issuers of `ee` among every CA certificate we know, nearest first, up to the root:
  // what we send after our certificate (the peer may lack the intermediates).
  std::vector<crypto::Certificate> chain_of(const crypto::Certificate& ee) const {
    std::vector<crypto::Certificate> chain;
    crypto::Certificate cur = ee;
    // A bound on the depth also stops a loop of certificates issuing each other.
    for (int depth = 0; depth < 8 && cur.issuer() != cur.subject(); ++depth) {
      const crypto::Certificate* next = nullptr;
      for (const auto& e : inventory_.certs) {
        if (e.cert.is_ca() && e.cert.subject() == cur.issuer() && !(e.cert == cur)) {
          next = &e.cert;
          break;
        }
      }
      if (!next) break;
      chain.push_back(*next);
      cur = *next;
    }
    return chain;
  }

  void use(const crypto::Certificate& c, const std::string& what) {
    for (auto& e : inventory_.certs) {
      if (e.cert == c) {
        if (std::find(e.used_by.begin(), e.used_by.end(), what) == e.used_by.end()) e.used_by.push_back(what);
        return;
      }
    }
  }

  CredentialInventory take_inventory() {
    for (auto& e : inventory_.certs) e.has_private_key = key_for(e.cert) != nullptr;
    inventory_.crl_files = crl_files_;
    return std::move(inventory_);
  }

 private:
  Result<std::string> resolve(const std::string& name, const char* dir) const {
    fs::path p(name);
    if (p.is_absolute()) return name;
    if (confdir_.empty())
      return make_error(fmt::format("'{}' is relative and there is no configuration directory", name));
    return (fs::path(confdir_) / dir / p).string();
  }
  static bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    return a == b || fs::equivalent(a, b, ec);
  }

  Result<const std::vector<crypto::Certificate>*> file_certs(const std::string& path) {
    for (const auto& [p, certs] : files_)
      if (same_file(p, path)) return &certs;
    auto certs = crypto::Certificate::load_file(path);
    if (!certs) return Unexpected<Error>(certs.error());
    for (const auto& c : *certs) {
      bool known = std::any_of(inventory_.certs.begin(), inventory_.certs.end(),
                               [&](const LoadedCert& e) { return e.cert == c; });
      if (!known) inventory_.certs.push_back(LoadedCert{c, path, false, {}});
    }
    return &files_.emplace(path, std::move(*certs)).first->second;
  }

  const config::SwanctlConfig& cfg_;
  std::string confdir_;
  bool loaded_ = false;
  std::map<std::string, std::vector<crypto::Certificate>> files_;
  std::vector<crypto::Certificate> own_dir_, ca_dir_;
  std::vector<std::string> crl_files_;
  std::vector<crypto::KeyFile> keys_;
  CredentialInventory inventory_;
};

std::string round_path(const config::ConnectionConfig& c, const config::AuthRound& a, const char* key) {
  return fmt::format("connections.{}.{}.{}", c.name, a.section, key);
}

// Our side of auth = pubkey: each configured certificate with its key and chain; without
// `certs`, every certificate in x509/ whose private key is loaded (as swanctl finds one).
Result<void> map_local_pubkey(const config::ConnectionConfig& c, const config::AuthRound& a,
                              CredentialPool& pool, ike::PeerAuthConfig& out) {
  std::vector<crypto::Certificate> ees;
  const config::Origin& at = a.certs.empty() ? a.where : a.certs_where;
  for (const auto& name : a.certs) {
    auto certs = pool.named(name, "x509");
    if (!certs)
      return make_error(
          fmt::format("{}: {}: {}", where_text(at), round_path(c, a, "certs"), certs.error().message));
    ees.push_back((*certs)->front());  // further certificates in the file serve as chain candidates
  }
  if (a.certs.empty()) {
    for (const auto& cert : pool.own_dir())
      if (!cert.is_ca() && pool.key_for(cert) && key_fits(a.pubkey, cert.key_type())) ees.push_back(cert);
    if (ees.empty())
      return make_error(
          fmt::format("{}: connections.{}.{}: auth = {} needs a certificate ('certs', or one in x509/ "
                      "with its private key)",
                      where_text(at), c.name, a.section, config::pubkey_keyword(a.pubkey)));
  }
  for (const auto& ee : ees) {
    const crypto::PrivateKey* key = pool.key_for(ee);
    if (!key)
      return make_error(
          fmt::format("{}: {}: no private key for certificate '{}' (in private/, rsa/, ecdsa/ or a "
                      "secrets file entry)",
                      where_text(at), round_path(c, a, "certs"), ee.subject()));
    if (!key_fits(a.pubkey, ee.key_type()))
      return make_error(fmt::format("{}: {}: certificate '{}' (key {}) does not fit auth = {}",
                                    where_text(at), round_path(c, a, "certs"), ee.subject(),
                                    ee.key_description(), config::pubkey_keyword(a.pubkey)));
    ike::CertCredentials cred{*key, ee, pool.chain_of(ee)};
    pool.use(ee, c.name + ": local");
    for (const auto& ca : cred.chain) pool.use(ca, c.name + ": local chain");
    out.credentials.push_back(std::move(cred));
  }
  out.rsa_padding = a.pubkey == config::PubkeyKind::RsaPss ? ike::RsaPadding::Pss : ike::RsaPadding::Pkcs1;
  return {};
}

// The peer's side: the CAs its chain must lead to (remote cacerts, else all of x509ca/ as
// strongSwan does), the CRLs of x509crl/, the revocation policy, a pinned certificate and the
// key type.
Result<void> map_remote_pubkey(const config::ConnectionConfig& c, const config::AuthRound& a,
                               CredentialPool& pool, ike::PeerAuthConfig& out) {
  auto trust = std::make_shared<crypto::TrustStore>();
  std::vector<crypto::Certificate> cas;
  for (const auto& name : a.cacerts) {
    auto certs = pool.named(name, "x509ca");
    if (!certs)
      return make_error(fmt::format("{}: {}: {}", where_text(a.cacerts_where), round_path(c, a, "cacerts"),
                                    certs.error().message));
    for (const auto& ca : **certs) cas.push_back(ca);
  }
  if (a.cacerts.empty()) cas = pool.ca_dir();
  for (const auto& ca : cas) {
    auto added = trust->add_ca(ca);
    if (!added)
      return make_error(fmt::format("{}: {}: '{}': {}",
                                    where_text(a.cacerts.empty() ? a.where : a.cacerts_where),
                                    round_path(c, a, "cacerts"), ca.subject(), added.error().message));
    pool.use(ca, c.name + ": remote CA");
  }
  for (const auto& f : pool.crl_files())
    if (auto n = trust->add_crl_file(f); !n)
      return make_error(where_text(a.where) + ": " + n.error().message);
  trust->set_revocation(a.revocation == config::Revocation::Strict ? crypto::RevocationPolicy::Strict
                                                                   : crypto::RevocationPolicy::Relaxed);
  if (!a.certs.empty()) {
    auto certs = pool.named(a.certs.front(), "x509");
    if (!certs)
      return make_error(fmt::format("{}: {}: {}", where_text(a.certs_where), round_path(c, a, "certs"),
                                    certs.error().message));
    out.peer_cert = (*certs)->front();
    pool.use(*out.peer_cert, c.name + ": remote peer");
    if (!key_fits(a.pubkey, out.peer_cert->key_type()))
      return make_error(fmt::format("{}: {}: certificate '{}' (key {}) does not fit auth = {}",
                                    where_text(a.certs_where), round_path(c, a, "certs"),
                                    out.peer_cert->subject(), out.peer_cert->key_description(),
                                    config::pubkey_keyword(a.pubkey)));
    if (a.certs.size() > 1)
      return make_error(fmt::format("{}: {}: only one peer certificate is supported",
                                    where_text(a.certs_where), round_path(c, a, "certs")));
  }
  if (cas.empty() && !out.peer_cert)
    return make_error(
        fmt::format("{}: connections.{}.{}: auth = {} needs CA certificates (cacerts, or x509ca/ "
                    "next to the configuration) or the peer's certificate (certs)",
                    where_text(a.where), c.name, a.section, config::pubkey_keyword(a.pubkey)));
  out.trust = std::move(trust);
  out.constraint = constraint_of(a.pubkey);
  return {};
}

using std::chrono::seconds;

ike::Duration secs(uint64_t s) { return std::chrono::duration_cast<ike::Duration>(seconds(s)); }

ike::CloseAction map_action(config::SaAction a) {
  switch (a) {
    case config::SaAction::Trap:
      return ike::CloseAction::Trap;
    case config::SaAction::Start:
      return ike::CloseAction::Start;
    case config::SaAction::None:
    case config::SaAction::Clear:
      break;
  }
  return ike::CloseAction::None;
}

std::vector<ike::ConfiguredTs> map_ts(const std::vector<config::TrafficSelectorSpec>& specs) {
  std::vector<ike::ConfiguredTs> out;
  for (const auto& s : specs) out.push_back(ike::ConfiguredTs{s.selector, s.dynamic});
  return out;
}

}  // namespace

std::vector<IpAddress> concrete_addresses(const std::vector<config::AddressSpec>& specs) {
  std::vector<IpAddress> out;
  for (const auto& a : specs) {
    switch (a.kind) {
      case config::AddressSpec::Kind::Address:
        out.push_back(a.start);
        break;
      case config::AddressSpec::Kind::Prefix:
        if (a.prefix == (a.start.is_v4() ? 32u : 128u)) out.push_back(a.start);
        break;
      case config::AddressSpec::Kind::Range:
        if (a.start == a.end) out.push_back(a.start);
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<wire::TrafficSelector> resolve_selectors(const std::vector<ike::ConfiguredTs>& configured,
                                                     const std::vector<IpAddress>& own) {
  std::vector<wire::TrafficSelector> out;
  for (const auto& c : configured) {
    if (!c.dynamic) {
      out.push_back(c.ts);
    } else if (!own.empty()) {
      wire::TrafficSelector ts = c.ts;
      ts.start_addr = own.front();
      ts.end_addr = own.front();
      out.push_back(ts);
    }
  }
  return out;
}

std::string confdir_of(const std::string& config_path) {
  fs::path parent = fs::path(config_path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

Result<ike::EngineConfig> to_engine_config(const config::SwanctlConfig& config, const MapOptions& options,
                                           CredentialInventory* inventory) {
  ike::EngineConfig ec;
  CredentialPool pool(config, options.confdir);
  for (const auto& c : config.connections) {
    ike::ConnectionConfig cc;
    cc.name = c.name;
    for (const auto& a : c.local_addrs)
      if (a.kind == config::AddressSpec::Kind::Hostname)
        return make_error(fmt::format("{}:{}: connection {}: host names in local_addrs are not supported",
                                      c.where.at.file, c.where.at.line, c.name));
    for (const auto& a : c.remote_addrs)
      if (a.kind == config::AddressSpec::Kind::Hostname)
        return make_error(fmt::format("{}:{}: connection {}: host names in remote_addrs are not supported",
                                      c.where.at.file, c.where.at.line, c.name));
    cc.local_addrs = concrete_addresses(c.local_addrs);
    cc.remote_addrs = concrete_addresses(c.remote_addrs);
    cc.local_port = c.local_port;
    cc.remote_port = c.remote_port;
    cc.ike_proposals = c.proposals;
    if (c.local.size() > 1 || c.remote.size() > 1)
      return make_error(fmt::format("{}:{}: connection {}: multiple authentication rounds are not supported",
                                    c.where.at.file, c.where.at.line, c.name));
    for (bool local : {true, false}) {
      const auto& rounds = local ? c.local : c.remote;
      if (rounds.empty()) continue;
      const config::AuthRound& a = rounds[0];
      ike::PeerAuthConfig& out = local ? cc.local : cc.remote;
      if (a.id) out.id = a.id->text;
      if (a.auth == config::AuthClass::Psk) {
        out.auth = ike::AuthClass::Psk;
        continue;
      }
      out.auth = ike::AuthClass::PubKey;
      if (auto r = pool.load(c.where.at.file); !r) return Unexpected<Error>(r.error());
      auto r = local ? map_local_pubkey(c, a, pool, out) : map_remote_pubkey(c, a, pool, out);
      if (!r) return Unexpected<Error>(r.error());
    }
    switch (c.send_cert) {
      case config::SendCert::IfAsked:
        cc.send_cert = ike::SendCert::IfAsked;
        break;
      case config::SendCert::Always:
        cc.send_cert = ike::SendCert::Always;
        break;
      case config::SendCert::Never:
        cc.send_cert = ike::SendCert::Never;
        break;
    }
    cc.minimal_initiator = c.minimal_initiator;
    switch (c.fragmentation) {
      case config::Fragmentation::Yes:
        cc.fragmentation = ike::Fragmentation::Yes;
        break;
      case config::Fragmentation::Accept:
        cc.fragmentation = ike::Fragmentation::Accept;
        break;
      case config::Fragmentation::Force:
        cc.fragmentation = ike::Fragmentation::Force;
        break;
      case config::Fragmentation::No:
        cc.fragmentation = ike::Fragmentation::No;
        break;
    }
    cc.force_encap = c.encap;
    cc.dpd_delay = secs(c.dpd_delay);
    cc.ike_lifetimes.rekey_time = secs(c.rekey_time);
    uint64_t over = c.over_time ? c.over_time : std::max(c.rekey_time, c.reauth_time) / 10;
    cc.over_time = secs(over);
    cc.ike_lifetimes.rand_time = secs(c.rand_time ? c.rand_time : over);
    for (const auto& ch : c.children) {
      ike::ChildConfig k;
      k.name = ch.name;
      k.local_ts = map_ts(ch.local_ts);
      k.remote_ts = map_ts(ch.remote_ts);
      k.esp_proposals = ch.esp_proposals;
      k.mode = ch.mode == config::Mode::Tunnel ? ike::IpsecMode::Tunnel : ike::IpsecMode::Transport;
      k.reqid = ch.reqid;
      uint64_t life = ch.life_time ? ch.life_time : ch.rekey_time + ch.rekey_time / 10;
      k.lifetimes.rekey_time = secs(ch.rekey_time);
      k.lifetimes.life_time = secs(life);
      k.lifetimes.rand_time =
          secs(ch.rand_time ? ch.rand_time : (life > ch.rekey_time ? life - ch.rekey_time : 0));
      k.lifetimes.rekey_bytes = ch.rekey_bytes;
      k.lifetimes.life_bytes = ch.life_bytes;
      k.lifetimes.rekey_packets = ch.rekey_packets;
      k.lifetimes.life_packets = ch.life_packets;
      k.replay_window = ch.replay_window;
      switch (ch.start_action) {
        case config::StartAction::None:
          k.start_action = ike::StartAction::None;
          break;
        case config::StartAction::Trap:
        case config::StartAction::TrapStart:  // the daemon also initiates (see Daemon::apply_start_actions)
          k.start_action = ike::StartAction::Trap;
          break;
        case config::StartAction::Start:
          k.start_action = ike::StartAction::Start;
          break;
      }
      k.close_action = map_action(ch.close_action);
      k.dpd_action = map_action(ch.dpd_action);
      cc.children.push_back(std::move(k));
    }
    ec.connections.push_back(std::move(cc));
  }
  for (const auto& s : config.secrets) {
    ike::SharedSecret ss;
    for (const auto& id : s.ids) ss.ids.push_back(id.text);
    ss.secret = s.secret;
    ec.secrets.push_back(std::move(ss));
  }
  if (inventory) *inventory = pool.take_inventory();
  return ec;
}

}  // namespace portunus::daemon
