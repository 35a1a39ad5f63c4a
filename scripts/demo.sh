#!/usr/bin/env bash
# The Portunus demo: two hosts (network namespaces "left" and "right" joined by a veth pair,
# documentation addresses only), portunusd on each with examples/config/demo-{left,right}.conf
# (PSK, X25519, AES-GCM, tunnel mode, start_action=trap), and a UDP echo service on the right
# that answers every byte incremented by one. The first packet of the line we send hits the
# trap policy and starts IKE; the reply comes back through the tunnel. Then both sides'
# `portunusctl status` is shown and everything is torn down.
#
#   sudo bash scripts/demo.sh                # portunusd <-> portunusd
#   sudo bash scripts/demo.sh --strongswan   # strongSwan's charon as the right-hand peer
#   sudo bash scripts/demo.sh --iperf        # also measure TCP throughput (iperf3, 5 s)
#
#   left  (198.51.100.1 on lo) 192.0.2.1 ==== veth ==== 192.0.2.2 (203.0.113.1 on lo)  right
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PEER=portunusd
IPERF=0
MESSAGE="Hello through the tunnel"
for arg in "$@"; do
  case $arg in
  --strongswan) PEER=strongswan ;;
  --iperf) IPERF=1 ;;
  --message=*) MESSAGE=${arg#--message=} ;;
  -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "unknown option $arg (try --help)" >&2
    exit 2
    ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "The demo needs root (network namespaces, TUN devices): sudo bash scripts/demo.sh" >&2
  exit 1
fi

bash scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -x "$BUILD_DIR/tools/portunusd/portunusd" ] || [ ! -x "$BUILD_DIR/tools/portunusctl/portunusctl" ] ||
  [ -n "$(find lib tools -newer "$BUILD_DIR/tools/portunusd/portunusd" -name '*.[ch]*' -print -quit 2>/dev/null)" ]; then
  echo "== building portunusd and portunusctl into $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTUNUS_WERROR=ON >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target portunusd portunusctl
fi

source scripts/netns-lib.sh
nl_find_binaries "$BUILD_DIR"
nl_init demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "two hosts: namespaces joined by a veth pair"
nl_two_hosts inner
echo "left  $L: 192.0.2.1 (protected network 198.51.100.0/24, host 198.51.100.1)"
echo "right $R: 192.0.2.2 (protected network 203.0.113.0/24, host 203.0.113.1)"

step "starting portunusd on the left"
nl_portunusd_start "$L" left "$ROOT/examples/config/demo-left.conf"
echo "portunusd left: pid $NL_PID"

if [ "$PEER" = strongswan ]; then
  step "starting strongSwan (charon, user-space ESP) on the right"
  nl_charon_start "$R" right
  # swanctl also looks for x509/, private/ ... beside the file; their absence is not an error.
  nl_swanctl right --load-all --noprompt --file "$ROOT/examples/config/demo-right.conf" >"$NL_DIR/right/load.log" 2>&1 ||
    nl_fail "swanctl could not load demo-right.conf"
  echo "charon right: pid $NL_PID"
else
  step "starting portunusd on the right"
  nl_portunusd_start "$R" right "$ROOT/examples/config/demo-right.conf"
  echo "portunusd right: pid $NL_PID"
fi

step "UDP echo service on 203.0.113.1 port 1234 (answers every byte + 1)"
nl_udp_echo_plus1 "$R" 1234
nl_wait_until 5 nl_listening "$R" udp 1234 || nl_fail "echo service did not start"

step "left sends \"$MESSAGE\" to 203.0.113.1:1234 (the first packet triggers IKE)"
start=$(date +%s%N)
if ! reply=$(nl_udp_send "$L" 203.0.113.1 1234 "$MESSAGE" 2 5); then
  nl_fail "no reply through the tunnel"
fi
ms=$((($(date +%s%N) - start) / 1000000))
echo "reply: \"$reply\"  (${ms} ms including the IKE negotiation)"
[ "$reply" = "$(nl_plus1 "$MESSAGE")" ] || nl_fail "unexpected reply"

step "portunusctl status (left)"
nl_ctl left status
step "$([ "$PEER" = strongswan ] && echo "swanctl --list-sas (right)" || echo "portunusctl status (right)")"
if [ "$PEER" = strongswan ]; then
  nl_swanctl right --list-sas
else
  nl_ctl right status
fi

if ((IPERF)); then
  step "TCP throughput through the tunnel (iperf3, 5 s, left -> right)"
  nl_spawn "$R" "$NL_DIR/iperf-server.log" iperf3 -s -B 203.0.113.1
  nl_wait_until 5 nl_listening "$R" tcp 5201 || nl_fail "iperf3 server did not start"
  nl_exec "$L" iperf3 -c 203.0.113.1 -B 198.51.100.1 -t 5 | grep -E "sender|receiver"
fi

step "tearing down (SIGTERM: Delete payloads, routes and TUN removed; namespaces deleted)"
trap - EXIT
NL_FAILED=0
nl_cleanup
