# shellcheck shell=bash
# Shared helpers for the network-namespace tests and the demo. Source it, then call nl_init.
#
# Everything a test creates (namespaces, processes, state directories) is recorded here and
# removed by nl_cleanup, which nl_init installs as an EXIT/INT/TERM trap: processes are stopped
# by the pid we recorded (never by name, other tests and people may run the same programs), then
# the namespaces are deleted. Addresses are documentation ranges only (RFC 5737, RFC 3849).
#
#   nl_init TAG                     state dir in $NL_DIR, trap installed
#   nl_ns NAME                      create namespace "$NL_PREFIX$NAME" (lo up); its name in $NL_NS
#   nl_veth NS_A ADDR_A NS_B ADDR_B veth pair between two namespaces with addr/prefix on each end
#   nl_addr NS ADDR [DEV]           add addr/prefix on DEV (default lo, the kernel has no dummy)
#   nl_spawn NS LOG CMD...          start CMD in NS in the background, log to LOG, record the pid in $NL_PID
#   nl_stop PID                     SIGTERM, wait up to 5 s, then SIGKILL
#   nl_wait_until SECS CMD...       poll CMD every 0.1 s until it succeeds or SECS elapse
#   nl_exec NS CMD...               run CMD inside NS
#   nl_charon_start NS NAME CONF_EXTRA   charon with its user-space IPsec backend (see INTEROP.md)
#   nl_swanctl NAME CMD ARGS...     swanctl CMD against that charon's vici socket
#   nl_pass MSG / nl_fail MSG       result lines; nl_fail exits 1 (the trap cleans up)
#   nl_find_binaries BUILD_DIR      locate portunusd / portunusctl
#   nl_portunusd_start NS NAME CONF portunusd with control socket $NL_DIR/NAME.ctl
#   nl_ctl NAME ARGS...             portunusctl against it
#   nl_udp_echo_plus1, nl_udp_send, nl_tcp_transfer   traffic through the tunnel

NL_PIDS=()
NL_VETHS=0
NL_NAMESPACES=()
NL_DIR=""
NL_PREFIX=""
NL_KEEP=${NL_KEEP:-0}
NL_FAILED=0

nl_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

nl_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (network namespaces, TUN)" >&2
    exit 77
  fi
}

nl_init() {
  local tag=${1:-nl}
  nl_require_root
  # Short names: interface names are limited to 15 bytes and the prefix goes into veth names.
  NL_PREFIX="${tag:0:4}$$"
  NL_DIR=$(mktemp -d "/tmp/portunus-${tag}.XXXXXX")
  trap 'nl_cleanup' EXIT
  trap 'NL_FAILED=1; exit 130' INT
  trap 'NL_FAILED=1; exit 143' TERM
}

nl_ns() {
  local ns="${NL_PREFIX}$1"
  ip netns add "$ns"
  NL_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  # Not echoed: a caller using $(nl_ns ...) would record the namespace in a subshell only.
  NL_NS=$ns
}

nl_exec() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

nl_veth() {
  local ns_a=$1 addr_a=$2 ns_b=$3 addr_b=$4
  NL_VETHS=$((NL_VETHS + 1))
  local if_a="v${NL_PREFIX}a${NL_VETHS}" if_b="v${NL_PREFIX}b${NL_VETHS}"
  if_a=${if_a:0:15}
  if_b=${if_b:0:15}
  ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b"
  ip -n "$ns_a" link set "$if_a" name eth0
  ip -n "$ns_b" link set "$if_b" name eth0
  nl_addr "$ns_a" "$addr_a" eth0
  nl_addr "$ns_b" "$addr_b" eth0
  ip -n "$ns_a" link set eth0 up
  ip -n "$ns_b" link set eth0 up
}

