#!/usr/bin/env bash
# Rekeying and liveness against strongSwan: while a ping runs every 50 ms through the tunnel,
# the Child SA and then the IKE SA are rekeyed, each started once by portunusd and once by
# charon; the loss must stay within a small bound and exactly one IKE SA with one Child SA
# (with new SPIs) must remain. Then charon is killed (SIGKILL, no Delete) and portunusd's
# liveness check (dpd_delay with a short retransmission budget) must remove the SAs.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ] || {
  echo "SKIP: strongSwan not installed"
  exit 77
}
nl_find_binaries "$BUILD" || exit 1
nl_init rkdp
passed=0
ok() {
  nl_pass "$*"
  passed=$((passed + 1))
}

nl_two_hosts inner

conf() { # file local remote lid rid lts rts
  cat >"$1" <<CONF
connections {
  rk {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128gcm16-prfsha256-x25519
    dpd_delay = 2s
    local {
      auth = psk
      id = $4
    }
    remote {
      auth = psk
      id = $5
    }
    children {
      net {
        local_ts = $6
        remote_ts = $7
        esp_proposals = aes128gcm16-x25519
        mode = tunnel
      }
    }
  }
}
secrets {
  ike-rk {
    id-l = left@portunus.example
    id-r = right@portunus.example
    secret = "rekey test key, published, never use it"
  }
}
CONF
}
conf "$NL_DIR/left.conf" 192.0.2.1 192.0.2.2 left@portunus.example right@portunus.example 198.51.100.0/24 203.0.113.0/24
mkdir -p "$NL_DIR/cr"
conf "$NL_DIR/cr/swanctl.conf" 192.0.2.2 192.0.2.1 right@portunus.example left@portunus.example 203.0.113.0/24 198.51.100.0/24

nl_portunusd_start "$L" left "$NL_DIR/left.conf" --retransmit-timeout 500 --retransmit-base 1.5 --retransmit-tries 2
nl_charon_start "$R" cr
CPID=$NL_PID
nl_swanctl cr --load-all --noprompt --file "$NL_DIR/cr/swanctl.conf" >"$NL_DIR/cr/load.log" 2>&1
nl_ctl left initiate rk >/dev/null
nl_wait_until 10 nl_ctl_established left || nl_fail "no SA"
spis() { nl_ctl left --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(len(s), sum(len(x["children"]) for x in s), s[0]["spi_i"] if s else "-", s[0]["children"][0]["spi_in"] if s and s[0]["children"] else "-")'; }
read -r ike0 child0 ikespi0 childspi0 <<<"$(spis)"
ok "established: IKE SPI $ikespi0, Child SPI $childspi0"

# 160 pings at 50 ms = 8 s of traffic across all four rekeys.
nl_exec "$L" ping -c 160 -i 0.05 -W 1 -I 198.51.100.1 203.0.113.1 >"$NL_DIR/ping.log" 2>&1 &
PING=$!
sleep 1
nl_ctl left rekey rk >/dev/null || nl_fail "portunusctl rekey (child)"
sleep 1.5
nl_swanctl cr --rekey --child net >/dev/null 2>&1 || nl_fail "swanctl --rekey --child"
sleep 1.5
nl_ctl left rekey rk --ike >/dev/null || nl_fail "portunusctl rekey --ike"
sleep 1.5
nl_swanctl cr --rekey --ike rk >/dev/null 2>&1 || nl_fail "swanctl --rekey --ike"
wait "$PING" || true
loss=$(grep -oE '[0-9]+ received' "$NL_DIR/ping.log" | awk '{print 160 - $1}')
[ -n "$loss" ] || nl_fail "ping output unreadable"
sleep 1
read -r ike1 child1 ikespi1 childspi1 <<<"$(spis)"
[ "$ike1" = 1 ] && [ "$child1" = 1 ] || nl_fail "after rekeys: $ike1 IKE SAs, $child1 Child SAs (want 1 and 1)"
[ "$ikespi1" != "$ikespi0" ] || nl_fail "IKE SA SPI unchanged after two IKE rekeys"
[ "$childspi1" != "$childspi0" ] || nl_fail "Child SA SPI unchanged after two Child rekeys"
nl_exec "$L" ping -c 2 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >/dev/null || nl_fail "no traffic after the rekeys"
[ "$loss" -le 3 ] || nl_fail "$loss of 160 pings lost during the rekeys"
ok "Child and IKE rekey from both sides under traffic: $loss/160 pings lost, SPIs $ikespi0 -> $ikespi1, $childspi0 -> $childspi1"

# Liveness: the peer vanishes without a Delete.
kill -KILL "$CPID"
start=$(date +%s)
nl_wait_until 30 nl_ctl_no_sas left || {
  nl_ctl left status >&2
  nl_fail "dead peer not detected within 30 s"
}
ok "dead peer detected by the liveness check after $(($(date +%s) - start)) s, SAs removed"
echo "$passed passed, 0 failed"
