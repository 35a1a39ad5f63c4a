#include "portunus/config/swanctl.h"

#include <openssl/evp.h>

#include <algorithm>
#include <iterator>

#include "portunus/config/proposal_keywords.h"
#include "portunus/config/values.h"

namespace portunus::config {

const ConnectionConfig* SwanctlConfig::find_connection(std::string_view name) const {
  for (const auto& c : connections) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string_view pubkey_keyword(PubkeyKind k) {
  switch (k) {
    case PubkeyKind::Any:
      return "pubkey";
    case PubkeyKind::Rsa:
      return "rsa";
    case PubkeyKind::RsaPss:
      return "rsa/pss";
    case PubkeyKind::Ecdsa:
      return "ecdsa";
    case PubkeyKind::Ed25519:
      return "ed25519";
    case PubkeyKind::Ed448:
      return "ed448";
  }
  return "pubkey";
}

Result<Identity> parse_identity(std::string_view text) {
  auto id = ike::parse_identity(text);
  if (!id) return make_error("identity '" + std::string(text) + "': " + id.error().message);
  return Identity{std::string(text), std::move(*id)};
}

std::string address_spec_to_string(const AddressSpec& a) {
  switch (a.kind) {
    case AddressSpec::Kind::Any:
      return "%any";
    case AddressSpec::Kind::Any4:
      return "%any4";
    case AddressSpec::Kind::Any6:
      return "%any6";
    case AddressSpec::Kind::Address:
      return a.start.to_string();
    case AddressSpec::Kind::Prefix:
      return a.start.to_string() + "/" + std::to_string(a.prefix);
    case AddressSpec::Kind::Range:
      return a.start.to_string() + "-" + a.end.to_string();
    case AddressSpec::Kind::Hostname:
      return a.hostname;
  }
  return {};
}

namespace {

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    out.emplace_back(trim(text.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return h.front() != '-' && h.front() != '.';
}

Result<AddressSpec> parse_address_spec(std::string_view text) {
  AddressSpec a;
  if (text == "%any") return a;
  if (text == "%any4") {
    a.kind = AddressSpec::Kind::Any4;
    return a;
  }
  if (text == "%any6") {
    a.kind = AddressSpec::Kind::Any6;
    return a;
  }
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto ip = IpAddress::parse(text.substr(0, slash));
    if (!ip) return make_error("invalid address '" + std::string(text) + "'");
    auto len = parse_uint(text.substr(slash + 1), ip->is_v4() ? 32 : 128);
    if (!len) return make_error("invalid prefix length in '" + std::string(text) + "'");
    a.kind = AddressSpec::Kind::Prefix;
    a.prefix = static_cast<unsigned>(*len);
    a.start = ip->network(a.prefix);
    return a;
  }
  if (auto ip = IpAddress::parse(text)) {
    a.kind = AddressSpec::Kind::Address;
    a.start = *ip;
    return a;
  }
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto lo = IpAddress::parse(trim(text.substr(0, dash)));
    auto hi = IpAddress::parse(trim(text.substr(dash + 1)));
    if (lo && hi) {
      if (lo->family() != hi->family() || *hi < *lo) {
        return make_error("invalid address range '" + std::string(text) + "'");
      }
      a.kind = AddressSpec::Kind::Range;
      a.start = *lo;
      a.end = *hi;
      return a;
    }
  }
  if (!valid_hostname(text)) return make_error("invalid address or host name '" + std::string(text) + "'");
  a.kind = AddressSpec::Kind::Hostname;
  a.hostname = std::string(text);
  return a;
}

Result<SecureBytes> parse_secret(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    auto raw = hex_decode(text.substr(2));
    if (!raw) return make_error("invalid hex secret");
    SecureBytes out{BytesView(*raw)};
    std::fill(raw->begin(), raw->end(), 0);
    return out;
  }
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 's' || text[1] == 'S')) {
    std::string_view b64 = text.substr(2);
    if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 1 << 16)
      return make_error("invalid base64 secret");
    SecureBytes out(b64.size() / 4 * 3);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    if (n < 0) return make_error("invalid base64 secret");
    size_t len = static_cast<size_t>(n);
    // EVP_DecodeBlock counts padding as zero bytes; drop them.
    if (b64.back() == '=') --len;
    if (b64[b64.size() - 2] == '=') --len;
    return out.slice(0, len);
  }
  if (text.empty()) return make_error("empty secret");
  return SecureBytes(as_bytes(text));
}

