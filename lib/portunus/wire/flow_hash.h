#pragma once
// A FlowKey as five words and a hash of them, for the direct-mapped flow caches in front of
// the SPD (Spd::lookup) and of the SPD + SAD (ipsec::Engine::outbound). Comparing five
// words is the cache's whole hit test, so every field a lookup depends on is in them.
#include <array>
#include <cstdint>
#include <cstring>

#include "portunus/wire/ip_packet.h"

namespace portunus::wire {

using FlowWords = std::array<uint64_t, 5>;

// `tag` is one more octet of the caller's (the SPD puts the direction there).
inline FlowWords flow_words(const FlowKey& f, uint8_t tag = 0) {
  FlowWords k;
  k[0] = uint64_t{static_cast<uint8_t>(f.family)} | uint64_t{f.protocol} << 8 | uint64_t{tag} << 16 |
         uint64_t{f.ports_opaque} << 24 | uint64_t{f.src_port} << 32 | uint64_t{f.dst_port} << 48;
  std::memcpy(&k[1], f.src, 16);
  std::memcpy(&k[3], f.dst, 16);
  return k;
}

// One multiply per word and a finalizer; the index of a 2^bits-entry cache is the top bits.
inline size_t flow_slot(const FlowWords& k, unsigned bits) {
  uint64_t h = k[0] * 0x9e3779b97f4a7c15ULL + k[1] * 0xc2b2ae3d27d4eb4fULL + k[2] * 0x165667b19e3779f9ULL +
               k[3] * 0xd6e8feb86659fd93ULL + k[4] * 0xff51afd7ed558ccdULL;
  h = (h ^ (h >> 32)) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(h >> (64 - bits));
}

}  // namespace portunus::wire
