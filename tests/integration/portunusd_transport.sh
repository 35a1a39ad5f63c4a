#!/usr/bin/env bash
# portunusd <-> portunusd host to host in transport mode over raw ESP (IP protocol 50):
#  1. negotiated by IKE (dynamic selectors = the two outer addresses, start_action=trap);
#  2. keyed by hand with `portunusctl setkey -f` (AES-CBC + HMAC-SHA-256 one way, AES-GCM the
#     other), no IKE at all.
# Each time ping, the UDP echo and a TCP transfer go both ways. Because the peer's address is
# inside the remote selector, this also shows that the daemon's own IKE/ESP packets (fwmark)
# never loop into the TUN device.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
nl_find_binaries "$BUILD" || exit 1
nl_init trans
passed=0
ok() {
  nl_pass "$*"
  passed=$((passed + 1))
}

nl_two_hosts

conf() { # file local remote lid rid
  cat >"$1" <<CONF
connections {
  host {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes256gcm16-prfsha384-ecp384
    local {
      auth = psk
      id = $4
    }
    remote {
      auth = psk
      id = $5
    }
    children {
      hh {
        esp_proposals = aes128-sha256
        mode = transport
        start_action = trap
      }
    }
  }
}
secrets {
  ike-host {
    secret = "transport test key, published, never use it"
  }
}
CONF
}
conf "$NL_DIR/left.conf" 192.0.2.1 192.0.2.2 left@portunus.example right@portunus.example
conf "$NL_DIR/right.conf" 192.0.2.2 192.0.2.1 right@portunus.example left@portunus.example

traffic() { # label
  nl_exec "$L" ping -c 3 -i 0.2 -W 2 192.0.2.2 >"$NL_DIR/ping-$1.log" || nl_fail "$1: ping left -> right"
  nl_exec "$R" ping -c 3 -i 0.2 -W 2 192.0.2.1 >>"$NL_DIR/ping-$1.log" || nl_fail "$1: ping right -> left"
  local reply
  reply=$(nl_udp_send "$L" 192.0.2.2 1234 "transport $1" 2 3) || nl_fail "$1: no UDP echo reply"
  [ "$reply" = "$(nl_plus1 "transport $1")" ] || nl_fail "$1: reply '$reply'"
  nl_tcp_transfer "$R" 192.0.2.2 "$L" 300000 || nl_fail "$1: TCP left -> right"
  nl_tcp_transfer "$L" 192.0.2.1 "$R" 300000 || nl_fail "$1: TCP right -> left"
}

nl_udp_echo_plus1 "$R" 1234
nl_wait_until 5 nl_listening "$R" udp 1234 || nl_fail "echo service"

# --- 1. IKE, transport mode ---------------------------------------------------------------------
nl_portunusd_start "$L" left "$NL_DIR/left.conf"
LP=$NL_PID
nl_portunusd_start "$R" right "$NL_DIR/right.conf"
RP=$NL_PID
traffic ike
mode=$(nl_ctl left --json status | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]["children"][0]
print(c["mode"], c["udp_encap"], c["packets_out"] > 0)')
[ "$mode" = "transport False True" ] || nl_fail "status says '$mode', want transport over raw ESP with packets"
ok "IKE-negotiated transport mode over raw ESP: ping, UDP echo, TCP both ways"
nl_stop "$LP"
nl_stop "$RP"

