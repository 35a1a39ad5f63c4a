#!/usr/bin/env bash
# portunusd <-> strongSwan with certificate authentication (issue 6), in two namespaces.
# A PKI is made at test time with openssl (scripts/make-test-certs.sh): root CA -> intermediate CA -> end
# entities for both sides. charon holds only the root (x509ca/), so it needs the intermediate
# portunusd sends in its CERT payloads; charon 5.9 sends only its end-entity certificate, so
# portunusd holds root and intermediate as CAs (swanctl semantics: every CA is an anchor).
# Scenarios, each in both roles (portunusd initiates / charon initiates), ping both ways:
#   RSA-2048 PKCS#1 v1.5, RSA-2048 PSS (RFC 7427: portunusd `auth = rsa/pss`, charon
#   `rsa/pss-sha256`), ECDSA P-256, ECDSA P-384, Ed25519; charon's log must show the expected
#   signature scheme both ways and our intermediate received in a CERT payload.
# Then IKE fragmentation (RFC 7383), both roles: RSA-4096 end entities and a 576-octet fragment
#   size on both sides (charon.fragment_size, portunusd --fragment-size), so both IKE_AUTH
#   messages go as SKF fragments; charon's log must show it split its own and reassembled ours,
#   portunusd's counters that it sent and received fragments, and a capture on the veth that
#   no IKE datagram exceeded 576 octets. And with charon's `fragmentation = no`, both roles:
#   the handshake still completes and no fragment flows either way. And once over IPv6 outer
#   addresses with the IPv6 minimum MTU (1280) as fragment size on both sides, both roles.
# Then revocation: the intermediate's CRL (x509crl/) lists one certificate of each side;
#   charon initiating with its revoked certificate is refused by portunusd, and portunusd
#   initiating with its revoked certificate is refused by charon.
set -uo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ] || {
  echo "SKIP: strongSwan not installed (scripts/deps.sh installs it)"
  exit 77
}
command -v openssl >/dev/null || {
  echo "SKIP: openssl command line not installed"
  exit 77
}
nl_find_binaries "$BUILD" || exit 1
# Certificates need pkcs8 (key files), revocation (CRLs) and constraints on top of the defaults.
NL_CHARON_PLUGINS="random nonce openssl aes gcm sha1 sha2 hmac kdf curve25519 pem pkcs1 pkcs8 x509 pubkey \
revocation constraints kernel-libipsec kernel-netlink socket-default vici"
nl_init sscert
set -e

nl_two_hosts inner
nl_addr "$L" 2001:db8:1::1/64 eth0
nl_addr "$R" 2001:db8:1::2/64 eth0
PKI=$NL_DIR/pki
"$ROOT/scripts/make-test-certs.sh" "$PKI" >"$NL_DIR/make_certs.log" 2>&1 ||
  nl_fail "make-test-certs.sh failed (see $NL_DIR/make_certs.log)"
set +e

# layout DIR SIDE(left|right) CERT: swanctl's credential directories with the end entity
# CERT (a name in the PKI), its key, the CAs and the intermediate's CRL.
layout() {
  local d=$1 cert=$3
  mkdir -p "$d/x509" "$d/x509ca" "$d/x509crl" "$d/private"
  cp "$PKI/$cert.pem" "$d/x509/"
  cp "$PKI/$cert.key" "$d/private/"
  chmod 600 "$d/private/$cert.key"
  cp "$PKI/root.pem" "$d/x509ca/"
  [ "$2" = left ] && cp "$PKI/intermediate.pem" "$d/x509ca/"
  cp "$PKI/intermediate.crl" "$d/x509crl/"
}

# write_conf FILE LOCAL_ADDR REMOTE_ADDR LOCAL_AUTH CERT LOCAL_ID REMOTE_AUTH REMOTE_ID LOCAL_TS REMOTE_TS [CONN_KEYS]
write_conf() {
  cat >"$1" <<CONF
connections {
  cert {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128gcm16-prfsha256-x25519
    mobike = no
    ${11:-}
    local {
      auth = $4
      certs = $5.pem
      id = $6
    }
    remote {
      auth = $7
      id = $8
    }
    children {
      net {
        local_ts = $9
        remote_ts = ${10}
        esp_proposals = aes128gcm16
        mode = tunnel
      }
    }
  }
}
CONF
}

log_has() { grep -qi -- "$2" "$1" 2>/dev/null; }

