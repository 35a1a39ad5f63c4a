#pragma once
// setkey(8) (ipsec-tools) files for manual keying, parsed into typed commands:
//
//   add [-46n] src dst esp|esp-udp spi [-m transport|tunnel|any] [-u reqid] [-r window]
//       [-lh sec] [-ls sec] [-bh bytes] [-bs bytes] -E ealgo key [-A aalgo key] ;
//   get|delete [-46n] src dst esp spi ;      deleteall [-46n] src dst esp ;
//   flush [esp] ;    spdflush ;
//   spdadd [-46n] src_range dst_range upperspec [type,code] -P in|out [prio N|def|low|high [+-N]]
//          discard|none|ipsec esp/transport//level | esp/tunnel/src-dst/level ;
//   spddelete [-46n] src_range dst_range upperspec [type,code] -P in|out ;
//
// Addresses are `addr`, `addr[port]`, `addr/prefix` or `addr/prefix[port]` (port `any` too);
// upperspec is any, tcp, udp, icmp, icmp6 (ipv6-icmp), another name of the protocol table or
// a number (135 for the Mobility Header); keys are 0x-hex or "quoted ASCII". Levels are
// default, use, require, unique and unique:N. `#` comments run to the end of the line.
//
// Every error reads "file:line: 'token': message". Legacy algorithms (des-cbc, hmac-md5) load
// only with ParseOptions::allow_legacy_algorithms, as the Mobile IPv6 examples need.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/config/settings.h"
#include "portunus/crypto/ids.h"

namespace portunus::config::setkey {

// An address with prefix and optional port; the prefix is the full length for single addresses.
struct Endpoint {
  IpAddress address;
  uint8_t prefix_len = 32;
  std::optional<uint16_t> port;  // nullopt: any
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

enum class SaProtocol : uint8_t { Esp, EspUdp };  // esp-udp: RFC 3948 encapsulation, ports from [port]
enum class Mode : uint8_t { Any, Transport, Tunnel };

struct SaSpec {
  Endpoint src;
  Endpoint dst;
  SaProtocol protocol = SaProtocol::Esp;
  uint32_t spi = 0;
  Mode mode = Mode::Any;  // setkey's default; Linux treats it as transport
  uint32_t reqid = 0;
  // -r: anti-replay window in packets (RFC 2367 sadb_sa_replay); absent or 0: no replay check,
  // as setkey(8) specifies.
  uint32_t replay_window = 0;
  uint64_t hard_seconds = 0, soft_seconds = 0, hard_bytes = 0, soft_bytes = 0;
  std::optional<crypto::EncrId> encr;
  unsigned encr_key_bits = 0;  // cipher key bits (without salt/nonce); 0 for fixed-size ciphers
  SecureBytes encr_key;        // key | salt or nonce where the transform has one
  std::optional<crypto::IntegId> integ;
  SecureBytes integ_key;
  friend bool operator==(const SaSpec&, const SaSpec&) = default;
};

enum class Direction : uint8_t { In, Out, Fwd };
enum class PolicyAction : uint8_t { Discard, None, Ipsec };
enum class Level : uint8_t { Default, Use, Require, Unique };

struct IpsecRequest {
  Mode mode = Mode::Transport;
  std::optional<IpAddress> tunnel_src;  // tunnel mode only
  std::optional<IpAddress> tunnel_dst;
  Level level = Level::Require;
  uint32_t unique_id = 0;  // unique:N -> the reqid of the SAs for this policy
  friend bool operator==(const IpsecRequest&, const IpsecRequest&) = default;
};

struct PolicySpec {
  Endpoint src;
  Endpoint dst;
  std::optional<uint8_t> upper_protocol;  // nullopt: any
  // "type,code" after icmp / icmp6 (and the MH type after 135); a zero code is a wildcard, as
  // setkey(8) says.
  std::optional<uint8_t> type;
  std::optional<uint8_t> code;
  Direction direction = Direction::Out;
  std::optional<int64_t> priority;  // absent: the default
  PolicyAction action = PolicyAction::Ipsec;
  std::vector<IpsecRequest> requests;
  friend bool operator==(const PolicySpec&, const PolicySpec&) = default;
};

enum class Op : uint8_t { Add, Get, Delete, DeleteAll, Flush, SpdAdd, SpdDelete, SpdFlush };

struct Command {
  Op op = Op::Add;
  Location where;
  SaSpec sa;          // Add, Get, Delete (src, dst, protocol, spi), DeleteAll (src, dst, protocol)
  PolicySpec policy;  // SpdAdd, SpdDelete (no action/requests for SpdDelete)
  friend bool operator==(const Command&, const Command&) = default;
};

struct ParseOptions {
  bool allow_legacy_algorithms = false;
};

Result<std::vector<Command>> parse(std::string_view text, const std::string& file_name,
                                   const ParseOptions& options = {});
Result<std::vector<Command>> parse_file(const std::string& path, const ParseOptions& options = {});

}  // namespace portunus::config::setkey