# --- 2. manual keys (setkey) -----------------------------------------------------------------
printf 'connections {\n}\n' >"$NL_DIR/empty.conf"
keys() { # file: the same SAs on both hosts; policies mirrored
  cat >"$1" <<KEYS
# left -> right: AES-CBC-128 + HMAC-SHA-256-128; right -> left: AES-GCM-128 (key | 4-octet salt)
add 192.0.2.1 192.0.2.2 esp 0x1001 -m transport -r 64
    -E aes-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha256 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ;
add 192.0.2.2 192.0.2.1 esp 0x2002 -m transport -r 64
    -E aes-gcm-16 0xffeeddccbbaa99887766554433221100cafebabe ;
$2
KEYS
}
keys "$NL_DIR/left.setkey" "spdadd 192.0.2.1 192.0.2.2 any -P out ipsec esp/transport//require ;
spdadd 192.0.2.2 192.0.2.1 any -P in ipsec esp/transport//require ;"
keys "$NL_DIR/right.setkey" "spdadd 192.0.2.2 192.0.2.1 any -P out ipsec esp/transport//require ;
spdadd 192.0.2.1 192.0.2.2 any -P in ipsec esp/transport//require ;"
nl_portunusd_start "$L" mleft "$NL_DIR/empty.conf"
nl_portunusd_start "$R" mright "$NL_DIR/empty.conf"
nl_ctl mleft setkey -f "$NL_DIR/left.setkey" >/dev/null || nl_fail "setkey left"
nl_ctl mright setkey -f "$NL_DIR/right.setkey" >/dev/null || nl_fail "setkey right"
traffic manual
hits=$(nl_ctl mleft --json policies | python3 -c 'import json,sys; print(sum(p["hits"] for p in json.load(sys.stdin)))')
[ "$hits" -gt 0 ] || nl_fail "manual policies saw no traffic"
[ "$(nl_ctl_sa_count mleft)" = 0 ] || nl_fail "an IKE SA appeared with manual keys"
ok "manual keys from setkey files: ping, UDP echo, TCP both ways ($hits policy hits, no IKE)"

# A wrong key on one side must break the traffic (the test above is not passing in the clear).
nl_ctl mright sa del --direction in --spi 0x1001 >/dev/null || nl_fail "sa del"
nl_ctl mright sa add --direction in --spi 0x1001 --src 192.0.2.1 --dst 192.0.2.2 --algorithms aes128-sha256 \
  --encr-key 00112233445566778899aabbccddeeff \
  --integ-key 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100 >/dev/null || nl_fail "sa add"
if nl_exec "$L" ping -c 2 -i 0.2 -W 1 192.0.2.2 >/dev/null 2>&1; then
  nl_fail "ping succeeded with a wrong integrity key"
fi
drops=$(nl_ctl mright --json counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["esp"]["discards"].get("icv-mismatch", 0))')
[ "$drops" -gt 0 ] || nl_fail "no ICV failures counted"
ok "a wrong integrity key (sa del / sa add) drops the packets: $drops ICV failures"
# setkey get / spddelete / deleteall on the manual keys.
printf 'get 192.0.2.1 192.0.2.2 esp 0x1001 ;\n' >"$NL_DIR/get.setkey"
got=$(nl_ctl mleft setkey -f "$NL_DIR/get.setkey") || nl_fail "setkey get"
[[ $got == *"spi=0x00001001"*"direction=out"* ]] || nl_fail "setkey get printed: $got"
before=$(nl_ctl mleft --json policies | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
printf 'spddelete 192.0.2.1 192.0.2.2 any -P out ;\ndeleteall 192.0.2.1 192.0.2.2 esp ;\n' >"$NL_DIR/del.setkey"
out=$(nl_ctl mleft setkey -f "$NL_DIR/del.setkey") || nl_fail "setkey spddelete/deleteall"
[[ $out == *"2 removed"* ]] || nl_fail "spddelete + deleteall: $out"
after=$(nl_ctl mleft --json policies | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$after" -eq $((before - 1)) ] || nl_fail "spddelete left $after of $before policies"
if nl_ctl mleft setkey -f "$NL_DIR/get.setkey" >/dev/null 2>&1; then nl_fail "get found a deleted SA"; fi
printf 'spddelete 192.0.2.1 192.0.2.2 any -P out ;\n' >"$NL_DIR/again.setkey"
if nl_ctl mleft setkey -f "$NL_DIR/again.setkey" >/dev/null 2>&1; then nl_fail "spddelete of a missing policy succeeded"; fi
ok "setkey get shows the SA; spddelete and deleteall remove the policy and the SA; missing ones are errors"
echo "$passed passed, 0 failed"