n=0
passed=0
failed=0
failures=()
PPID_=""
CPID_=""
P_EXTRA=()  # extra portunusd arguments for the next start_pair
C_EXTRA=""  # extra charon settings for the next start_pair
C_CONN=""   # extra keys in charon's connection for the next start_pair
OUT_L=192.0.2.1  # outer (IKE/ESP) addresses for the next start_pair
OUT_R=192.0.2.2

# start_pair N PORTUNUS_CERT PORTUNUS_AUTH CHARON_CERT CHARON_AUTH CHARON_REMOTE_AUTH
start_pair() {
  local name=p$1 cdir=c$1
  mkdir -p "$NL_DIR/$name"
  layout "$NL_DIR/$name" left "$2"
  write_conf "$NL_DIR/$name/swanctl.conf" "$OUT_L" "$OUT_R" "$3" "$2" left.portunus.example \
    pubkey right.portunus.example 198.51.100.0/24 203.0.113.0/24
  mkdir -p "$NL_DIR/$cdir"
  layout "$NL_DIR/$cdir" right "$4"
  write_conf "$NL_DIR/$cdir/swanctl.conf" "$OUT_R" "$OUT_L" "$5" "$4" right.portunus.example \
    "$6" left.portunus.example 203.0.113.0/24 198.51.100.0/24 "$C_CONN"
  nl_portunusd_start "$L" "$name" "$NL_DIR/$name/swanctl.conf" "${P_EXTRA[@]}"
  PPID_=$NL_PID
  # Each line flushed, so that the test can read charon's verdicts while it runs.
  nl_charon_start "$R" "$cdir" "filelog { charon { flush_line = yes } }
  $C_EXTRA"
  CPID_=$NL_PID
  SWANCTL_DIR="$NL_DIR/$cdir" nl_swanctl "$cdir" --load-all --noprompt --file "$NL_DIR/$cdir/swanctl.conf" \
    >"$NL_DIR/$cdir/load.log" 2>&1
}

report() {
  local label=$1 why=$2 name=p$3 cdir=c$3
  nl_stop "$PPID_"
  nl_stop "$CPID_"
  if [ -z "$why" ]; then
    nl_pass "$label"
    passed=$((passed + 1))
  else
    echo "FAIL: $label: $why" >&2
    echo "----- portunusd log ($name.log, last 25 lines)" >&2
    tail -n 25 "$NL_DIR/$name.log" >&2
    echo "----- charon log ($cdir, last 25 IKE/CFG lines)" >&2
    grep -E "IKE|CFG|ENC|NET|LIB" "$NL_DIR/$cdir/charon.log" | tail -n 25 >&2
    failed=$((failed + 1))
    failures+=("$label: $why")
  fi
}

# scenario KIND(rsa|rsapss|p256|p384|ed25519) INITIATOR(portunusd|strongswan)
scenario() {
  local kind=$1 initiator=$2 cert=$1 auth=pubkey cauth=pubkey
  n=$((n + 1))
  if [ "$kind" = rsapss ]; then
    cert=rsa
    auth=rsa/pss
    # charon 5.9 signs with PSS only when told the hash; as a remote constraint it would also
    # apply to the (ECDSA-signed) certificates, so its remote side stays `pubkey` and its log
    # shows which scheme each side used.
    cauth=rsa/pss-sha256
  fi
  local label="$kind certificates via the intermediate CA, $initiator initiates"
  local why=""
  start_pair $n "left-$cert" "$auth" "right-$cert" "$cauth" pubkey || why="swanctl --load-all failed"
  [ -z "$why" ] && why=$(nl_interop_up_and_ping "$L" "$R" "p$n" cert "c$n" "$initiator")
  # charon names the scheme it verified (ours) and the one it signed with: both must be the
  # one the key type and auth keyword call for (PKCS#1 v1.5 unless rsa/pss).
  local scheme
  case $kind in
    rsa) scheme=RSA_EMSA_PKCS1 ;;
    rsapss) scheme=RSA_EMSA_PSS ;;
    p256) scheme=ECDSA_WITH_SHA256 ;;
    p384) scheme=ECDSA_WITH_SHA384 ;;
    ed25519) scheme=ED25519 ;;
  esac
  [ -z "$why" ] && { log_has "$NL_DIR/c$n/charon.log" "'left.portunus.example' with $scheme" ||
    why="charon did not verify a $scheme signature from portunusd"; }
  [ -z "$why" ] && { log_has "$NL_DIR/c$n/charon.log" "(myself) with $scheme" || why="charon did not sign with $scheme"; }
  # charon holds only the root: our intermediate must have come in a CERT payload.
  [ -z "$why" ] && { log_has "$NL_DIR/c$n/charon.log" 'received issuer cert "C=CH, O=Portunus Interop, CN=Portunus Intermediate CA"' ||
    why="charon received no intermediate from portunusd"; }
  report "$label" "$why" $n
}

