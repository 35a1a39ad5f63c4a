#pragma once
// Proposals and traffic selectors as IKEv2 carries them (RFC 7296 3.3, 3.13). Plain data
// shared by the codec (SA / TS payloads), the configuration (strongSwan proposal keywords,
// local_ts / remote_ts) and the engine (negotiation, narrowing).
#include <cstdint>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/ip_address.h"
#include "portunus/crypto/ids.h"

namespace portunus::wire {

enum class ProtocolId : uint8_t { Ike = 1, Ah = 2, Esp = 3 };

// A transform attribute other than Key Length (RFC 7296 3.3.5), kept as received so that an
// attribute this implementation does not know still reaches the negotiation logic (which must
// reject a transform with an unknown attribute rather than ignore it).
struct TransformAttribute {
  uint16_t type = 0;  // without the AF bit
  bool tv = true;     // AF=1: two-octet value in the header; AF=0: TLV
  Bytes value;        // TV: exactly 2 octets (big-endian); TLV: the value field
  friend bool operator==(const TransformAttribute&, const TransformAttribute&) = default;
};

struct Transform {
  crypto::TransformType type = crypto::TransformType::Encr;
  uint16_t id = 0;
  // The Key Length attribute (type 14) in bits; 0 when the transform carries none.
  uint16_t key_bits = 0;
  std::vector<TransformAttribute> other_attributes{};  // usually empty
  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::Ike;
  Bytes spi;  // empty in IKE_SA_INIT, 8 octets for IKE rekey, 4 for ESP/AH
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

enum class TsType : uint8_t { Ipv4AddrRange = 7, Ipv6AddrRange = 8 };

struct TrafficSelector {
  uint8_t ip_protocol = 0;  // 0 = any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  IpAddress start_addr;
  IpAddress end_addr;
  TsType type() const { return start_addr.is_v4() ? TsType::Ipv4AddrRange : TsType::Ipv6AddrRange; }
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

}  // namespace portunus::wire
