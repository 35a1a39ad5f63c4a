#!/usr/bin/env bash
# Reload semantics: an unchanged connection keeps its SAs; a changed one (here its ESP
# proposal) has its SAs closed with Delete payloads and negotiated again under the new
# definition by its trap; a connection removed from the file loses its SAs on both sides;
# a file that no longer parses keeps the running configuration.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
nl_find_binaries "$BUILD" || exit 1
nl_init rld
passed=0
ok() {
  nl_pass "$*"
  passed=$((passed + 1))
}

nl_two_hosts inner
# The right accepts both ESP proposals, so the left's change can be negotiated.
sed 's/esp_proposals = aes128gcm16/esp_proposals = aes128gcm16, aes256gcm16/' \
  "$ROOT/examples/config/demo-right.conf" >"$NL_DIR/right.conf"
cp "$ROOT/examples/config/demo-left.conf" "$NL_DIR/left.conf"
nl_portunusd_start "$L" left "$NL_DIR/left.conf"
LPID=$NL_PID
nl_portunusd_start "$R" right "$NL_DIR/right.conf"
nl_udp_echo_plus1 "$R" 1234
nl_wait_until 5 nl_listening "$R" udp 1234 || nl_fail "echo service"

# child_field NAME FIELD: that field of the first Child SA the daemon reports ("none" if none).
child_field() {
  nl_ctl "$1" --json status | python3 -c '
import json, sys
kids = [c for sa in json.load(sys.stdin) for c in sa["children"]]
print(kids[0][sys.argv[1]] if kids else "none")' "$2"
}
echo_through() {
  local reply
  reply=$(nl_udp_send "$L" 203.0.113.1 1234 "$1" 2 5) || nl_fail "no echo for '$1'"
  [ "$reply" = "$(nl_plus1 "$1")" ] || nl_fail "reply '$reply' for '$1'"
}

echo_through "before reload"
spi=$(child_field left spi_in)
bits=$(child_field left encr_key_bits)
[ "$bits" = 128 ] || nl_fail "first Child SA uses $bits-bit keys"

# 1. Unchanged file (comments added): the SA stays.
printf '\n# a comment changes nothing\n' >>"$NL_DIR/left.conf"
nl_ctl left reload >/dev/null || nl_fail "portunusctl reload"
[ "$(child_field left spi_in)" = "$spi" ] || nl_fail "an unchanged connection lost its SA on reload"
echo_through "after an unchanged reload"
ok "reload of an unchanged connection keeps Child SA $spi"

# 2. A file that does not parse: the running configuration and its SA stay.
cp "$NL_DIR/left.conf" "$NL_DIR/left.good"
printf 'connections {\n  broken {\n' >>"$NL_DIR/left.conf"
nl_ctl left reload >/dev/null 2>&1 || true
nl_alive "$LPID" || nl_fail "portunusd died on a broken reload"
[ "$(child_field left spi_in)" = "$spi" ] || nl_fail "a failed reload dropped the SA"
grep -q "reload failed, keeping the running configuration" "$NL_DIR/left.log" || nl_fail "no log line for the failed reload"
cp "$NL_DIR/left.good" "$NL_DIR/left.conf"
ok "a broken file on reload keeps the running configuration and the SA"

# 3. The connection changes (AES-256-GCM for ESP): its SAs are closed on both sides and the
#    next packet negotiates new ones with the new proposal.
sed -i 's/esp_proposals = aes128gcm16/esp_proposals = aes256gcm16/' "$NL_DIR/left.conf"
kill -HUP "$LPID"
nl_wait_until 5 nl_ctl_no_sas right || nl_fail "the right kept the SAs of the changed connection"
grep -q "connection 'demo' changed" "$NL_DIR/left.log" || nl_fail "no log line for the changed connection"
echo_through "after the change"
bits=$(child_field left encr_key_bits)
[ "$bits" = 256 ] || nl_fail "the renegotiated Child SA uses $bits-bit keys, want 256"
[ "$(child_field left spi_in)" != "$spi" ] || nl_fail "the Child SA was not replaced"
ok "a changed connection: SAs closed on both sides, renegotiated with AES-256-GCM by the trap"

# 4. The connection is removed: its SAs go on both sides, and its trap with them.
printf 'connections {\n}\n' >"$NL_DIR/left.conf"
nl_ctl left reload >/dev/null || nl_fail "portunusctl reload"
nl_wait_until 5 nl_ctl_no_sas left || nl_fail "the left kept the SAs of a removed connection"
nl_wait_until 5 nl_ctl_no_sas right || nl_fail "the right kept the SAs of a connection the left removed"
[ "$(nl_ctl left --json policies | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
  nl_fail "policies of the removed connection remain"
ok "a removed connection: SAs deleted on both sides, no policy left"
echo "$passed passed, 0 failed"
