// portunusd: the Portunus IKEv2/IPsec daemon. Runs in the foreground and logs to stderr, as
// service managers and test harnesses expect. See docs/daemon.md.
#include <unistd.h>

// GCC 12 reports a false "potential null pointer dereference" deep inside std::vector<std::string>
// as inlined from CLI11's option parsing; nothing in this file dereferences a pointer it owns.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "portunus/config/swanctl.h"
#include "portunus/daemon/config_map.h"
#include "portunus/daemon/daemon.h"
#include "portunus/daemon/log.h"

using namespace portunus;

namespace {

// Exit statuses (docs/daemon.md).
constexpr int kExitConfig = 2;
constexpr int kExitSetup = 1;

int check_config(const std::string& path) {
  auto cfg = config::load_swanctl_file(path);
  if (!cfg) {
    fmt::print(stderr, "{}\n", cfg.error().message);
    return kExitConfig;
  }
  daemon::CredentialInventory creds;
  auto ec = daemon::to_engine_config(*cfg, daemon::MapOptions{daemon::confdir_of(path)}, &creds);
  if (!ec) {
    fmt::print(stderr, "{}\n", ec.error().message);
    return kExitConfig;
  }
  size_t children = 0;
  for (const auto& c : cfg->connections) children += c.children.size();
  fmt::print("{}: OK, {} connection(s), {} child(ren), {} secret(s), {} certificate(s)\n", path,
             cfg->connections.size(), children, cfg->secrets.size(), creds.certs.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"portunusd: user-space IKEv2 and IPsec (ESP over a TUN device)"};
  daemon::DaemonOptions opt;
  std::string check;
  std::string log_spec;
  app.add_option("--config,-c", opt.config_path, "configuration file (swanctl.conf syntax)");
  app.add_option("--check-config", check, "validate a configuration file and exit (status 2 on errors)");
  app.add_option("--control-socket", opt.control_socket, "control socket path")->capture_default_str();
  app.add_option("--tun", opt.tun_name, "TUN device name (%d: kernel picks a number)")->capture_default_str();
  app.add_option("--mtu", opt.tun_mtu, "TUN device MTU")->capture_default_str();
  app.add_option("--fwmark", opt.fwmark, "fwmark of the daemon's own sockets")->capture_default_str();
  app.add_option("--table", opt.route_table, "routing table for the remote selectors")->capture_default_str();
  app.add_option("--ike-port", opt.ike_port, "IKE port")->capture_default_str();
  app.add_option("--natt-port", opt.natt_port, "NAT-T port (IKE and ESP-in-UDP)")->capture_default_str();
  app.add_option("--retransmit-timeout", opt.retransmit_timeout_ms, "first IKE retransmission after (ms)")
      ->capture_default_str();
  app.add_option("--retransmit-base", opt.retransmit_base, "IKE retransmission backoff factor")
      ->capture_default_str();
  app.add_option("--retransmit-tries", opt.retransmit_tries, "IKE retransmissions before giving up")
      ->capture_default_str();
  app.add_option("--fragment-size", opt.fragment_size,
                 "largest IP datagram of a sent IKE fragment (RFC 7383; charon.fragment_size)")
      ->capture_default_str();
  app.add_option("--minimal-initiator", opt.minimal_initiator,
                 "connection that acts as an RFC 7815 minimal initiator (repeatable)");
  app.add_option("--export-keys", opt.key_export_dir,
                 "write IKE and ESP keys for Wireshark into this directory (ikev2_decryption_table, esp_sa); "
                 "exposes key material, for debugging only");
  app.add_option("--log", log_spec,
                 "log levels, e.g. default=2,ike=3 (subsystems dmn ike cfg net esp knl ctl)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!check.empty()) return check_config(check);
  if (opt.config_path.empty()) {
    fmt::print(stderr, "portunusd: --config FILE is required (or --check-config FILE)\n");
    return kExitConfig;
  }
  if (!log_spec.empty()) {
    std::string err;
    if (!daemon::logger().configure(log_spec, &err)) {
      fmt::print(stderr, "portunusd: --log: {}\n", err);
      return kExitConfig;
    }
  }
  if (geteuid() != 0) {
    fmt::print(stderr, "portunusd: needs root (TUN device, routes, raw sockets, port 500)\n");
    return kExitSetup;
  }
  daemon::Daemon d(opt);
  if (auto r = d.start(); !r) {
    daemon::log(daemon::Subsys::Dmn, daemon::Level::Error, "{}", r.error().message);
    // A configuration error keeps its own status so scripts can tell it from a setup failure.
    bool config_error = r.error().message.find(".conf:") != std::string::npos ||
                        r.error().message.find(opt.config_path) != std::string::npos;
    return config_error ? kExitConfig : kExitSetup;
  }
  daemon::log(daemon::Subsys::Dmn, daemon::Level::Info, "portunusd running (pid {})", getpid());
  return d.run();
}