# nl_two_hosts [inner]: the usual pair of hosts, namespaces "left" and "right" (their names in
# $L and $R) joined by a veth pair, 192.0.2.1 and 192.0.2.2 on eth0; with "inner", also the
# protected addresses 198.51.100.1 (left) and 203.0.113.1 (right) on lo.
nl_two_hosts() {
  nl_ns left
  L=$NL_NS
  nl_ns right
  R=$NL_NS
  nl_veth "$L" 192.0.2.1/24 "$R" 192.0.2.2/24
  if [ "${1:-}" = inner ]; then
    nl_addr "$L" 198.51.100.1/32
    nl_addr "$R" 203.0.113.1/32
  fi
}

nl_addr() {
  local ns=$1 addr=$2 dev=${3:-lo}
  if [[ $addr == *:* ]]; then
    # nodad: the address is usable at once instead of after duplicate address detection.
    ip -n "$ns" -6 addr add "$addr" dev "$dev" nodad
  else
    ip -n "$ns" addr add "$addr" dev "$dev"
  fi
}

nl_spawn() {
  local ns=$1 log=$2
  shift 2
  # ip netns exec execs the command after setns, so $! is the command's own pid.
  ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
  NL_PID=$!
  NL_PIDS+=("$NL_PID")
}

nl_alive() { kill -0 "$1" 2>/dev/null; }

