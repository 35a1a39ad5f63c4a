#!/usr/bin/env bash
# portunusd <-> strongSwan (charon 5.9 with its user-space ESP backend, INTEROP.md) in two
# namespaces. The same swanctl.conf text configures both sides. For each IKE/ESP proposal
# pair of issue 5 both roles are run (portunusd initiates, charon initiates), over IPv4 and
# then IPv6 outer addresses; each scenario checks ping both ways, the UDP echo and TCP
# transfers both ways, then terminates from the side that did not initiate and checks that
# both sides dropped their SAs. charon always floats to UDP 4500 (it fakes a NAT), so this also
# exercises NAT-T and ESP-in-UDP.
set -uo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ] || {
  echo "SKIP: strongSwan not installed (scripts/deps.sh installs it)"
  exit 77
}
nl_find_binaries "$BUILD" || exit 1
nl_init ssin
set -e

nl_two_hosts
nl_addr "$L" 2001:db8:1::1/64 eth0
nl_addr "$R" 2001:db8:1::2/64 eth0
nl_addr "$L" 198.51.100.1/32
nl_addr "$R" 203.0.113.1/32
nl_udp_echo_plus1 "$R" 1234
set +e

# write_conf FILE LOCAL REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS IKE ESP
write_conf() {
  cat >"$1" <<CONF
connections {
  interop {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $8
    mobike = no
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
        esp_proposals = $9
        mode = tunnel
      }
    }
  }
}
secrets {
  ike-interop {
    id-l = left@portunus.example
    id-r = right@portunus.example
    secret = "interop test key, published, never use it"
  }
}
CONF
}


n=0
passed=0
failed=0
failures=()

# scenario IKE ESP INITIATOR(portunusd|strongswan) FAMILY(4|6)
scenario() {
  local ike=$1 esp=$2 initiator=$3 fam=$4
  n=$((n + 1))
  local name="s$n" la=192.0.2.1 ra=192.0.2.2
  if [ "$fam" = 6 ]; then
    la=2001:db8:1::1
    ra=2001:db8:1::2
  fi
  local label="IPv$fam $ike / $esp, $initiator initiates"
  write_conf "$NL_DIR/$name-left.conf" $la $ra left@portunus.example right@portunus.example \
    198.51.100.0/24 203.0.113.0/24 "$ike" "$esp"
  mkdir -p "$NL_DIR/c$n"
  write_conf "$NL_DIR/c$n/swanctl.conf" $ra $la right@portunus.example left@portunus.example \
    203.0.113.0/24 198.51.100.0/24 "$ike" "$esp"
  nl_portunusd_start "$L" "$name" "$NL_DIR/$name-left.conf"
  local ppid=$NL_PID
  nl_charon_start "$R" "c$n"
  local cpid=$NL_PID
  local why=""
  nl_swanctl "c$n" --load-all --noprompt --file "$NL_DIR/c$n/swanctl.conf" >"$NL_DIR/c$n/load.log" 2>&1 ||
    why="swanctl --load-all failed"
  [ -z "$why" ] && why=$(nl_interop_up_and_ping "$L" "$R" "$name" interop "c$n" "$initiator")
  if [ -z "$why" ]; then
    local reply
    reply=$(nl_udp_send "$L" 203.0.113.1 1234 "interop $n" 2 3) || why="no UDP echo reply"
    [ -z "$why" ] && [ "$reply" != "$(nl_plus1 "interop $n")" ] && why="UDP echo reply '$reply'"
  fi
  [ -z "$why" ] && { nl_tcp_transfer "$R" 203.0.113.1 "$L" 200000 || why="TCP left -> right"; }
  [ -z "$why" ] && { nl_tcp_transfer "$L" 198.51.100.1 "$R" 200000 || why="TCP right -> left"; }
  if [ -z "$why" ]; then
    # Terminate from the side that did not initiate; both must drop their SAs.
    if [ "$initiator" = portunusd ]; then
      nl_swanctl "c$n" --terminate --ike interop --timeout 10 >/dev/null 2>&1 || why="swanctl --terminate failed"
      [ -z "$why" ] && { nl_wait_until 5 nl_ctl_no_sas "$name" || why="portunusd kept its SA after charon's Delete"; }
    else
      nl_ctl "$name" terminate interop >/dev/null 2>&1 || why="portunusctl terminate failed"
      [ -z "$why" ] && { nl_wait_until 5 nl_charon_down "c$n" || why="charon kept its SA after portunusd's Delete"; }
    fi
  fi
  nl_stop "$ppid"
  nl_stop "$cpid"
  if [ -z "$why" ]; then
    nl_pass "$label"
    passed=$((passed + 1))
  else
    echo "FAIL: $label: $why" >&2
    echo "----- portunusd log ($name.log, last 25 lines)" >&2
    tail -n 25 "$NL_DIR/$name.log" >&2
    echo "----- charon log (c$n, IKE lines, last 25)" >&2
    grep -E "IKE|CFG|ENC|NET" "$NL_DIR/c$n/charon.log" | tail -n 25 >&2
    failed=$((failed + 1))
    failures+=("$label: $why")
  fi
}

PAIRS=(
  "aes128gcm16-prfsha256-x25519 aes128gcm16"
  "aes256gcm16-prfsha384-ecp384 aes256gcm16"
  "chacha20poly1305-prfsha256-curve25519 chacha20poly1305"
  "aes128-sha256-modp2048 aes128-sha256"
  "aes128ctr-aesxcbc-ecp192 aes128ctr-aesxcbc"
)
for pair in "${PAIRS[@]}"; do
  read -r ike esp <<<"$pair"
  scenario "$ike" "$esp" portunusd 4
  scenario "$ike" "$esp" strongswan 4
done
scenario aes128gcm16-prfsha256-x25519 aes128gcm16 portunusd 6
scenario aes256gcm16-prfsha384-ecp384 aes256gcm16 strongswan 6

if ((failed)); then
  NL_FAILED=1
  printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "$passed passed, $failed failed"
((failed == 0))
