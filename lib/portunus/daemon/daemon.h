#pragma once
// portunusd's core: owns the OS resources (sockets, TUN, routes, control socket) and drives
// the two sans-IO engines: ike::Engine (negotiation) and ipsec::Engine (packets). Every
// event is handled on one thread, in the epoll loop.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "portunus/base/error.h"
#include "portunus/config/setkey.h"
#include "portunus/config/swanctl.h"
#include "portunus/daemon/config_map.h"
#include "portunus/daemon/control.h"
#include "portunus/daemon/event_loop.h"
#include "portunus/daemon/netlink.h"
#include "portunus/daemon/sockets.h"
#include "portunus/daemon/tun_device.h"
#include "portunus/ike/engine.h"
#include "portunus/ipsec/engine.h"

namespace portunus::daemon {

struct DaemonOptions {
  std::string config_path;
  std::string control_socket = kDefaultControlSocket;
  std::string tun_name = "portunus%d";
  uint32_t tun_mtu = 1400;  // leaves room for outer IPv6 + UDP + ESP overhead on a 1500 link
  // Our sockets carry this mark; "not fwmark" traffic consults route_table first.
  uint32_t fwmark = 0x5054;
  uint32_t route_table = 0x5054;
  uint32_t rule_priority = 0x5054;
  uint16_t ike_port = 500;
  uint16_t natt_port = 4500;
  // IKE retransmission (strongswan.conf's charon.retransmit_* in spirit): first timeout,
  // growth factor and number of retransmissions before a peer is declared dead.
  uint32_t retransmit_timeout_ms = 4000;
  double retransmit_base = 1.8;
  uint32_t retransmit_tries = 5;
  // strongswan.conf's charon.fragment_size: largest IP datagram of a sent IKE fragment (RFC 7383).
  uint32_t fragment_size = 1280;
  // Connections (by name) that act as RFC 7815 minimal initiators: IKE_SA_INIT and IKE_AUTH
  // only, no rekeys or extra Child SAs of their own. swanctl.conf has no key for this.
  std::vector<std::string> minimal_initiator;
  // Opt-in: append Wireshark key records (ikev2_decryption_table and esp_sa lines) here.
  std::string key_export_dir;
};

class Daemon;

// ChildSaInstaller on top of ipsec::Engine's SPD/SAD, plus the routes into the TUN device.
class DataPlane : public ike::ChildSaInstaller {
 public:
  explicit DataPlane(Daemon& d) : d_(d) {}
  Result<void> install_child_sa(const ike::ChildSaParams& params) override;
  void delete_child_sa(const ike::ChildSaRef& ref) override;
  void update_child_sa_endpoints(const ike::ChildSaRef& ref, const ike::Endpoint& local,
                                 const ike::Endpoint& remote, bool udp_encap) override;

 private:
  Daemon& d_;
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  // Loads the configuration and sets up everything; an error says what failed.
  Result<void> start();
  // Runs until SIGTERM/SIGINT; returns the exit status.
  int run();

  // For DataPlane.
  friend class DataPlane;

 private:
  struct ChildRecord {
    uint32_t reqid = 0;
    uint32_t spi_in = 0;
    uint32_t spi_out = 0;
    std::vector<Prefix> routes;
  };
  // Policies installed for negotiated Child SAs, shared by every SA of the reqid: a rekey
  // installs the new SA before the old one is deleted, so they must outlive any single SA.
  struct ReqidPolicies {
    std::vector<ipsec::PolicyId> policies;
    int refs = 0;
  };
  struct TrapRecord {
    std::string connection, child;
    uint32_t reqid = 0;
    std::vector<ipsec::PolicyId> policies;
    std::vector<Prefix> routes;
  };

  Result<void> open_sockets();
  Result<void> load_config(const std::string& path, config::SwanctlConfig* out, ike::EngineConfig* engine,
                           CredentialInventory* credentials);
  nlohmann::json certs_json() const;
  void install_traps();
  void remove_traps();
  void apply_start_actions();
  void add_route(const Prefix& p, const std::optional<IpAddress>& src);
  void remove_route(const Prefix& p);
  std::optional<IpAddress> preferred_source(const std::vector<wire::TrafficSelector>& local_ts);

  void on_udp(UdpSocket& s);
  void on_raw(RawEspSocket& s);
  void on_tun();
  void handle_esp(const SockAddr& local, const SockAddr& remote, bool udp, uint8_t* storage,
                  size_t storage_len, size_t offset, size_t len);
  void send_outbound(ipsec::PacketBuffer& pkt, const ipsec::OutboundResult& r);
  void process_outbound(ipsec::PacketBuffer& pkt);
  // After every input: carry out the engines' effects and re-arm the timer.
  void drive();
  void on_signal(int sig);
  Result<void> reload();  // logs a failure and keeps the running configuration
  void shutdown();
  void export_esp_keys(const ike::ChildSaParams& p);

  nlohmann::json handle_control(const std::string& command, const nlohmann::json& args);
  nlohmann::json status_json();
  nlohmann::json policies_json();
  nlohmann::json sa_add(const nlohmann::json& args);
  nlohmann::json sa_del(const nlohmann::json& args);
  nlohmann::json setkey(const nlohmann::json& args);

  ike::Instant ike_now() const;
  ipsec::Seconds ipsec_now() const;

  DaemonOptions options_;
  EventLoop loop_;
  std::unique_ptr<ControlServer> control_;
  std::optional<Netlink> netlink_;
  std::optional<TunDevice> tun_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  std::vector<std::unique_ptr<RawEspSocket>> raw_;
  bool rules_installed_[2] = {false, false};

  config::SwanctlConfig config_;
  CredentialInventory credentials_;  // certificates of the running configuration (portunusctl certs)
  DataPlane installer_{*this};
  std::unique_ptr<ipsec::Engine> ipsec_;
  std::unique_ptr<ike::Engine> ike_;
  std::optional<EventLoop::TimerId> ike_timer_;
  std::optional<ike::Instant> ike_timer_at_;

  std::map<uint32_t, ChildRecord> children_;  // by spi_in
  std::map<uint32_t, ReqidPolicies> reqid_policies_;
  std::vector<TrapRecord> traps_;
  std::map<Prefix, int> route_refs_;
  std::map<ipsec::PolicyId, uint64_t> policy_hits_;
  struct ManualPolicy {
    ipsec::PolicyId id = ipsec::kNoPolicy;
    std::vector<Prefix> routes;
    config::setkey::PolicySpec spec;  // what spddelete matches against
  };
  std::vector<ManualPolicy> manual_policies_;  // from setkey spdadd
  uint64_t tun_rx_ = 0, tun_tx_ = 0, esp_rx_ = 0, esp_tx_ = 0, send_errors_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  int exit_status_ = 0;
  bool stopping_ = false;
  std::vector<uint8_t> buffer_;
};

}  // namespace portunus::daemon