nl_stop() {
  local pid=$1 i
  nl_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    nl_alive "$pid" || break
    sleep 0.1
  done
  if nl_alive "$pid"; then
    nl_log "pid $pid ignored SIGTERM, killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

nl_wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

nl_cleanup() {
  local rc=$? pid ns
  trap - EXIT INT TERM
  ((rc != 0)) && NL_FAILED=1
  for ((i = ${#NL_PIDS[@]} - 1; i >= 0; i--)); do
    nl_stop "${NL_PIDS[i]}"
  done
  for ns in "${NL_NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ -n "$NL_DIR" ] && [ -d "$NL_DIR" ]; then
    if ((NL_FAILED)); then
      # On failure the logs are what a person needs: print them before removing the directory.
      local f
      for f in $(find "$NL_DIR" -name '*.log' -type f | sort); do
        echo "===== $f (last 60 lines)" >&2
        tail -n 60 "$f" >&2
      done
    fi
    if ((NL_KEEP)); then
      echo "state kept in $NL_DIR" >&2
    else
      rm -rf "$NL_DIR"
    fi
  fi
  exit "$rc"
}

nl_pass() { echo "PASS: $*"; }
nl_fail() {
  echo "FAIL: $*" >&2
  NL_FAILED=1
  exit 1
}

# ---- strongSwan (charon) as a peer ---------------------------------------------------------
# The kernel has no ESP, so charon runs with kernel-libipsec (user-space ESP over TUN ipsec0).
# charon hard-codes /var/run/charon.pid, so each instance gets its own mount namespace with a
# private directory bound on /run; the vici socket lives there and swanctl reaches it by path.

NL_CHARON_PLUGINS=${NL_CHARON_PLUGINS:-"random nonce openssl aes gcm sha1 sha2 hmac kdf curve25519 ctr xcbc cmac chapoly pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici"}

# nl_charon_start NS NAME [EXTRA_CHARON_SETTINGS]: $NL_DIR/NAME is the state dir; pid in $NL_PID.
nl_charon_start() {
  local ns=$1 name=$2 extra=${3:-}
  local dir="$NL_DIR/$name"
  mkdir -p "$dir"
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load = $NL_CHARON_PLUGINS
  install_routes = yes
  $extra
  filelog {
    charon {
      path = /run/charon.log
      time_format = %H:%M:%S
      default = 1
      ike = 2
      cfg = 2
      knl = 2
    }
  }
  plugins {
    vici {
      socket = unix:///run/charon.vici
    }
    kernel-libipsec {
      allow_peer_ts = yes
    }
    # Our own IKE and ESP carry mark 0x42 and so bypass table 220, where the remote
    # selectors are routed into ipsec0.
    socket-default {
      fwmark = 0x42
    }
    kernel-netlink {
      fwmark = !0x42
    }
  }
}
EOF
  : >"$dir/charon.log"
  ip netns exec "$ns" unshare --mount --propagation private sh -c \
    "mount --bind '$dir' /run && exec env STRONGSWAN_CONF=/run/strongswan.conf /usr/lib/ipsec/charon" \
    >"$dir/charon.stdout.log" 2>&1 </dev/null &
  NL_PID=$!
  NL_PIDS+=("$NL_PID")
  if ! nl_wait_until 15 test -S "$dir/charon.vici"; then
    nl_fail "charon $name did not open its vici socket"
  fi
}

nl_swanctl() {
  local name=$1 cmd=$2
  shift 2
  # swanctl wants the command first, its options after it.
  swanctl "$cmd" --uri "unix://$NL_DIR/$name/charon.vici" "$@"
}

# ---- small traffic helpers -----------------------------------------------------------------

# nl_listening NS tcp|udp PORT: something in NS listens on PORT.
nl_listening() {
  local flag=-ltnH
  [ "$2" = udp ] && flag=-lunH
  ip netns exec "$1" ss "$flag" "sport = :$3" | grep -q .
}

# nl_udp_echo_plus1 NS PORT [ADDR]: UDP service answering each datagram with every byte + 1.
nl_udp_echo_plus1() {
  local ns=$1 port=$2 addr=${3:-::}
  nl_spawn "$ns" "$NL_DIR/echo-$ns-$port.log" python3 -u -c '
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((addr, port))
print("listening", addr, port, flush=True)
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(bytes((b + 1) & 0xFF for b in data), peer)
' "$addr" "$port"
}

# nl_udp_send NS DST PORT TEXT [TIMEOUT] [TRIES]: send TEXT, print the reply; retries because the
# first datagram may be held while the SA is negotiated (and a peer may drop it).
nl_udp_send() {
  local ns=$1 dst=$2 port=$3 text=$4 timeout=${5:-2} tries=${6:-5}
  ip netns exec "$ns" python3 -c '
import socket, sys
dst, port, text, timeout, tries = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(timeout)
for _ in range(tries):
    s.sendto(text.encode(), (dst, port))
    try:
        data, _ = s.recvfrom(65535)
        print(data.decode(errors="replace"))
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
' "$dst" "$port" "$text" "$timeout" "$tries"
}

# nl_plus1 TEXT: what the echo service answers to TEXT.
nl_plus1() {
  python3 -c 'import sys; print(bytes((b + 1) & 0xFF for b in sys.argv[1].encode()).decode())' "$1"
}

# nl_tcp_transfer NS_SRV ADDR_SRV NS_CLI BYTES: a short TCP transfer through the tunnel; the server
# returns the SHA-256 of what it received and the client compares it with what it sent.
nl_tcp_transfer() {
  local ns_srv=$1 addr=$2 ns_cli=$3 bytes=${4:-200000} port=5201
  nl_spawn "$ns_srv" "$NL_DIR/tcp-$ns_srv.log" python3 -u -c '
import hashlib, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
c.settimeout(30)
h = hashlib.sha256()
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
c.sendall(h.hexdigest().encode())
c.close()
' "$addr" "$port"
  local srv=$NL_PID
  nl_wait_until 5 nl_listening "$ns_srv" tcp "$port" || return 1
  ip netns exec "$ns_cli" python3 -c '
import hashlib, os, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
data = os.urandom(int(sys.argv[3]))
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
sys.exit(0 if got.decode() == hashlib.sha256(data).hexdigest() else 1)
' "$addr" "$port" "$bytes"
  local rc=$?
  nl_stop "$srv"
  return $rc
}

# ---- portunusd -----------------------------------------------------------------------------

# nl_find_binaries BUILD_DIR: sets NL_PORTUNUSD and NL_PORTUNUSCTL.
nl_find_binaries() {
  local b=$1
  NL_PORTUNUSD="$b/tools/portunusd/portunusd"
  NL_PORTUNUSCTL="$b/tools/portunusctl/portunusctl"
  [ -x "$NL_PORTUNUSD" ] && [ -x "$NL_PORTUNUSCTL" ] || {
    echo "portunusd/portunusctl not built in $b" >&2
    return 1
  }
}

# nl_portunusd_start NS NAME CONFIG [EXTRA ARGS...]: control socket $NL_DIR/NAME.ctl, log
# $NL_DIR/NAME.log, pid in $NL_PID; waits until the control socket answers.
nl_portunusd_start() {
  local ns=$1 name=$2 conf=$3
  shift 3
  nl_spawn "$ns" "$NL_DIR/$name.log" "$NL_PORTUNUSD" --config "$conf" --control-socket "$NL_DIR/$name.ctl" \
    --log "${NL_LOG_LEVELS:-default=2}" "$@"
  local pid=$NL_PID
  if ! nl_wait_until 10 nl_ctl "$name" counters; then
    nl_alive "$pid" || nl_fail "portunusd $name exited at start (see $name.log)"
    nl_fail "portunusd $name did not open its control socket"
  fi
  NL_PID=$pid
}

# nl_ctl NAME ARGS...: portunusctl against that daemon.
nl_ctl() {
  local name=$1
  shift
  "$NL_PORTUNUSCTL" --socket "$NL_DIR/$name.ctl" "$@"
}

# nl_ctl_established NAME: an IKE SA with at least one Child SA is up.
nl_ctl_established() {
  nl_ctl "$1" --json status 2>/dev/null | python3 -c '
import json, sys
sas = json.load(sys.stdin)
sys.exit(0 if any(s["state"] == "established" and s["children"] for s in sas) else 1)'
}

# nl_ctl_sa_count NAME: number of IKE SAs the daemon reports.
nl_ctl_sa_count() {
  nl_ctl "$1" --json status 2>/dev/null | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# nl_ctl_no_sas NAME: the daemon reports no IKE SA (a function, so nl_wait_until re-evaluates it).
nl_ctl_no_sas() { [ "$(nl_ctl_sa_count "$1")" = 0 ]; }

# nl_charon_sas NAME: established IKE SAs charon NAME lists. nl_charon_up / nl_charon_down
# NAME: at least one / none (functions, so nl_wait_until re-evaluates them).
nl_charon_sas() { nl_swanctl "$1" --list-sas 2>/dev/null | grep -c "ESTABLISHED"; }
nl_charon_up() { [ "$(nl_charon_sas "$1")" -ge 1 ]; }
nl_charon_down() { [ "$(nl_charon_sas "$1")" = 0 ]; }

# nl_interop_up_and_ping LEFT RIGHT DAEMON CONN CHARON INITIATOR: brings up the tunnel between
# portunusd DAEMON (connection CONN, netns LEFT, inner address 198.51.100.1) and charon CHARON
# (child "net", netns RIGHT, 203.0.113.1) from INITIATOR (portunusd | charon), waits until
# both report it and pings through it both ways. On failure prints the first step that
# failed and returns 1.
nl_interop_up_and_ping() {
  local left=$1 right=$2 daemon=$3 conn=$4 charon=$5 initiator=$6
  if [ "$initiator" = portunusd ]; then
    nl_ctl "$daemon" initiate "$conn" >/dev/null 2>&1 || { echo "portunusctl initiate failed"; return 1; }
  else
    nl_swanctl "$charon" --initiate --child net --timeout 15 >"$NL_DIR/$charon/initiate.log" 2>&1 ||
      { echo "swanctl --initiate failed"; return 1; }
  fi
  nl_wait_until 10 nl_ctl_established "$daemon" || { echo "portunusd has no established Child SA"; return 1; }
  nl_wait_until 5 nl_charon_up "$charon" || { echo "charon has no established IKE SA"; return 1; }
  nl_exec "$left" ping -c 2 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >/dev/null 2>&1 ||
    { echo "ping left -> right"; return 1; }
  nl_exec "$right" ping -c 2 -i 0.2 -W 2 -I 203.0.113.1 198.51.100.1 >/dev/null 2>&1 ||
    { echo "ping right -> left"; return 1; }
}
