// libFuzzer target for the swanctl.conf path: settings syntax -> settings tree -> typed
// SwanctlConfig -> dump_swanctl -> load again. Properties checked:
//  - parsing and loading never crash, read out of bounds or abort (ASan/UBSan watch that);
//  - nothing is read from the filesystem: includes are refused by a zero include depth, so an
//    input naming "/etc/*" or a huge file cannot make the fuzzer's result depend on the host;
//  - the legacy switch only widens what loads: a config that loads without it loads with it
//    to the same model;
//  - a loaded config dumps (secrets included) to text that loads back equal, and that second
//    load dumps to the same text (the round trip is stable, as swanctl.h promises);
//  - quote_settings_value gives text that the settings parser reads back as the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "portunus/config/settings.h"
#include "portunus/config/swanctl.h"

using namespace portunus;
using namespace portunus::config;

namespace {

[[noreturn]] void fail() { std::abort(); }

SettingsLimits sandboxed_limits() {
  SettingsLimits limits;
  limits.max_include_depth = 0;  // every include is an error before glob() runs
  return limits;
}

Result<SwanctlConfig> load(std::string_view text, const std::string& name, const LoadOptions& options) {
  auto tree = parse_settings_text(text, name, /*base_dir=*/"/nonexistent", sandboxed_limits());
  if (!tree) return Unexpected<Error>(tree.error());
  return load_swanctl(*tree, options);
}

// Each value written back as `k = <quoted>` must read back unchanged. Bounded so that a tree
// with thousands of values does not slow every run down.
void check_quoting(const SettingsSection& section, int& budget) {
  for (const auto& v : section.values) {
    if (--budget < 0) return;
    std::string text = "k = " + quote_settings_value(v.value) + "\n";
    auto back = parse_settings_text(text, "quoted", "/nonexistent", sandboxed_limits());
    if (!back) fail();
    const SettingsValue* k = back->find_value("k");
    if (k == nullptr || k->value != v.value) fail();
  }
  for (const auto& s : section.sections) check_quoting(s, budget);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tree = parse_settings_text(text, "fuzz.conf", "/nonexistent", sandboxed_limits());
  if (!tree) {
    if (tree.error().message.empty()) fail();
    return 0;
  }
  int budget = 64;
  check_quoting(*tree, budget);

  LoadOptions strict;
  LoadOptions legacy;
  legacy.allow_legacy_algorithms = true;
  auto strict_cfg = load_swanctl(*tree, strict);
  auto legacy_cfg = load_swanctl(*tree, legacy);
  if (strict_cfg && (!legacy_cfg || !(*legacy_cfg == *strict_cfg))) fail();
  if (!legacy_cfg) {
    if (legacy_cfg.error().message.empty()) fail();
    return 0;
  }
  const LoadOptions& options = strict_cfg ? strict : legacy;
  const SwanctlConfig& cfg = strict_cfg ? *strict_cfg : *legacy_cfg;

  std::string dump = dump_swanctl(cfg, /*include_secrets=*/true);
  auto reloaded = load(dump, "dump.conf", options);
  if (!reloaded) fail();
  if (!(*reloaded == cfg)) fail();
  if (dump_swanctl(*reloaded, true) != dump) fail();
  (void)dump_swanctl(cfg, /*include_secrets=*/false);
  return 0;
}
