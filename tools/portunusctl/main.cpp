// portunusctl: controls a running portunusd over its control socket
// (docs/control-protocol.md), and decodes IKE messages offline.
//
// Exit statuses: 0 success, 1 the daemon refused or failed, 2 usage error, 3 the daemon is
// not running (or the socket is not ours to use), 4 unknown name (connection, SA).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "portunus/base/byte_reader.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/config/proposal_keywords.h"
#include "portunus/crypto/protector.h"
#include "portunus/daemon/control.h"
#include "portunus/ike/sk_payload.h"
#include "portunus/wire/ike_message.h"

using namespace portunus;
using nlohmann::json;

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoDaemon = 3;
constexpr int kExitNotFound = 4;

std::string g_socket = daemon::kDefaultControlSocket;
bool g_json = false;

// Sends one request; prints the error and returns the exit status on failure.
std::optional<json> call(const std::string& command, const json& args, int* status) {
  auto r = daemon::control_request(g_socket, command, args);
  if (!r) {
    fmt::print(stderr,
               "portunusctl: {}\n  Is portunusd running? Start it with `portunusd --config FILE` (as root), "
               "or point --socket at its control socket.\n",
               r.error().message);
    *status = kExitNoDaemon;
    return std::nullopt;
  }
  const json& j = *r;
  if (!j.value("ok", false)) {
    std::string code = j.value("code", "");
    fmt::print(stderr, "portunusctl: {}\n", j.value("error", "request failed"));
    *status = code == daemon::ctl_code::kNotFound     ? kExitNotFound
              : code == daemon::ctl_code::kDenied     ? kExitNoDaemon
              : code == daemon::ctl_code::kBadRequest ? kExitUsage
                                                      : kExitFailed;
    return std::nullopt;
  }
  *status = 0;
  return j.contains("result") ? j["result"] : json();
}