// Keys swanctl.conf(5) defines that Portunus does not implement. Naming them "not supported"
// instead of "unknown" tells a strongSwan user the difference between a typo and a gap.
template <size_t N>
bool in(std::string_view key, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

constexpr std::string_view kUnsupportedConnKeys[] = {
    "vips",      "aggressive", "pull",         "dscp",           "childless",
    "ocsp",      "ppk_id",     "ppk_required", "pools",          "if_id_in",
    "if_id_out", "mediation",  "mediated_by",  "mediation_peer", "keyingtries_backoff"};
constexpr std::string_view kUnsupportedAuthKeys[] = {"pubkeys",  "ca_id",  "eap_id",     "aaa_id",
                                                     "xauth_id", "groups", "cert_policy"};
constexpr std::string_view kUnsupportedChildKeys[] = {
    "ah_proposals", "sha256_96", "updown",  "hostaccess", "policies_fwd_out", "ipcomp",      "inactivity",
    "priority",     "interface", "mark_in", "mark_in_sa", "mark_out",         "set_mark_in", "set_mark_out",
    "if_id_in",     "if_id_out", "label",   "label_mode", "copy_dscp",        "per_cpu_sas", "rand_bytes_"};

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  Result<SwanctlConfig> load(const SettingsSection& root) {
    SwanctlConfig out;
    for (const auto& v : root.values) return unknown_key(v, "");
    for (const auto& s : root.sections) {
      if (s.name == "connections") {
        for (const auto& v : s.values)
          return error(v.where, "connections", "'" + v.name + "' must be a section");
        for (const auto& c : s.sections) {
          auto conn = load_connection(c);
          if (!conn) return Unexpected<Error>(conn.error());
          out.connections.push_back(std::move(*conn));
        }
      } else if (s.name == "secrets") {
        auto r = load_secrets(s, out);
        if (!r) return Unexpected<Error>(r.error());
      } else if (s.name == "authorities" || s.name == "pools") {
        return error(s.where, "", "section '" + s.name + "' is not supported");
      } else {
        return error(s.where, "", "unknown section '" + s.name + "'");
      }
    }
    return out;
  }

 private:
  static Unexpected<Error> error(const Location& at, const std::string& path, const std::string& message) {
    std::string text = at.file + ":" + std::to_string(at.line) + ": ";
    if (!path.empty()) text += path + ": ";
    return make_error(text + message);
  }
  static Unexpected<Error> unknown_key(const SettingsValue& v, const std::string& path) {
    return error(v.where, path, "unknown key '" + v.name + "'");
  }
  static Unexpected<Error> unsupported_key(const SettingsValue& v, const std::string& path) {
    return error(v.where, path, "key '" + v.name + "' is not supported by Portunus");
  }
  static Unexpected<Error> bad_value(const SettingsValue& v, const std::string& path,
                                     const std::string& what) {
    return error(v.where, path + "." + v.name, what);
  }

  static Result<uint64_t> time_value(const SettingsValue& v, const std::string& path) {
    auto t = parse_time(v.value);
    if (!t) return bad_value(v, path, "invalid time '" + v.value + "' (a number with s, m, h or d)");
    return *t;
  }
  static Result<uint64_t> bytes_value(const SettingsValue& v, const std::string& path) {
    auto b = parse_bytes(v.value);
    if (!b) return bad_value(v, path, "invalid size '" + v.value + "' (a number with k, m or g)");
    return *b;
  }
  static Result<uint64_t> number_value(const SettingsValue& v, const std::string& path, uint64_t max) {
    auto n = parse_uint(trim(v.value), max);
    if (!n) return bad_value(v, path, "invalid number '" + v.value + "' (0.." + std::to_string(max) + ")");
    return *n;
  }
  static Result<bool> bool_value(const SettingsValue& v, const std::string& path) {
    auto b = parse_bool(v.value);
    if (!b) return bad_value(v, path, "invalid boolean '" + v.value + "' (yes or no)");
    return *b;
  }

  Result<std::vector<wire::Proposal>> proposals_value(const SettingsValue& v, const std::string& path,
                                                      wire::ProtocolId protocol) {
    auto p = parse_proposals(v.value, protocol, options_.allow_legacy_algorithms);
    if (!p) return bad_value(v, path, p.error().message);
    return std::move(*p);
  }

  static Result<std::vector<AddressSpec>> addrs_value(const SettingsValue& v, const std::string& path) {
    std::vector<AddressSpec> out;
    for (const auto& item : split_list(v.value)) {
      auto a = parse_address_spec(item);
      if (!a) return bad_value(v, path, a.error().message);
      out.push_back(*a);
    }
    return out;
  }

// Each setter below binds a parsed value or returns the error from the helper.
#define PORTUNUS_TRY_ASSIGN(target, expr)          \
  do {                                             \
    auto _r = (expr);                              \
    if (!_r) return Unexpected<Error>(_r.error()); \
    target = std::move(*_r);                       \
  } while (0)

  Result<ConnectionConfig> load_connection(const SettingsSection& s) {
    ConnectionConfig c;
    c.name = s.name;
    c.where.at = s.where;
    const std::string path = "connections." + s.name;
    std::optional<uint64_t> over_time, rand_time;
    bool have_proposals = false;
    for (const auto& v : s.values) {
      const std::string& k = v.name;
      if (k == "version") {
        uint64_t ver = 0;
        PORTUNUS_TRY_ASSIGN(ver, number_value(v, path, 2));
        if (ver == 1) return bad_value(v, path, "IKEv1 is not supported (version must be 0 or 2)");
        c.version = static_cast<unsigned>(ver);
      } else if (k == "local_addrs") {
        PORTUNUS_TRY_ASSIGN(c.local_addrs, addrs_value(v, path));
      } else if (k == "remote_addrs") {
        PORTUNUS_TRY_ASSIGN(c.remote_addrs, addrs_value(v, path));
      } else if (k == "local_port" || k == "remote_port") {
        uint64_t port = 0;
        PORTUNUS_TRY_ASSIGN(port, number_value(v, path, 65535));
        if (port == 0) return bad_value(v, path, "port 0 is not valid");
        (k == "local_port" ? c.local_port : c.remote_port) = static_cast<uint16_t>(port);
      } else if (k == "proposals") {
        PORTUNUS_TRY_ASSIGN(c.proposals, proposals_value(v, path, wire::ProtocolId::Ike));
        have_proposals = true;
      } else if (k == "encap") {
        PORTUNUS_TRY_ASSIGN(c.encap, bool_value(v, path));
      } else if (k == "mobike") {
        auto b = parse_bool(v.value);
        if (!b || *b)
          return bad_value(v, path, "only 'mobike = no' is supported (MOBIKE is not implemented)");
        c.mobike = false;
      } else if (k == "dpd_delay") {
        PORTUNUS_TRY_ASSIGN(c.dpd_delay, time_value(v, path));
      } else if (k == "dpd_timeout") {
        PORTUNUS_TRY_ASSIGN(c.dpd_timeout, time_value(v, path));
      } else if (k == "rekey_time") {
        PORTUNUS_TRY_ASSIGN(c.rekey_time, time_value(v, path));
      } else if (k == "reauth_time") {
        PORTUNUS_TRY_ASSIGN(c.reauth_time, time_value(v, path));
      } else if (k == "over_time") {
        PORTUNUS_TRY_ASSIGN(over_time, time_value(v, path));
      } else if (k == "rand_time") {
        PORTUNUS_TRY_ASSIGN(rand_time, time_value(v, path));
      } else if (k == "unique") {
        std::string u = lower(trim(v.value));
        if (u == "no")
          c.unique = UniquePolicy::No;
        else if (u == "never")
          c.unique = UniquePolicy::Never;
        else if (u == "keep")
          c.unique = UniquePolicy::Keep;
        else if (u == "replace")
          c.unique = UniquePolicy::Replace;
        else
          return bad_value(v, path, "invalid value '" + v.value + "' (no, never, keep or replace)");
      } else if (k == "keyingtries") {
        uint64_t n = 0;
        PORTUNUS_TRY_ASSIGN(n, number_value(v, path, UINT32_MAX));
        c.keyingtries = static_cast<uint32_t>(n);
      } else if (k == "fragmentation") {
        std::string f = lower(trim(v.value));
        if (f == "yes")
          c.fragmentation = Fragmentation::Yes;
        else if (f == "accept")
          c.fragmentation = Fragmentation::Accept;
        else if (f == "force")
          c.fragmentation = Fragmentation::Force;
        else if (f == "no")
          c.fragmentation = Fragmentation::No;
        else
          return bad_value(v, path, "invalid value '" + v.value + "' (yes, accept, force or no)");
      } else if (k == "minimal_initiator") {  // Portunus extension (docs/configuration.md)
        PORTUNUS_TRY_ASSIGN(c.minimal_initiator, bool_value(v, path));
      } else if (k == "send_certreq") {
        PORTUNUS_TRY_ASSIGN(c.send_certreq, bool_value(v, path));
      } else if (k == "send_cert") {
        std::string m = lower(trim(v.value));
        if (m == "ifasked")
          c.send_cert = SendCert::IfAsked;
        else if (m == "always")
          c.send_cert = SendCert::Always;
        else if (m == "never")
          c.send_cert = SendCert::Never;
        else
          return bad_value(v, path, "invalid value '" + v.value + "' (ifasked, always or never)");
      } else if (in(k, kUnsupportedConnKeys)) {
        return unsupported_key(v, path);
      } else {
        return unknown_key(v, path);
      }
    }
    if (!have_proposals) c.proposals = default_proposals(wire::ProtocolId::Ike);
    if (c.local_addrs.empty()) c.local_addrs.push_back(AddressSpec{});
    if (c.remote_addrs.empty()) c.remote_addrs.push_back(AddressSpec{});
    // swanctl.conf(5): over_time defaults to 10% of the longer of rekey_time and reauth_time,
    // rand_time to over_time.
    c.over_time = over_time.value_or(std::max(c.rekey_time, c.reauth_time) / 10);
    c.rand_time = rand_time.value_or(c.over_time);

    for (const auto& sub : s.sections) {
      if (sub.name == "children") {
        for (const auto& v : sub.values)
          return error(v.where, path + ".children", "'" + v.name + "' must be a section");
        for (const auto& cs : sub.sections) {
          auto child = load_child(cs, path + ".children." + cs.name);
          if (!child) return Unexpected<Error>(child.error());
          c.children.push_back(std::move(*child));
        }
      } else if (sub.name.rfind("local", 0) == 0 || sub.name.rfind("remote", 0) == 0) {
        bool is_local = sub.name.rfind("local", 0) == 0;
        auto round = load_auth(sub, path + "." + sub.name);
        if (!round) return Unexpected<Error>(round.error());
        (is_local ? c.local : c.remote).push_back(std::move(*round));
      } else {
        return error(sub.where, path, "unknown section '" + sub.name + "'");
      }
    }
    auto by_round = [](const AuthRound& a, const AuthRound& b) { return a.round < b.round; };
    std::stable_sort(c.local.begin(), c.local.end(), by_round);
    std::stable_sort(c.remote.begin(), c.remote.end(), by_round);
    return c;
  }

  Result<AuthRound> load_auth(const SettingsSection& s, const std::string& path) {
    AuthRound a;
    a.section = s.name;
    a.where.at = s.where;
    for (const auto& sub : s.sections) {
      return error(sub.where, path, "section '" + sub.name + "' is not supported (certificates on tokens)");
    }
    for (const auto& v : s.values) {
      const std::string& k = v.name;
      if (k == "auth") {
        std::string m = lower(trim(v.value));
        static constexpr PubkeyKind kKinds[] = {PubkeyKind::Any,   PubkeyKind::Rsa,     PubkeyKind::RsaPss,
                                                PubkeyKind::Ecdsa, PubkeyKind::Ed25519, PubkeyKind::Ed448};
        bool known = false;
        if (m == "psk") {
          a.auth = AuthClass::Psk;
          a.pubkey = PubkeyKind::Any;
          known = true;
        }
        for (auto kind : kKinds) {
          if (!known && m == pubkey_keyword(kind)) {
            a.auth = AuthClass::Pubkey;
            a.pubkey = kind;
            known = true;
          }
        }
        if (!known)
          return bad_value(v, path,
                           "authentication '" + v.value +
                               "' is not supported (psk, pubkey, rsa, rsa/pss, ecdsa, ed25519 or ed448)");
      } else if (k == "id") {
        auto id = parse_identity(trim(v.value));
        if (!id) return bad_value(v, path, id.error().message);
        a.id = std::move(*id);
      } else if (k == "round") {
        uint64_t r = 0;
        PORTUNUS_TRY_ASSIGN(r, number_value(v, path, 255));
        a.round = static_cast<unsigned>(r);
      } else if (k == "certs" || k == "cacerts") {
        std::vector<std::string> files;
        for (auto& f : split_list(v.value)) {
          if (f.empty()) return bad_value(v, path, "empty file name in list");
          files.push_back(std::move(f));
        }
        (k == "certs" ? a.certs : a.cacerts) = std::move(files);
        (k == "certs" ? a.certs_where : a.cacerts_where).at = v.where;
      } else if (k == "revocation") {
        std::string r = lower(trim(v.value));
        if (r == "relaxed")
          a.revocation = Revocation::Relaxed;
        else if (r == "ifuri")
          a.revocation = Revocation::IfUri;
        else if (r == "strict")
          a.revocation = Revocation::Strict;
        else
          return bad_value(v, path, "invalid revocation '" + v.value + "' (strict, ifuri or relaxed)");
      } else if (in(k, kUnsupportedAuthKeys)) {
        return unsupported_key(v, path);
      } else {
        return unknown_key(v, path);
      }
    }
    return a;
  }

  static Result<SaAction> action_value(const SettingsValue& v, const std::string& path, bool allow_none) {
    std::string a = lower(trim(v.value));
    if (a == "none" && allow_none) return SaAction::None;
    if (a == "clear") return SaAction::Clear;
    if (a == "trap" || a == "hold") return SaAction::Trap;  // "hold" is the ipsec.conf-era name
    if (a == "start" || a == "restart") return SaAction::Start;
    return bad_value(v, path,
                     "invalid action '" + v.value +
                         (allow_none ? "' (none, clear, trap or start)" : "' (clear, trap or start)"));
  }

  Result<ChildConfig> load_child(const SettingsSection& s, const std::string& path) {
    ChildConfig c;
    c.name = s.name;
    c.where.at = s.where;
    for (const auto& sub : s.sections) return error(sub.where, path, "unknown section '" + sub.name + "'");
    std::optional<uint64_t> life_time, rand_time, life_bytes, rand_bytes, life_packets, rand_packets;
    bool have_proposals = false, have_local_ts = false, have_remote_ts = false;
    for (const auto& v : s.values) {
      const std::string& k = v.name;
      if (k == "local_ts" || k == "remote_ts") {
        auto ts = parse_traffic_selectors(v.value);
        if (!ts) return bad_value(v, path, ts.error().message);
        (k == "local_ts" ? c.local_ts : c.remote_ts) = std::move(*ts);
        (k == "local_ts" ? have_local_ts : have_remote_ts) = true;
      } else if (k == "esp_proposals") {
        PORTUNUS_TRY_ASSIGN(c.esp_proposals, proposals_value(v, path, wire::ProtocolId::Esp));
        have_proposals = true;
      } else if (k == "mode") {
        std::string m = lower(trim(v.value));
        if (m == "tunnel")
          c.mode = Mode::Tunnel;
        else if (m == "transport")
          c.mode = Mode::Transport;
        else if (m == "beet" || m == "pass" || m == "drop" || m == "transport_proxy")
          return bad_value(v, path, "mode '" + v.value + "' is not supported (tunnel or transport)");
        else
          return bad_value(v, path, "invalid mode '" + v.value + "' (tunnel or transport)");
      } else if (k == "start_action") {
        std::string a = lower(trim(v.value));
        if (a == "none")
          c.start_action = StartAction::None;
        else if (a == "trap")
          c.start_action = StartAction::Trap;
        else if (a == "start")
          c.start_action = StartAction::Start;
        else if (a == "trap|start")
          c.start_action = StartAction::TrapStart;
        else
          return bad_value(v, path,
                           "invalid start_action '" + v.value + "' (none, trap, start or trap|start)");
      } else if (k == "close_action") {
        PORTUNUS_TRY_ASSIGN(c.close_action, action_value(v, path, true));
      } else if (k == "dpd_action") {
        PORTUNUS_TRY_ASSIGN(c.dpd_action, action_value(v, path, false));
      } else if (k == "rekey_time") {
        PORTUNUS_TRY_ASSIGN(c.rekey_time, time_value(v, path));
      } else if (k == "life_time") {
        PORTUNUS_TRY_ASSIGN(life_time, time_value(v, path));
      } else if (k == "rand_time") {
        PORTUNUS_TRY_ASSIGN(rand_time, time_value(v, path));
      } else if (k == "rekey_bytes") {
        PORTUNUS_TRY_ASSIGN(c.rekey_bytes, bytes_value(v, path));
      } else if (k == "life_bytes") {
        PORTUNUS_TRY_ASSIGN(life_bytes, bytes_value(v, path));
      } else if (k == "rand_bytes") {
        PORTUNUS_TRY_ASSIGN(rand_bytes, bytes_value(v, path));
      } else if (k == "rekey_packets") {
        PORTUNUS_TRY_ASSIGN(c.rekey_packets, number_value(v, path, UINT64_MAX));
      } else if (k == "life_packets") {
        PORTUNUS_TRY_ASSIGN(life_packets, number_value(v, path, UINT64_MAX));
      } else if (k == "rand_packets") {
        PORTUNUS_TRY_ASSIGN(rand_packets, number_value(v, path, UINT64_MAX));
      } else if (k == "replay_window") {
        uint64_t w = 0;
        PORTUNUS_TRY_ASSIGN(w, number_value(v, path, UINT32_MAX));
        c.replay_window = static_cast<uint32_t>(w);
      } else if (k == "policies") {
        PORTUNUS_TRY_ASSIGN(c.policies, bool_value(v, path));
      } else if (k == "copy_df") {
        PORTUNUS_TRY_ASSIGN(c.copy_df, bool_value(v, path));
      } else if (k == "copy_ecn") {
        PORTUNUS_TRY_ASSIGN(c.copy_ecn, bool_value(v, path));
      } else if (k == "hw_offload") {
        auto b = parse_bool(v.value);
        if (!b || *b)
          return bad_value(v, path, "only 'hw_offload = no' is supported (user-space data plane)");
      } else if (k == "tfc_padding") {
        if (lower(trim(v.value)) == "mtu") {
          c.tfc_padding = UINT32_MAX;
        } else {
          uint64_t n = 0;
          PORTUNUS_TRY_ASSIGN(n, number_value(v, path, 65535));
          c.tfc_padding = static_cast<uint32_t>(n);
        }
      } else if (k == "reqid") {
        uint64_t n = 0;
        PORTUNUS_TRY_ASSIGN(n, number_value(v, path, UINT32_MAX));
        c.reqid = static_cast<uint32_t>(n);
      } else if (k == "dummy_packets") {  // Portunus extension (docs/configuration.md)
        PORTUNUS_TRY_ASSIGN(c.dummy_packets, time_value(v, path));
      } else if (k == "dummy_packet_size") {  // Portunus extension: N or MIN-MAX octets
        std::string_view t = trim(v.value);
        size_t dash = t.find('-');
        auto lo = parse_uint(trim(t.substr(0, dash)), 1400);
        auto hi = dash == std::string::npos ? lo : parse_uint(trim(t.substr(dash + 1)), 1400);
        if (!lo || !hi || *hi < *lo)
          return bad_value(v, path, "invalid size '" + v.value + "' (N or MIN-MAX octets, at most 1400)");
        c.dummy_size_min = static_cast<uint32_t>(*lo);
        c.dummy_size_max = static_cast<uint32_t>(*hi);
      } else if (in(k, kUnsupportedChildKeys)) {
        return unsupported_key(v, path);
      } else {
        return unknown_key(v, path);
      }
    }
    if (!have_proposals) c.esp_proposals = default_proposals(wire::ProtocolId::Esp);
    if (!have_local_ts) c.local_ts.push_back(TrafficSelectorSpec{true, {}});
    if (!have_remote_ts) c.remote_ts.push_back(TrafficSelectorSpec{true, {}});
    // swanctl.conf(5): life = rekey + 10%, rand = life - rekey, for time, bytes and packets.
    c.life_time = life_time.value_or(c.rekey_time + c.rekey_time / 10);
    c.life_bytes = life_bytes.value_or(c.rekey_bytes + c.rekey_bytes / 10);
    c.life_packets = life_packets.value_or(c.rekey_packets + c.rekey_packets / 10);
    if (c.rekey_time != 0 && c.life_time != 0 && c.life_time <= c.rekey_time) {
      const SettingsValue* v = s.find_value("life_time");
      return error(v ? v->where : s.where, path + ".life_time",
                   "life_time (" + format_time(c.life_time) + ") must be longer than rekey_time (" +
                       format_time(c.rekey_time) + ")");
    }
    c.rand_time = rand_time.value_or(c.life_time > c.rekey_time ? c.life_time - c.rekey_time : 0);
    c.rand_bytes = rand_bytes.value_or(c.life_bytes > c.rekey_bytes ? c.life_bytes - c.rekey_bytes : 0);
    c.rand_packets =
        rand_packets.value_or(c.life_packets > c.rekey_packets ? c.life_packets - c.rekey_packets : 0);
    return c;
  }

  Result<void> load_secrets(const SettingsSection& s, SwanctlConfig& out) {
    for (const auto& v : s.values) return unknown_key(v, "secrets");
    for (const auto& sec : s.sections) {
      const std::string path = "secrets." + sec.name;
      if (sec.name.rfind("private", 0) == 0 || sec.name.rfind("rsa", 0) == 0 ||
          sec.name.rfind("ecdsa", 0) == 0) {
        auto key = load_key_secret(sec, path);
        if (!key) return Unexpected<Error>(key.error());
        out.key_files.push_back(std::move(*key));
        continue;
      }
      if (sec.name.rfind("ike", 0) != 0) {
        static constexpr std::string_view kOther[] = {"eap",   "xauth",  "ntlm", "ppk",
                                                      "pkcs8", "pkcs12", "token"};
        for (auto prefix : kOther) {
          if (sec.name.rfind(prefix, 0) == 0) {
            return error(sec.where, "secrets",
                         "secret section '" + sec.name +
                             "' is not supported (only ike, private, rsa and ecdsa<suffix>)");
          }
        }
        return error(sec.where, "secrets", "unknown secret section '" + sec.name + "'");
      }
      IkeSecret secret;
      secret.name = sec.name;
      secret.where.at = sec.where;
      bool have_secret = false;
      for (const auto& sub : sec.sections)
        return error(sub.where, path, "unknown section '" + sub.name + "'");
      for (const auto& v : sec.values) {
        if (v.name.rfind("id", 0) == 0) {
          auto id = parse_identity(trim(v.value));
          if (!id) return bad_value(v, path, id.error().message);
          secret.ids.push_back(std::move(*id));
        } else if (v.name == "secret") {
          auto bytes = parse_secret(v.value);
          if (!bytes) return bad_value(v, path, bytes.error().message);
          secret.secret = std::move(*bytes);
          have_secret = true;
        } else {
          return unknown_key(v, path);
        }
      }
      if (!have_secret) return error(sec.where, path, "missing key 'secret'");
      out.secrets.push_back(std::move(secret));
    }
    return {};
  }

  static Result<KeySecret> load_key_secret(const SettingsSection& sec, const std::string& path) {
    KeySecret k;
    k.name = sec.name;
    k.where.at = sec.where;
    for (const auto& sub : sec.sections) return error(sub.where, path, "unknown section '" + sub.name + "'");
    for (const auto& v : sec.values) {
      if (v.name == "file") {
        std::string f(trim(v.value));
        if (f.empty()) return bad_value(v, path, "empty file name");
        k.file = std::move(f);
      } else if (v.name == "secret") {
        return error(v.where, path,
                     "encrypted private keys ('secret') are not supported; store the key "
                     "unencrypted with mode 0600");
      } else {
        return unknown_key(v, path);
      }
    }
    if (k.file.empty()) return error(sec.where, path, "missing key 'file'");
    return k;
  }

#undef PORTUNUS_TRY_ASSIGN

  LoadOptions options_;
};

}  // namespace

Result<SwanctlConfig> load_swanctl(const SettingsSection& root, const LoadOptions& options) {
  return Loader(options).load(root);
}

Result<SwanctlConfig> load_swanctl_file(const std::string& path, const LoadOptions& options) {
  auto tree = parse_settings_file(path);
  if (!tree) return Unexpected<Error>(tree.error());
  return load_swanctl(*tree, options);
}

Result<SwanctlConfig> load_swanctl_text(std::string_view text, const std::string& file_name,
                                        const LoadOptions& options) {
  auto tree = parse_settings_text(text, file_name);
  if (!tree) return Unexpected<Error>(tree.error());
  return load_swanctl(*tree, options);
}

}  // namespace portunus::config
