// swanctl.conf text from the model: the inverse of load_swanctl, used by
// `portunusctl config dump`. Every value is written explicitly, so the text does not depend on
// defaults (ours or strongSwan's) to mean the same thing.
#include <sstream>

#include "portunus/config/proposal_keywords.h"
#include "portunus/config/swanctl.h"
#include "portunus/config/values.h"

namespace portunus::config {

namespace {

class Writer {
 public:
  void open(const std::string& name) {
    line(name + " {");
    ++depth_;
  }
  void close() {
    --depth_;
    line("}");
  }
  void kv(const std::string& key, const std::string& value) {
    line(key + " = " + quote_settings_value(value));
  }
  std::string str() const { return out_.str(); }

 private:
  void line(const std::string& text) {
    out_ << std::string(static_cast<size_t>(depth_) * 2, ' ') << text << '\n';
  }
  std::ostringstream out_;
  int depth_ = 0;
};

std::string yes_no(bool b) { return b ? "yes" : "no"; }

template <class T, class F>
std::string join(const std::vector<T>& items, F&& fn) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += fn(item);
  }
  return out;
}

std::string action_name(SaAction a) {
  switch (a) {
    case SaAction::None:
      return "none";
    case SaAction::Clear:
      return "clear";
    case SaAction::Trap:
      return "trap";
    case SaAction::Start:
      return "start";
  }
  return "none";
}

std::string start_action_name(StartAction a) {
  switch (a) {
    case StartAction::None:
      return "none";
    case StartAction::Trap:
      return "trap";
    case StartAction::Start:
      return "start";
    case StartAction::TrapStart:
      return "trap|start";
  }
  return "none";
}

std::string unique_name(UniquePolicy u) {
  switch (u) {
    case UniquePolicy::No:
      return "no";
    case UniquePolicy::Never:
      return "never";
    case UniquePolicy::Keep:
      return "keep";
    case UniquePolicy::Replace:
      return "replace";
  }
  return "no";
}

std::string fragmentation_name(Fragmentation f) {
  switch (f) {
    case Fragmentation::Yes:
      return "yes";
    case Fragmentation::Accept:
      return "accept";
    case Fragmentation::Force:
      return "force";
    case Fragmentation::No:
      return "no";
  }
  return "yes";
}

std::string revocation_name(Revocation r) {
  switch (r) {
    case Revocation::Relaxed:
      return "relaxed";
    case Revocation::IfUri:
      return "ifuri";
    case Revocation::Strict:
      return "strict";
  }
  return "relaxed";
}

void write_auth(Writer& w, const AuthRound& a) {
  w.open(a.section);
  w.kv("round", std::to_string(a.round));
  w.kv("auth", a.auth == AuthClass::Psk ? "psk" : std::string(pubkey_keyword(a.pubkey)));
  if (a.id) w.kv("id", a.id->text);
  if (!a.certs.empty()) w.kv("certs", join(a.certs, [](const std::string& s) { return s; }));
  if (!a.cacerts.empty()) w.kv("cacerts", join(a.cacerts, [](const std::string& s) { return s; }));
  w.kv("revocation", revocation_name(a.revocation));
  w.close();
}

