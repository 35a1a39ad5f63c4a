#!/usr/bin/env bash
# Harness self-test: charon <-> charon in two namespaces with PSK, tunnel mode, the user-space
# ESP backend (kernel-libipsec) and ESP-in-UDP. If this fails, the environment or
# scripts/netns-lib.sh is broken, not Portunus. Traffic: ping, UDP echo (+1) and a TCP transfer
# both ways through the tunnel.
set -euo pipefail
source "$(dirname "$0")/../../scripts/netns-lib.sh"
command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ] || {
  echo "SKIP: strongSwan not installed (scripts/deps.sh installs it)"
  exit 77
}
nl_init sself

nl_two_hosts inner

write_conf() { # name local remote local_ts remote_ts
  cat >"$NL_DIR/$1/swanctl.conf" <<EOF
connections {
  self {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = $3
    }
    children {
      net {
        local_ts = $4
        remote_ts = $5
        esp_proposals = aes128gcm16
        mode = tunnel
      }
    }
  }
}
secrets {
  ike-self {
    id-a = 192.0.2.1
    id-b = 192.0.2.2
    secret = "portunus selftest secret"
  }
}
EOF
}

nl_charon_start "$L" cl
nl_charon_start "$R" cr
write_conf cl 192.0.2.1 192.0.2.2 198.51.100.0/24 203.0.113.0/24
write_conf cr 192.0.2.2 192.0.2.1 203.0.113.0/24 198.51.100.0/24
nl_swanctl cl --load-all --noprompt --file "$NL_DIR/cl/swanctl.conf" >"$NL_DIR/cl/load.log"
nl_swanctl cr --load-all --noprompt --file "$NL_DIR/cr/swanctl.conf" >"$NL_DIR/cr/load.log"

nl_swanctl cl --initiate --child net --timeout 20 >"$NL_DIR/cl/initiate.log" 2>&1 ||
  nl_fail "charon could not establish the tunnel"
nl_swanctl cl --list-sas >"$NL_DIR/cl/sas.log"
grep -q "ESTABLISHED" "$NL_DIR/cl/sas.log" || nl_fail "no ESTABLISHED IKE SA"
grep -q "INSTALLED, TUNNEL" "$NL_DIR/cl/sas.log" || nl_fail "no installed tunnel Child SA"
nl_pass "IKE and Child SA established"

nl_exec "$L" ping -c 3 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >"$NL_DIR/ping.log" ||
  nl_fail "ping through the tunnel"
nl_exec "$R" ping -c 3 -i 0.2 -W 2 -I 203.0.113.1 198.51.100.1 >>"$NL_DIR/ping.log" ||
  nl_fail "ping back through the tunnel"
nl_pass "ping both ways"

nl_udp_echo_plus1 "$R" 1234
nl_wait_until 5 nl_listening "$R" udp 1234 || nl_fail "echo service did not start"
reply=$(nl_udp_send "$L" 203.0.113.1 1234 "hello portunus") || nl_fail "no UDP echo reply"
[ "$reply" = "$(nl_plus1 "hello portunus")" ] || nl_fail "UDP echo reply '$reply'"
nl_pass "UDP echo through the tunnel: $reply"

nl_tcp_transfer "$R" 203.0.113.1 "$L" 300000 || nl_fail "TCP transfer left -> right"
nl_tcp_transfer "$L" 198.51.100.1 "$R" 300000 || nl_fail "TCP transfer right -> left"
nl_pass "TCP transfer both ways"

# ESP really went over the veth as ESP-in-UDP (INTEROP.md: kernel-libipsec always encapsulates).
nl_swanctl cl --list-sas | grep -q "TUNNEL-in-UDP" || nl_fail "expected UDP encapsulation"
nl_swanctl cl --terminate --ike self --timeout 10 >/dev/null || nl_fail "terminate"
nl_wait_until 5 bash -c "! swanctl --list-sas --uri unix://$NL_DIR/cr/charon.vici | grep -q ESTABLISHED" ||
  nl_fail "peer kept its SA after terminate"
nl_pass "terminate removed the SAs on both sides"
echo "1 passed, 0 failed"
