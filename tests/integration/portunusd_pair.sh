#!/usr/bin/env bash
# portunusd <-> portunusd in two namespaces: configuration checking, trap-triggered IKE,
# traffic both ways (ping, UDP echo, TCP), status/policies, terminate from each side,
# SIGHUP reload keeping the SA, portunusctl exit codes, and a clean SIGTERM shutdown.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
nl_find_binaries "$BUILD" || exit 1
nl_init pair
passed=0
ok() {
  nl_pass "$*"
  passed=$((passed + 1))
}

# --- configuration errors: exit status 2 and file:line naming the key -----------------------
printf 'connections {\n  c {\n    remote_addrs = 192.0.2.2\n    bogus_key = 1\n  }\n}\n' >"$NL_DIR/bad.conf"
set +e
msg=$("$NL_PORTUNUSD" --check-config "$NL_DIR/bad.conf" 2>&1)
rc=$?
set -e
[ "$rc" -eq 2 ] || nl_fail "--check-config on a bad file exited $rc, want 2"
[[ $msg == *"bad.conf:4"*"bogus_key"* ]] || nl_fail "error message does not name file:line and key: $msg"
"$NL_PORTUNUSD" --check-config "$ROOT/examples/config/demo-left.conf" >/dev/null || nl_fail "demo config rejected"
ok "--check-config: status 2 with '$msg'"

set +e
"$NL_PORTUNUSCTL" --socket "$NL_DIR/none.ctl" status >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 3 ] || nl_fail "portunusctl without a daemon exited $rc, want 3"
ok "portunusctl without a daemon: exit status 3"

# --- two hosts --------------------------------------------------------------------------------
nl_two_hosts inner
# The left side also sends a dummy packet (RFC 4303 2.6) every second (Portunus-specific key).
sed 's/^\( *\)rekey_time = 1h$/&\n\1dummy_packets = 1s\n\1dummy_packet_size = 40-80/' \
  "$ROOT/examples/config/demo-left.conf" >"$NL_DIR/left.conf"
grep -q 'dummy_packets = 1s' "$NL_DIR/left.conf" || nl_fail "could not add dummy_packets to the left config"
nl_portunusd_start "$L" left "$NL_DIR/left.conf"
LPID=$NL_PID
nl_portunusd_start "$R" right "$ROOT/examples/config/demo-right.conf"
RPID=$NL_PID
TUN_L=$(nl_exec "$L" ip -o link show | awk -F': ' '$2 ~ /^portunus/ {print $2}')
[ -n "$TUN_L" ] || nl_fail "no TUN device on the left"
nl_exec "$L" ip rule | grep -q "not from all fwmark" || nl_fail "no fwmark rule on the left"
ok "daemons up: TUN $TUN_L and the fwmark bypass rule present"

[ "$(nl_ctl_sa_count left)" = 0 ] || nl_fail "SA before any traffic"
nl_udp_echo_plus1 "$R" 1234
nl_wait_until 5 nl_listening "$R" udp 1234 || nl_fail "echo service"
reply=$(nl_udp_send "$L" 203.0.113.1 1234 "first packet" 2 3) || nl_fail "no UDP echo reply"
[ "$reply" = "$(nl_plus1 "first packet")" ] || nl_fail "reply '$reply'"
nl_ctl_established left || nl_fail "left has no established SA"
nl_ctl_established right || nl_fail "right has no established SA"
ok "trap: first packet negotiated the SAs and came back as '$reply'"
encap=$(nl_ctl left --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["children"][0]["udp_encap"])')
[ "$encap" = False ] || nl_fail "expected plain ESP (IP protocol 50) between two portunusd without NAT"


nl_exec "$L" ping -c 3 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >"$NL_DIR/ping.log" || nl_fail "ping left -> right"
nl_exec "$R" ping -c 3 -i 0.2 -W 2 -I 203.0.113.1 198.51.100.1 >>"$NL_DIR/ping.log" || nl_fail "ping right -> left"
ok "ping both ways"
nl_tcp_transfer "$R" 203.0.113.1 "$L" 500000 || nl_fail "TCP left -> right"
nl_tcp_transfer "$L" 198.51.100.1 "$R" 500000 || nl_fail "TCP right -> left"
ok "TCP transfer (500 kB) both ways over raw ESP (IP protocol 50), SHA-256 verified"