std::string seconds_text(const json& v) {
  if (v.is_null()) return "-";
  long s = v.get<long>();
  if (s < 0) return "now";
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

void print_status(const json& sas) {
  if (sas.empty()) {
    fmt::print("no IKE SAs\n");
    return;
  }
  for (const auto& s : sas) {
    std::string alg = s["encr"].get<std::string>();
    if (s["encr_key_bits"].get<int>() != 0) alg += fmt::format("_{}", s["encr_key_bits"].get<int>());
    if (s["integ"].get<std::string>() != "NONE" && !s["integ"].get<std::string>().empty())
      alg += "/" + s["integ"].get<std::string>();
    fmt::print("{}[{}]: {}, {} {} ... {} {} ({})\n", s["connection"].get<std::string>(),
               s["id"].get<uint64_t>(), s["state"].get<std::string>(), s["local"].get<std::string>(),
               s["local_id"].get<std::string>(), s["remote"].get<std::string>(),
               s["remote_id"].get<std::string>(), s["initiator"].get<bool>() ? "initiator" : "responder");
    fmt::print("  {}/{}/{}, SPIs {}_i {}_r, up {}, rekey in {}{}\n", alg, s["prf"].get<std::string>(),
               s["ke"].get<std::string>(), s["spi_i"].get<std::string>(), s["spi_r"].get<std::string>(),
               seconds_text(s["established_seconds"]), seconds_text(s["rekey_in_seconds"]),
               s["nat_local"].get<bool>() || s["nat_remote"].get<bool>() ? ", NAT-T" : "");
    for (const auto& c : s["children"]) {
      std::string calg = c["encr"].get<std::string>();
      if (c["encr_key_bits"].get<int>() != 0) calg += fmt::format("_{}", c["encr_key_bits"].get<int>());
      if (c["integ"].get<std::string>() != "NONE" && !c["integ"].get<std::string>().empty())
        calg += "/" + c["integ"].get<std::string>();
      fmt::print("  {}: reqid {}, {}{}, {}, SPIs {}_i {}_o\n", c["name"].get<std::string>(),
                 c["reqid"].get<uint32_t>(), c["mode"].get<std::string>(),
                 c["udp_encap"].get<bool>() ? "-in-UDP" : "", calg, c["spi_in"].get<std::string>(),
                 c["spi_out"].get<std::string>());
      fmt::print("    in  {} bytes, {} packets; out {} bytes, {} packets; rekey in {}, expires in {}\n",
                 c["bytes_in"].get<uint64_t>(), c["packets_in"].get<uint64_t>(),
                 c["bytes_out"].get<uint64_t>(), c["packets_out"].get<uint64_t>(),
                 seconds_text(c["rekey_in_seconds"]), seconds_text(c["expire_in_seconds"]));
      std::string l, r;
      for (const auto& t : c["local_ts"]) l += (l.empty() ? "" : " ") + t.get<std::string>();
      for (const auto& t : c["remote_ts"]) r += (r.empty() ? "" : " ") + t.get<std::string>();
      fmt::print("    {} === {}\n", l, r);
    }
  }
}

void print_policies(const json& ps) {
  fmt::print("{:>4} {:>3} {:>8} {:>6} {:>6} {:>9} {:>10}  {} -> {}\n", "id", "dir", "action", "prio", "reqid",
             "mode", "hits", "local", "remote");
  for (const auto& p : ps)
    fmt::print("{:>4} {:>3} {:>8} {:>6} {:>6} {:>9} {:>10}  {} -> {}{}\n", p["id"].get<uint32_t>(),
               p["direction"].get<std::string>(), p["action"].get<std::string>(),
               p["priority"].get<uint32_t>(), p["reqid"].get<uint32_t>(), p["mode"].get<std::string>(),
               p["hits"].get<uint64_t>(), p["local"].get<std::string>(), p["remote"].get<std::string>(),
               p["protocol"].get<int>() ? fmt::format(" proto {}", p["protocol"].get<int>()) : "");
}

// strongSwan's --list-certs layout (crypto::describe) plus where each came from and who uses it.
void print_certs(const json& r) {
  const auto& certs = r["certificates"];
  if (certs.empty()) fmt::print("no certificates loaded\n");
  for (const auto& c : certs) {
    fmt::print("{}{}:\n", c["ca"].get<bool>() ? "CA certificate" : "certificate",
               c["has_private_key"].get<bool>() ? ", has private key" : "");
    fmt::print("{}", c["text"].get<std::string>());
    fmt::print("  file:     {}\n", c["file"].get<std::string>());
    std::string users;
    for (const auto& u : c["used_by"]) users += (users.empty() ? "" : ", ") + u.get<std::string>();
    fmt::print("  used by:  {}\n\n", users.empty() ? "-" : users);
  }
  for (const auto& f : r["crl_files"]) fmt::print("CRL file: {}\n", f.get<std::string>());
}

int emit(const std::optional<json>& r, int status, void (*pretty)(const json&)) {
  if (!r) return status;
  if (g_json || !pretty)
    fmt::print("{}\n", r->dump(2));
  else
    pretty(*r);
  return 0;
}

// ---- decode --------------------------------------------------------------------------------

// Keys for decrypting SK payloads (as Wireshark's ikev2_decryption_table holds them).
struct SkKeys {
  std::string algorithms;  // an ESP-style keyword naming ENCR (+ INTEG): aes128gcm16, aes128-sha256
  std::string sk_ei, sk_er, sk_ai, sk_ar;
  bool given() const { return !algorithms.empty(); }
};
SkKeys g_keys;

// Decrypts and prints the inner payloads; messages from the initiator use SK_ei/SK_ai.
void print_decrypted(BytesView ike, const wire::Message& m) {
  if (!m.find<wire::EncryptedPayload>()) return;
  auto props = config::parse_proposals(g_keys.algorithms, wire::ProtocolId::Esp);
  if (!props || props->empty()) {
    fmt::print("  cannot decrypt: --algorithms: {}\n", props ? "empty" : props.error().message);
    return;
  }
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  unsigned bits = 0;
  crypto::IntegId integ = crypto::IntegId::None;
  for (const auto& t : props->front().transforms) {
    if (t.type == crypto::TransformType::Encr) {
      encr = static_cast<crypto::EncrId>(t.id);
      bits = t.key_bits;
    } else if (t.type == crypto::TransformType::Integ) {
      integ = static_cast<crypto::IntegId>(t.id);
    }
  }
  bool from_initiator = m.header.initiator;
  auto e = hex_decode(from_initiator ? g_keys.sk_ei : g_keys.sk_er);
  auto a = hex_decode(from_initiator ? g_keys.sk_ai : g_keys.sk_ar);
  if (!e || !a) {
    fmt::print("  cannot decrypt: keys must be hex\n");
    return;
  }
  SecureBytes ek(*e), ak(*a);
  auto prot = crypto::make_protector(encr, bits, ek, integ, ak);
  if (!prot) {
    fmt::print("  cannot decrypt: {}\n", prot.error().message);
    return;
  }
  auto inner = ike::open_message(ike, m, **prot);
  if (!inner) {
    static constexpr const char* kWhy[] = {"no SK payload", "malformed SK payload",
                                           "ICV mismatch (wrong keys?)", "inner payloads do not decode"};
    fmt::print("  cannot decrypt: {}\n", kWhy[static_cast<int>(inner.error())]);
    return;
  }
  fmt::print("  decrypted SK payload ({} inner payloads):\n", inner->size());
  for (const auto& p : *inner) {
    std::string text = wire::describe(p);
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      fmt::print("    {}\n", text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
}

int decode_one(BytesView ike, const std::string& label) {
  auto m = wire::decode_message(ike);
  if (!label.empty()) fmt::print("{}\n", label);
  if (!m) {
    fmt::print("  cannot decode: {}\n", wire::describe(m.error()));
    return kExitFailed;
  }
  fmt::print("{}\n", wire::describe(*m));
  if (g_keys.given()) print_decrypted(ike, *m);
  return 0;
}

// IKE messages inside a classic pcap file (Ethernet, raw IP or Linux cooked capture), UDP
// port 500 or 4500 (non-ESP marker removed; ESP and keepalives skipped).
int decode_pcap(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    fmt::print(stderr, "portunusctl: cannot read {}\n", path);
    return kExitUsage;
  }
  Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ByteReader r(data);
  auto magic = r.u32();
  if (!magic) return kExitFailed;
  bool swapped;
  if (*magic == 0xa1b2c3d4 || *magic == 0xa1b23c4d)
    swapped = false;
  else if (*magic == 0xd4c3b2a1 || *magic == 0x4d3cb2a1)
    swapped = true;
  else {
    fmt::print(stderr,
               "portunusctl: {} is not a pcap file (pcapng is not supported; convert with editcap -F pcap)\n",
               path);
    return kExitUsage;
  }
  auto fix = [&](uint32_t v) { return swapped ? __builtin_bswap32(v) : v; };
  if (!r.skip(16)) return kExitFailed;
  auto lt = r.u32();
  if (!lt) return kExitFailed;
  uint32_t linktype = fix(*lt);
  int index = 0, found = 0, status = 0;
  while (!r.empty()) {
    auto ts = r.u64();
    auto incl = r.u32();
    auto orig = r.u32();
    if (!ts || !incl || !orig) break;
    auto frame = r.bytes(fix(*incl));
    if (!frame) break;
    ++index;
    ByteReader fr(*frame);
    if (linktype == 1) {  // Ethernet
      if (!fr.skip(12)) continue;
      auto et = fr.u16();
      if (et == 0x8100 && fr.skip(2)) et = fr.u16();
      if (!et || (*et != 0x0800 && *et != 0x86dd)) continue;
    } else if (linktype == 113) {  // Linux cooked
      if (!fr.skip(16)) continue;
    } else if (linktype == 276) {  // Linux cooked v2
      if (!fr.skip(20)) continue;
    } else if (linktype != 101 && linktype != 228 && linktype != 229) {
      fmt::print(stderr, "portunusctl: link type {} not supported\n", linktype);
      return kExitUsage;
    }
    BytesView ip = fr.rest();
    if (ip.empty()) continue;
    size_t l3;
    uint8_t proto;
    if ((ip[0] >> 4) == 4) {
      l3 = static_cast<size_t>(ip[0] & 0xf) * 4;
      if (ip.size() < 20 || l3 < 20) continue;
      proto = ip[9];
    } else if ((ip[0] >> 4) == 6) {
      l3 = 40;
      if (ip.size() < 40) continue;
      proto = ip[6];
    } else {
      continue;
    }
    if (proto != 17 || ip.size() < l3 + 8) continue;
    BytesView udp = ip.subspan(l3);
    uint16_t sport = load_be16(udp.data()), dport = load_be16(udp.data() + 2);
    BytesView payload = udp.subspan(8);
    bool natt = sport == 4500 || dport == 4500;
    if (!natt && sport != 500 && dport != 500) continue;
    if (natt) {
      if (payload.size() < 4 || load_be32(payload.data()) != 0) continue;  // ESP or keepalive
      payload = payload.subspan(4);
    }
    ++found;
    if (decode_one(payload, fmt::format("frame {} (UDP {} -> {}):", index, sport, dport)) != 0)
      status = kExitFailed;
  }
  if (found == 0) fmt::print("no IKE messages in {}\n", path);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"portunusctl: control a running portunusd"};
  app.require_subcommand(1);
  app.add_option("--socket,-s", g_socket, "control socket of portunusd")->capture_default_str();
  app.add_flag("--json,-j", g_json, "machine-readable output");

  auto* status = app.add_subcommand("status", "IKE and Child SAs with algorithms, SPIs, counters, timers");
  auto* policies = app.add_subcommand("policies", "the SPD with priorities and hit counters");
  auto* counters = app.add_subcommand("counters", "IKE and ESP counters, drop reasons");
  std::string conn, child;
  uint64_t ike_id = 0;
  auto* initiate = app.add_subcommand("initiate", "start a connection");
  initiate->add_option("connection", conn, "connection name")->required();
  initiate->add_option("--child", child, "child to negotiate (default: the first)");
  auto* terminate = app.add_subcommand("terminate", "delete the IKE SAs of a connection (or one by --ike)");
  terminate->add_option("connection", conn, "connection name");
  terminate->add_option("--ike", ike_id, "IKE SA id (from status)");
  bool rekey_ike = false;
  auto* rekey = app.add_subcommand("rekey", "rekey the Child SAs of a connection (or its IKE SA with --ike)");
  rekey->add_option("connection", conn, "connection name")->required();
  rekey->add_option("--child", child, "only this child");
  rekey->add_flag("--ike", rekey_ike, "rekey the IKE SA instead");
  auto* dpd = app.add_subcommand("dpd", "send a liveness check (empty INFORMATIONAL) on a connection");
  dpd->add_option("connection", conn, "connection name")->required();
  auto* certs = app.add_subcommand(
      "certs",
      "loaded certificates (subject, issuer, SANs, validity, key type) and the connections using them");
  auto* reload = app.add_subcommand("reload", "re-read the configuration (like SIGHUP)");
  auto* flush = app.add_subcommand("flush", "delete every SA (politely for IKE)");

  auto* sa = app.add_subcommand("sa", "manual keying");
  sa->require_subcommand(1);
  std::string dir, spi, src, dst, mode = "transport", algs, ekey, ikey;
  uint32_t reqid = 0;
  bool encap = false;
  auto* sa_add = sa->add_subcommand("add", "install an SA");
  sa_add->add_option("--direction", dir, "in or out")->required();
  sa_add->add_option("--spi", spi, "SPI (decimal or 0x hex)")->required();
  sa_add->add_option("--src", src, "outer source address")->required();
  sa_add->add_option("--dst", dst, "outer destination address")->required();
  sa_add->add_option("--mode", mode, "transport or tunnel")->capture_default_str();
  sa_add->add_option("--algorithms", algs, "ESP proposal keyword, e.g. aes128gcm16 or aes128-sha256")
      ->required();
  sa_add->add_option("--encr-key", ekey, "encryption key (and salt) in hex")->required();
  sa_add->add_option("--integ-key", ikey, "integrity key in hex");
  sa_add->add_option("--reqid", reqid, "policy link");
  sa_add->add_flag("--encap", encap, "ESP in UDP (port 4500)");
  auto* sa_del = sa->add_subcommand("del", "remove an SA");
  sa_del->add_option("--direction", dir, "in or out")->required();
  sa_del->add_option("--spi", spi, "SPI")->required();

  std::string setkey_file;
  auto* setkey = app.add_subcommand("setkey",
                                    "manual keying from a setkey(8) file (add, get, delete, deleteall, "
                                    "flush, spdadd, spddelete, spdflush)");
  setkey->add_option("-f,--file", setkey_file, "the setkey file")->required();
  auto* config = app.add_subcommand("config", "configuration");
  config->require_subcommand(1);
  auto* dump = config->add_subcommand("dump", "print the running configuration as swanctl.conf (no secrets)");

  std::string hex, pcap;
  auto* decode =
      app.add_subcommand("decode", "print an IKE message from hex or a pcap file, payload by payload");
  decode->add_option("hex", hex, "the IKE message in hex (from the IKE header on)");
  decode->add_option("--pcap", pcap, "a pcap file: every IKE message on UDP 500/4500");
  decode->add_option(
      "--algorithms", g_keys.algorithms,
      "decrypt SK payloads: the IKE SA's ENCR (and INTEG) as a keyword, e.g. aes128gcm16 or aes128-sha256");
  decode->add_option("--sk-ei", g_keys.sk_ei, "SK_ei in hex (with the salt for GCM/CTR/ChaCha20)");
  decode->add_option("--sk-er", g_keys.sk_er, "SK_er in hex");
  decode->add_option("--sk-ai", g_keys.sk_ai, "SK_ai in hex (empty for AEAD)");
  decode->add_option("--sk-ar", g_keys.sk_ar, "SK_ar in hex");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  int st = 0;
  if (*decode) {
    if (!pcap.empty()) return decode_pcap(pcap);
    auto bytes = hex_decode(hex);
    if (hex.empty() || !bytes) {
      fmt::print(stderr, "portunusctl decode: give the message as hex digits, or --pcap FILE\n");
      return kExitUsage;
    }
    return decode_one(*bytes, "");
  }
  // The request is made before emit() reads `st` (argument evaluation order is unspecified).
  if (*status) {
    auto r = call("status", json::object(), &st);
    return emit(r, st, print_status);
  }
  if (*policies) {
    auto r = call("policies", json::object(), &st);
    return emit(r, st, print_policies);
  }
  if (*certs) {
    auto r = call("certs", json::object(), &st);
    return emit(r, st, print_certs);
  }
  if (*counters) {
    auto r = call("counters", json::object(), &st);
    return emit(r, st, nullptr);
  }
  if (*initiate) {
    auto r = call("initiate", {{"connection", conn}, {"child", child}}, &st);
    if (r) fmt::print("initiating {} (IKE SA {})\n", conn, (*r)["ike_sa"].get<uint64_t>());
    return st;
  }
  if (*terminate) {
    json args = json::object();
    if (ike_id != 0)
      args["ike_sa"] = ike_id;
    else if (!conn.empty())
      args["connection"] = conn;
    else {
      fmt::print(stderr, "portunusctl terminate: name a connection or --ike ID\n");
      return kExitUsage;
    }
    auto r = call("terminate", args, &st);
    if (r) fmt::print("terminated\n");
    return st;
  }
  if (*rekey || *dpd) {
    auto r =
        call(*rekey ? "rekey" : "dpd", {{"connection", conn}, {"child", child}, {"ike", rekey_ike}}, &st);
    if (r)
      fmt::print("{} started on IKE SA {}\n", *rekey ? "rekey" : "liveness check",
                 (*r)["ike_sa"].get<uint64_t>());
    return st;
  }
  if (*reload) {
    auto r = call("reload", json::object(), &st);
    if (r) fmt::print("reloaded, {} connection(s)\n", (*r)["connections"].get<size_t>());
    return st;
  }
  if (*flush) {
    auto r = call("flush", json::object(), &st);
    if (r) fmt::print("flushed\n");
    return st;
  }
  if (*sa_add) {
    auto r = call("sa-add",
                  {{"direction", dir},
                   {"spi", spi},
                   {"src", src},
                   {"dst", dst},
                   {"mode", mode},
                   {"algorithms", algs},
                   {"encr_key", ekey},
                   {"integ_key", ikey},
                   {"reqid", reqid},
                   {"encap", encap}},
                  &st);
    if (r) fmt::print("SA installed\n");
    return st;
  }
  if (*sa_del) {
    auto r = call("sa-del", {{"direction", dir}, {"spi", spi}}, &st);
    if (r) fmt::print("SA removed\n");
    return st;
  }
  if (*setkey) {
    std::ifstream in(setkey_file);
    if (!in) {
      fmt::print(stderr, "portunusctl: cannot read {}\n", setkey_file);
      return kExitUsage;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto r = call("setkey", {{"text", text.str()}, {"file", setkey_file}}, &st);
    if (r && g_json) {
      fmt::print("{}\n", r->dump(2));
    } else if (r) {
      // `get` prints each SA as setkey -D would list it, roughly: addresses, then its fields.
      for (const auto& g : r->value("got", json::array()))
        fmt::print(
            "{} {}\n\tesp mode={} spi=0x{} reqid={} direction={}\n\tencr {} integ {}\n\treplay={} "
            "seq={} bytes={} packets={}\n",
            g["src"].get<std::string>(), g["dst"].get<std::string>(), g["mode"].get<std::string>(),
            g["spi"].get<std::string>(), g["reqid"].get<uint32_t>(), g["direction"].get<std::string>(),
            g["encr"].get<std::string>(), g["integ"].get<std::string>(), g["replay_window"].get<uint32_t>(),
            g["seq"].get<uint64_t>(), g["bytes"].get<uint64_t>(), g["packets"].get<uint64_t>());
      fmt::print("{} SA(s), {} policy(ies) installed, {} removed\n", (*r)["sas"].get<size_t>(),
                 (*r)["policies"].get<size_t>(), r->value("removed", size_t{0}));
    }
    return st;
  }
  if (*dump) {
    auto r = call("config-dump", json::object(), &st);
    if (r) fmt::print("{}", r->get<std::string>());
    return st;
  }
  return kExitUsage;
}
