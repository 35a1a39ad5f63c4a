#!/usr/bin/env bash
# portunusd <-> portunusd with IPv6 outer and inner addresses: raw ESP over IPv6 (the path where
# the raw socket delivers no IP header), ChaCha20-Poly1305, trap-triggered; ping both ways,
# UDP echo and TCP through the tunnel.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
nl_find_binaries "$BUILD" || exit 1
nl_init six
nl_ns left; L=$NL_NS; nl_ns right; R=$NL_NS
nl_veth "$L" 192.0.2.1/24 "$R" 192.0.2.2/24
nl_addr "$L" 2001:db8:1::1/64 eth0; nl_addr "$R" 2001:db8:1::2/64 eth0
nl_addr "$L" 2001:db8:a::1/128; nl_addr "$R" 2001:db8:b::1/128
for side in left right; do
  if [ $side = left ]; then la=2001:db8:1::1 ra=2001:db8:1::2 lts=2001:db8:a::/64 rts=2001:db8:b::/64; else la=2001:db8:1::2 ra=2001:db8:1::1 lts=2001:db8:b::/64 rts=2001:db8:a::/64; fi
  cat > $NL_DIR/$side.conf <<CONF
connections {
  six {
    local_addrs = $la
    remote_addrs = $ra
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = chacha20poly1305
        start_action = trap
      }
    }
  }
}
secrets {
  ike-six {
    secret = "six"
  }
}
CONF
done
nl_portunusd_start "$L" left "$NL_DIR/left.conf"
nl_portunusd_start "$R" right "$NL_DIR/right.conf"
nl_exec "$L" ping -c 3 -i 0.3 -W 2 -I 2001:db8:a::1 2001:db8:b::1 >"$NL_DIR/ping.log" || nl_fail "ping6 left -> right"
nl_exec "$R" ping -c 3 -i 0.3 -W 2 -I 2001:db8:b::1 2001:db8:a::1 >>"$NL_DIR/ping.log" || nl_fail "ping6 right -> left"
nl_udp_echo_plus1 "$R" 1234
nl_wait_until 5 nl_listening "$R" udp 1234 || nl_fail "echo service"
reply=$(nl_udp_send "$L" 2001:db8:b::1 1234 "over IPv6" 2 3) || nl_fail "no UDP echo reply"
[ "$reply" = "$(nl_plus1 "over IPv6")" ] || nl_fail "reply '$reply'"
nl_tcp_transfer "$R" 2001:db8:b::1 "$L" 300000 || nl_fail "TCP left -> right"
nl_tcp_transfer "$L" 2001:db8:a::1 "$R" 300000 || nl_fail "TCP right -> left"
enc=$(nl_ctl left --json status | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]["children"][0]; print(c["encr"], c["udp_encap"])')
[ "$enc" = "CHACHA20_POLY1305 False" ] || nl_fail "status: $enc"
nl_pass "IPv6 outer and inner, raw ESP, ChaCha20-Poly1305: ping, UDP echo, TCP both ways"
echo "1 passed, 0 failed"
