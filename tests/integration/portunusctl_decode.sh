#!/usr/bin/env bash
# portunusctl decode: a tcpdump capture of a real negotiation between two portunusd is decoded
# payload by payload (pcap input), decrypted with the keys of the Wireshark export, and
# malformed hex input is reported with exit status 1.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
command -v tcpdump >/dev/null || {
  echo "SKIP: tcpdump not installed"
  exit 77
}
nl_find_binaries "$BUILD" || exit 1
nl_init dec
nl_two_hosts inner
# --immediate-mode: without it libpcap hands packets over in blocks (up to 1 s late), and
# stopping tcpdump right after the handshake loses them all ("received by filter", not captured).
nl_spawn "$L" "$NL_DIR/tcpdump.log" tcpdump --immediate-mode -i eth0 -U -w "$NL_DIR/ike.pcap" udp port 500 or udp port 4500
TD=$NL_PID
nl_wait_until 5 grep -q "listening" "$NL_DIR/tcpdump.log" || nl_fail "tcpdump did not start"
mkdir -p "$NL_DIR/keys"
nl_portunusd_start "$L" left "$ROOT/examples/config/demo-left.conf" --export-keys "$NL_DIR/keys"
nl_portunusd_start "$R" right "$ROOT/examples/config/demo-right.conf"
nl_ctl left initiate demo >/dev/null
nl_wait_until 5 nl_ctl_established left || nl_fail "no SA"
sleep 0.3
nl_stop "$TD"
"$NL_PORTUNUSCTL" decode --pcap "$NL_DIR/ike.pcap" >"$NL_DIR/decoded.txt" || nl_fail "decode --pcap failed"
for want in "IKE_SA_INIT request #0" "IKE_SA_INIT response #0" "IKE_AUTH request #1" "IKE_AUTH response #1" \
  "KE: group CURVE25519" "ENCR_AES_GCM_16/128" "N(NAT_DETECTION_SOURCE_IP)"; do
  grep -qF "$want" "$NL_DIR/decoded.txt" || nl_fail "decoded capture lacks '$want'"
done
nl_pass "decode --pcap: $(grep -c '^frame' "$NL_DIR/decoded.txt") IKE messages of a live negotiation"
# Decrypt with the exported keys (the ikev2_decryption_table line: SPIi,SPIr,SK_ei,SK_er,encr,SK_ai,SK_ar,integ).
IFS=, read -r _ _ ei er _ ai ar _ <"$NL_DIR/keys/ikev2_decryption_table"
unq() { tr -d '"' <<<"$1"; }
"$NL_PORTUNUSCTL" decode --pcap "$NL_DIR/ike.pcap" --algorithms aes128gcm16 --sk-ei "$(unq "$ei")" \
  --sk-er "$(unq "$er")" --sk-ai "$(unq "$ai")" --sk-ar "$(unq "$ar")" >"$NL_DIR/decrypted.txt" || nl_fail "decode with keys"
[ "$(grep -c "decrypted SK payload" "$NL_DIR/decrypted.txt")" -eq 2 ] || nl_fail "IKE_AUTH messages not decrypted"
grep -qF "IDi: ID_RFC822_ADDR 'left@portunus.example'" "$NL_DIR/decrypted.txt" || nl_fail "no IDi in the decrypted request"
grep -qF "AUTH: SHARED_KEY_MIC" "$NL_DIR/decrypted.txt" || nl_fail "no AUTH in the decrypted messages"
"$NL_PORTUNUSCTL" decode --pcap "$NL_DIR/ike.pcap" --algorithms aes128gcm16 --sk-ei "$(unq "$er")" \
  --sk-er "$(unq "$ei")" >"$NL_DIR/wrongkeys.txt" || true
grep -q "ICV mismatch" "$NL_DIR/wrongkeys.txt" || nl_fail "swapped keys were not reported as an ICV mismatch"
nl_pass "decode with the exported SK_e keys decrypts IKE_AUTH both ways; swapped keys give an ICV mismatch"

set +e
"$NL_PORTUNUSCTL" decode 0011223344 >"$NL_DIR/bad.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "cannot decode" "$NL_DIR/bad.txt" || nl_fail "truncated hex: exit $rc, $(cat "$NL_DIR/bad.txt")"
nl_pass "decode of a truncated message: exit 1 with the reason"
echo "3 passed, 0 failed"