# revoked WHO(charon|portunusd): WHO authenticates with its revoked certificate and initiates;
# the other side must refuse it with a revocation reason.
revoked() {
  local who=$1
  n=$((n + 1))
  local label="$who's revoked certificate is refused by the other side"
  local why="" pcert=left-p256 ccert=right-p256
  [ "$who" = charon ] && ccert=right-revoked
  [ "$who" = portunusd ] && pcert=left-revoked
  start_pair $n "$pcert" pubkey "$ccert" pubkey pubkey || why="swanctl --load-all failed"
  if [ -z "$why" ]; then
    if [ "$who" = charon ]; then
      nl_swanctl "c$n" --initiate --child net --timeout 10 >"$NL_DIR/c$n/initiate.log" 2>&1 &&
        why="charon's initiate succeeded with a revoked certificate"
      [ -z "$why" ] && { nl_wait_until 5 log_has "$NL_DIR/p$n.log" "authentication failed: .*certificate revoked" ||
        why="portunusd's log names no revocation"; }
    else
      nl_ctl "p$n" initiate cert >/dev/null 2>&1 || why="portunusctl initiate failed"
      [ -z "$why" ] && { nl_wait_until 10 log_has "$NL_DIR/c$n/charon.log" "certificate was revoked" ||
        why="charon's log names no revocation"; }
      [ -z "$why" ] && { nl_wait_until 5 log_has "$NL_DIR/p$n.log" "peer sent AUTHENTICATION_FAILED" ||
        why="portunusd did not see charon's AUTHENTICATION_FAILED"; }
    fi
  fi
  [ -z "$why" ] && nl_ctl_established "p$n" && why="portunusd established an SA anyway"
  [ -z "$why" ] && nl_charon_up "c$n" && why="charon established an SA anyway"
  report "$label" "$why" $n
}

# counter NAME KEY: one of portunusd's IKE counters.
counter() { nl_ctl "$1" counters 2>/dev/null | tr -d ' ",' | sed -n "s/^$2://p" | head -n 1; }