void write_child(Writer& w, const ChildConfig& c) {
  w.open(c.name);
  w.kv("local_ts", join(c.local_ts, traffic_selector_to_string));
  w.kv("remote_ts", join(c.remote_ts, traffic_selector_to_string));
  w.kv("esp_proposals", proposals_to_string(c.esp_proposals));
  w.kv("mode", c.mode == Mode::Tunnel ? "tunnel" : "transport");
  w.kv("start_action", start_action_name(c.start_action));
  w.kv("close_action", action_name(c.close_action));
  w.kv("dpd_action", action_name(c.dpd_action));
  w.kv("rekey_time", format_time(c.rekey_time));
  w.kv("life_time", format_time(c.life_time));
  w.kv("rand_time", format_time(c.rand_time));
  w.kv("rekey_bytes", format_bytes(c.rekey_bytes));
  w.kv("life_bytes", format_bytes(c.life_bytes));
  w.kv("rand_bytes", format_bytes(c.rand_bytes));
  w.kv("rekey_packets", std::to_string(c.rekey_packets));
  w.kv("life_packets", std::to_string(c.life_packets));
  w.kv("rand_packets", std::to_string(c.rand_packets));
  w.kv("replay_window", std::to_string(c.replay_window));
  w.kv("policies", yes_no(c.policies));
  w.kv("copy_df", yes_no(c.copy_df));
  w.kv("copy_ecn", yes_no(c.copy_ecn));
  w.kv("tfc_padding", c.tfc_padding == UINT32_MAX ? "mtu" : std::to_string(c.tfc_padding));
  w.kv("reqid", std::to_string(c.reqid));
  if (c.dummy_packets != 0) {  // Portunus extension: only when used
    w.kv("dummy_packets", format_time(c.dummy_packets));
    w.kv("dummy_packet_size", std::to_string(c.dummy_size_min) + "-" + std::to_string(c.dummy_size_max));
  }
  w.close();
}

void write_connection(Writer& w, const ConnectionConfig& c) {
  w.open(c.name);
  w.kv("version", std::to_string(c.version));
  w.kv("local_addrs", join(c.local_addrs, address_spec_to_string));
  w.kv("remote_addrs", join(c.remote_addrs, address_spec_to_string));
  w.kv("local_port", std::to_string(c.local_port));
  w.kv("remote_port", std::to_string(c.remote_port));
  w.kv("proposals", proposals_to_string(c.proposals));
  w.kv("encap", yes_no(c.encap));
  w.kv("mobike", yes_no(c.mobike));
  w.kv("dpd_delay", format_time(c.dpd_delay));
  w.kv("dpd_timeout", format_time(c.dpd_timeout));
  w.kv("rekey_time", format_time(c.rekey_time));
  w.kv("reauth_time", format_time(c.reauth_time));
  w.kv("over_time", format_time(c.over_time));
  w.kv("rand_time", format_time(c.rand_time));
  w.kv("unique", unique_name(c.unique));
  w.kv("keyingtries", std::to_string(c.keyingtries));
  w.kv("fragmentation", fragmentation_name(c.fragmentation));
  w.kv("send_certreq", yes_no(c.send_certreq));
  if (c.minimal_initiator) w.kv("minimal_initiator", "yes");  // Portunus extension: only when used
  w.kv("send_cert", c.send_cert == SendCert::Always  ? "always"
                    : c.send_cert == SendCert::Never ? "never"
                                                     : "ifasked");
  for (const auto& a : c.local) write_auth(w, a);
  for (const auto& a : c.remote) write_auth(w, a);
  w.open("children");
  for (const auto& child : c.children) write_child(w, child);
  w.close();
  w.close();
}

}  // namespace

std::string dump_swanctl(const SwanctlConfig& config, bool include_secrets) {
  Writer w;
  w.open("connections");
  for (const auto& c : config.connections) write_connection(w, c);
  w.close();
  // Key file entries name files, they hold no key material: always written.
  if (include_secrets || !config.key_files.empty()) {
    w.open("secrets");
    for (const auto& k : config.key_files) {
      w.open(k.name);
      w.kv("file", k.file);
      w.close();
    }
    for (const auto& s : config.secrets) {
      if (!include_secrets) break;
      w.open(s.name);
      for (size_t i = 0; i < s.ids.size(); ++i) {
        w.kv(i == 0 ? "id" : "id-" + std::to_string(i), s.ids[i].text);
      }
      // Hex, so that any byte survives; this text is key material.
      w.kv("secret", "0x" + hex_encode(s.secret.view()));
      w.close();
    }
    w.close();
  }
  return w.str();
}

}  // namespace portunus::config
