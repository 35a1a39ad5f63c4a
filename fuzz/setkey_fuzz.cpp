// libFuzzer target for setkey(8) files: text -> setkey::Command list -> ipsec::SaParams /
// ipsec::Policy. Properties checked:
//  - setkey::parse never crashes, reads out of bounds or aborts, with or without the legacy
//    switch (ASan/UBSan watch that); parse() takes text only, so nothing touches the filesystem;
//  - the legacy switch only widens what parses: text that parses without it parses with it
//    to the same commands;
//  - every `add` converts (or is refused with a message) both as an inbound SA (destination
//    local) and as an outbound SA (source local), and a converted SA keeps the SPI and the
//    direction asked for; every `spdadd` converts or is refused with a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "portunus/config/setkey.h"
#include "portunus/config/setkey_ipsec.h"

using namespace portunus;
using namespace portunus::config;

namespace {

[[noreturn]] void fail() { std::abort(); }

void check_sa(const setkey::Command& c, const IpAddress& local, ipsec::Direction expected) {
  auto p = setkey::to_sa_params(c, std::vector<IpAddress>{local});
  if (!p) {
    if (p.error().message.empty()) fail();
    return;
  }
  if (p->spi != c.sa.spi || p->direction != expected) fail();
}

void convert(const std::vector<setkey::Command>& commands) {
  for (const auto& c : commands) {
    switch (c.op) {
      case setkey::Op::Add:
        if (c.sa.src.address == c.sa.dst.address) {
          // Both ends local: the direction is ambiguous and must be refused.
          if (setkey::to_sa_params(c, {c.sa.src.address})) fail();
        } else {
          check_sa(c, c.sa.dst.address, ipsec::Direction::Inbound);
          check_sa(c, c.sa.src.address, ipsec::Direction::Outbound);
        }
        break;
      case setkey::Op::SpdAdd: {
        auto policy = setkey::to_policy(c);
        if (!policy && policy.error().message.empty()) fail();
        break;
      }
      default:
        // Other operations install nothing; to_sa_params must refuse them.
        if (setkey::to_sa_params(c, {c.sa.src.address})) fail();
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  setkey::ParseOptions strict;
  setkey::ParseOptions legacy;
  legacy.allow_legacy_algorithms = true;
  auto strict_cmds = setkey::parse(text, "fuzz.setkey", strict);
  auto legacy_cmds = setkey::parse(text, "fuzz.setkey", legacy);
  if (strict_cmds && (!legacy_cmds || !(*legacy_cmds == *strict_cmds))) fail();
  if (!legacy_cmds) {
    if (legacy_cmds.error().message.empty()) fail();
    return 0;
  }
  convert(*legacy_cmds);
  return 0;
}