# fragmented INITIATOR(portunusd|strongswan) [no|6]: RSA-4096 on both sides, fragment size 576.
# With `no`, charon has `fragmentation = no`: it announces nothing, so portunusd must send its
# IKE_AUTH whole (IP-fragmented by the kernel) and nothing is fragmented either way. With `6`,
# IKE runs over IPv6 with fragment size 1280 (the whole IPv6 datagram, header included).
fragmented() {
  local initiator=$1 size=576 off="" v6=""
  [ "${2:-}" = no ] && off=no
  [ "${2:-}" = 6 ] && { v6=6 && size=1280; }
  n=$((n + 1))
  local label="IKE fragmentation with RSA-4096 certificates and fragment_size $size, $initiator initiates"
  [ -n "$v6" ] && label="$label, over IPv6"
  [ -n "$off" ] && label="charon with fragmentation = no gets no fragments (RSA-4096, $initiator initiates)"
  [ -n "$off" ] && C_CONN="fragmentation = no"
  local why="" cap=$NL_DIR/frag$n.pcap tpid=""
  if command -v tcpdump >/dev/null; then
    nl_spawn "$L" "$NL_DIR/tcpdump$n.log" tcpdump -i any -n -U -w "$cap" udp port 500 or udp port 4500
    tpid=$NL_PID
    sleep 1
  fi
  P_EXTRA=(--fragment-size $size)
  C_EXTRA="fragment_size = $size"
  [ -n "$v6" ] && { OUT_L=2001:db8:1::1 && OUT_R=2001:db8:1::2; }
  start_pair $n left-rsa4096 pubkey right-rsa4096 pubkey pubkey || why="swanctl --load-all failed"
  P_EXTRA=()
  C_EXTRA=""
  C_CONN=""
  OUT_L=192.0.2.1
  OUT_R=192.0.2.2
  [ -z "$why" ] && why=$(nl_interop_up_and_ping "$L" "$R" "p$n" cert "c$n" "$initiator")
  local clog=$NL_DIR/c$n/charon.log
  if [ -n "$off" ]; then
    local tx rx
    tx=$(counter "p$n" tx_fragments)
    rx=$(counter "p$n" rx_fragments)
    [ -z "$why" ] && { [ "${tx:-x}" = 0 ] || why="portunusd sent ${tx:-?} fragments to a peer without support"; }
    [ -z "$why" ] && { [ "${rx:-x}" = 0 ] || why="portunusd received ${rx:-?} fragments"; }
    [ -z "$why" ] && log_has "$clog" "splitting IKE message" && why="charon fragmented with fragmentation = no"
    [ -n "$tpid" ] && nl_stop "$tpid"
    echo "no fragmentation ($initiator initiates): portunusd sent ${tx:-?}, received ${rx:-?} fragments"
    report "$label" "$why" $n
    return
  fi
  [ -z "$why" ] && { log_has "$clog" "splitting IKE message .* into [0-9]* fragments" || why="charon sent no fragments"; }
  [ -z "$why" ] && { log_has "$clog" "received fragment #1 of [0-9]*, waiting for complete IKE message" ||
    why="charon received no fragments from portunusd"; }
  [ -z "$why" ] && { log_has "$clog" "reassembled fragmented IKE message" || why="charon did not reassemble ours"; }
  local tx rx
  tx=$(counter "p$n" tx_fragments)
  rx=$(counter "p$n" rx_fragments)
  [ -z "$why" ] && { [ "${tx:-0}" -ge 2 ] || why="portunusd sent ${tx:-no} fragments"; }
  [ -z "$why" ] && { [ "${rx:-0}" -ge 2 ] || why="portunusd received ${rx:-no} fragments"; }
  [ -z "$why" ] && { log_has "$NL_DIR/p$n.log" "reassembled fragmented IKE message" ||
    why="portunusd's log shows no reassembled message"; }
  if [ -n "$tpid" ]; then
    sleep 0.5
    nl_stop "$tpid"
    # The largest IP datagram of each direction: tcpdump -v prints the IPv4 total length, or
    # the IPv6 payload length (the 40-octet fixed header is added; IKE sends no extension headers).
    local big_l big_r
    if [ -n "$v6" ]; then
      big_l=$(largest6 "$cap" 2001:db8:1::1)
      big_r=$(largest6 "$cap" 2001:db8:1::2)
    else
      big_l=$(tcpdump -v -n -r "$cap" src host 192.0.2.1 2>/dev/null | sed -n 's/.*length \([0-9]*\)).*/\1/p' | sort -n | tail -n 1)
      big_r=$(tcpdump -v -n -r "$cap" src host 192.0.2.2 2>/dev/null | sed -n 's/.*length \([0-9]*\)).*/\1/p' | sort -n | tail -n 1)
    fi
    echo "fragments ($initiator initiates): portunusd sent $tx, received $rx; largest IKE datagram portunusd ${big_l:-?}, charon ${big_r:-?} octets"
    grep -o -E "splitting IKE message.*|received fragment #1 of .*" "$clog" | sed 's/^/  charon: /'
    [ -z "$why" ] && { [ -n "$big_l" ] && [ "$big_l" -le $size ] || why="portunusd sent an IKE datagram of ${big_l:-?} octets"; }
    [ -z "$why" ] && { [ -n "$big_r" ] && [ "$big_r" -le $size ] || why="charon sent an IKE datagram of ${big_r:-?} octets"; }
  fi
  report "$label" "$why" $n
}

# largest6 PCAP SRC: the largest IPv6 datagram (header included) SRC sent in the capture.
largest6() {
  tcpdump -v -n -r "$1" ip6 and src host "$2" 2>/dev/null |
    sed -n 's/.*payload length: \([0-9]*\)).*/\1/p' | sort -n | tail -n 1 | awk '{ print $1 + 40 }'
}

start=$(date +%s)
for kind in ${CERT_KINDS:-rsa rsapss p256 p384 ed25519}; do
  scenario "$kind" portunusd
  scenario "$kind" strongswan
done
if [ "${FRAGMENTATION:-1}" = 1 ]; then
  fragmented portunusd
  fragmented strongswan
  fragmented portunusd no
  fragmented strongswan no
  fragmented portunusd 6
  fragmented strongswan 6
fi
revoked charon
revoked portunusd
echo "took $(($(date +%s) - start)) s for $n scenarios"

if ((failed)); then
  NL_FAILED=1
  printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "$passed passed, $failed failed"
((failed == 0))