hits=$(nl_ctl left --json policies | python3 -c 'import json,sys; print(max(p["hits"] for p in json.load(sys.stdin)))')
[ "$hits" -gt 0 ] || nl_fail "policy hit counter did not move"
bytes=$(nl_ctl left --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["children"][0]["bytes_out"])')
[ "$bytes" -gt 500000 ] || nl_fail "Child SA byte counter $bytes"
ok "counters: policy hits $hits, Child SA bytes out $bytes"

dummies() {
  nl_ctl right --json counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["esp"]["discards"].get("dummy-packet", 0))'
}
dummies_at_least() { [ "$(dummies)" -ge "$1" ]; }
d1=$(dummies)
nl_wait_until 5 dummies_at_least $((d1 + 2)) || nl_fail "right counted $(dummies) dummy packets, $d1 before"
ok "dummy packets: left sends one a second, right discards them silently ($(dummies) so far)"

# SIGHUP with an unchanged file keeps the SA.
before=$(nl_ctl left --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["spi_i"])')
kill -HUP "$LPID"
sleep 0.5
nl_alive "$LPID" || nl_fail "portunusd died on SIGHUP"
after=$(nl_ctl left --json status | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s[0]["spi_i"] if s else "none")')
[ "$before" = "$after" ] || nl_fail "reload replaced the SA ($before -> $after)"
nl_ctl right reload >/dev/null || nl_fail "portunusctl reload"
ok "SIGHUP and portunusctl reload keep the established SA"

set +e
nl_ctl left initiate no-such-connection >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 4 ] || nl_fail "unknown connection: exit $rc, want 4"
ok "unknown connection name: exit status 4"

# Terminate from the left: the right must lose its SAs too (Delete payload).
nl_ctl left terminate demo >/dev/null || nl_fail "terminate"
nl_wait_until 5 nl_ctl_no_sas right || nl_fail "right kept its SA after the left terminated"
[ "$(nl_ctl_sa_count left)" = 0 ] || nl_fail "left kept its SA"
ok "terminate from the left deleted the SAs on both sides"

# Trap again, then terminate from the right.
reply=$(nl_udp_send "$L" 203.0.113.1 1234 "again" 2 3) || nl_fail "no reply after re-trap"
nl_ctl_established right || nl_fail "no SA after re-trap"
nl_ctl right terminate demo >/dev/null || nl_fail "terminate right"
nl_wait_until 5 nl_ctl_no_sas left || nl_fail "left kept its SA after the right terminated"
ok "re-triggered by traffic, then terminate from the right deleted both"

# Explicit initiate from the right (the responder so far).
nl_ctl right initiate demo >/dev/null || nl_fail "initiate"
nl_wait_until 5 nl_ctl_established left || nl_fail "initiate from the right did not establish"
reply=$(nl_udp_send "$L" 203.0.113.1 1234 "after initiate" 2 3) || nl_fail "no reply after initiate"
ok "portunusctl initiate from the other side"

# SIGTERM: Delete sent, TUN and rule gone.
nl_stop "$RPID"
nl_wait_until 5 nl_ctl_no_sas left || nl_fail "left did not see the right's Delete on SIGTERM"
nl_exec "$R" ip -o link show | grep -q portunus && nl_fail "TUN device left behind"
nl_exec "$R" ip rule | grep -q "fwmark" && nl_fail "policy rule left behind"
ok "SIGTERM: peer deleted the SA, TUN device and rule removed"

# RFC 7815: the left as a minimal initiator against the full responder on the right.
nl_stop "$LPID"
nl_portunusd_start "$R" right2 "$ROOT/examples/config/demo-right.conf"
nl_portunusd_start "$L" minimal "$ROOT/examples/config/demo-left.conf" --minimal-initiator demo
MP=$NL_PID
reply=$(nl_udp_send "$L" 203.0.113.1 1234 "minimal" 2 5) || nl_fail "minimal initiator: no reply"
[ "$reply" = "$(nl_plus1 "minimal")" ] || nl_fail "minimal initiator: reply '$reply'"
nl_ctl_established right2 || nl_fail "full responder has no SA with the minimal initiator"
nl_ctl right2 rekey demo >/dev/null 2>&1 || true # the minimal initiator refuses or ignores it
sleep 1
nl_alive "$MP" || nl_fail "minimal initiator died"
reply=$(nl_udp_send "$L" 203.0.113.1 1234 "still" 2 3) || nl_fail "minimal initiator: no traffic after the responder's rekey attempt"
ok "RFC 7815 minimal initiator against the full responder: trap, traffic, survives a rekey request"

echo "$passed passed, 0 failed"
