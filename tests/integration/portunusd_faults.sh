#!/usr/bin/env bash
# Bad input and faults: a third host floods portunusd with garbage on UDP 500, UDP 4500 (as IKE
# behind the non-ESP marker and as ESP), raw IP protocol 50, and a burst of well-formed but
# never completed IKE_SA_INIT requests, then a flood of valid ones (half-open SAs, answered with
# COOKIEs past the threshold). The daemon must stay up and the real peer must still negotiate
# and pass traffic. Also checks the opt-in Wireshark key export.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/netns-lib.sh"
nl_find_binaries "$BUILD" || exit 1
nl_init flt
passed=0
ok() {
  nl_pass "$*"
  passed=$((passed + 1))
}

nl_two_hosts
nl_addr "$R" 192.0.2.66/24 eth0 # the attacker's address, on the right host
nl_addr "$L" 198.51.100.1/32
nl_addr "$R" 203.0.113.1/32
mkdir -p "$NL_DIR/keys"
nl_portunusd_start "$L" left "$ROOT/examples/config/demo-left.conf" --export-keys "$NL_DIR/keys"
LP=$NL_PID
nl_portunusd_start "$R" right "$ROOT/examples/config/demo-right.conf"

# Garbage from 192.0.2.66 (bounded: a few thousand datagrams, stops by itself).
nl_exec "$R" python3 - <<'PY'
import os, random, socket, struct
random.seed(5)
dst = "192.0.2.1"
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("192.0.2.66", 0))
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
raw.bind(("192.0.2.66", 0))
def ike_init_like():
    # A syntactically plausible IKE_SA_INIT header with a random SPI and random payload bytes.
    body = os.urandom(random.randrange(0, 300))
    return os.urandom(8) + b"\0" * 8 + bytes([33, 0x20, 34, 0x08]) + b"\0\0\0\0" + struct.pack("!I", 28 + len(body)) + body
for i in range(3000):
    n = random.randrange(0, 1400)
    junk = os.urandom(n)
    kind = i % 5
    if kind == 0:
        u.sendto(junk, (dst, 500))
    elif kind == 1:
        u.sendto(b"\0\0\0\0" + junk, (dst, 4500))
    elif kind == 2:
        u.sendto(junk, (dst, 4500))
    elif kind == 3:
        raw.sendto(junk, (dst, 0))
    else:
        u.sendto(ike_init_like(), (dst, 500))
PY
nl_alive "$LP" || nl_fail "portunusd died on garbage input"
rx=$(nl_ctl left --json counters | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(c["ike"]["rx_datagrams"], c["ike"]["rx_malformed"], c["io"]["esp_rx"])')
ok "3000 garbage datagrams survived (IKE rx, malformed, ESP rx: $rx)"

# A half-open flood: 300 well-formed IKE_SA_INIT requests (the demo's proposal, a random X25519
# value, a nonce), never completed, from the real peer's address (spoofed, as a flood would be:
# from any other address they match no connection and are refused statelessly). Past the threshold (32 half-open SAs) the
# responder must answer with a stateless COOKIE instead of creating state (RFC 7296 2.6).
flood=$(nl_exec "$R" python3 - <<'PY'
import os, socket, struct
def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body
def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs
    return body
# ENCR_AES_GCM_16 with a 128-bit key, PRF_HMAC_SHA2_256, Curve25519 (group 31).
transforms = transform(False, 1, 20, struct.pack("!HH", 0x800E, 128)) + transform(False, 2, 5) + transform(True, 4, 31)
proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 3) + transforms
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("192.0.2.2", 0))
u.settimeout(0.5)
cookies = responses = 0
for i in range(300):
    body = payload(34, proposal) + payload(40, struct.pack("!HH", 31, 0) + os.urandom(32)) + payload(0, os.urandom(32))
    hdr = os.urandom(8) + b"\0" * 8 + bytes([33, 0x20, 34, 0x08]) + b"\0" * 4 + struct.pack("!I", 28 + len(body))
    u.sendto(hdr + body, ("192.0.2.1", 500))
    try:
        while True:
            data, _ = u.recvfrom(65535)
            responses += 1
            # A COOKIE answer: only a Notify (next payload 41) of type COOKIE (16390).
            if len(data) >= 36 and data[16] == 41 and struct.unpack("!H", data[34:36])[0] == 16390:
                cookies += 1
            u.settimeout(0.001)
    except socket.timeout:
        u.settimeout(0.05)
print(responses, cookies)
PY
)
read -r responses cookies <<<"$flood"
nl_alive "$LP" || nl_fail "portunusd died in the half-open flood"
[ "$cookies" -ge 200 ] || nl_fail "half-open flood: $responses responses, only $cookies COOKIE requests"
[ $((responses - cookies)) -le 40 ] || nl_fail "half-open flood: $((responses - cookies)) full IKE_SA_INIT responses (state created past the threshold)"
ok "half-open flood of 300 IKE_SA_INIT: $((responses - cookies)) answered with state, then $cookies COOKIE requests"

# The real peer initiates now, while the flood's half-open SAs still count: it must get a
# COOKIE, retry with it, and negotiate.
nl_udp_echo_plus1 "$L" 1234
nl_wait_until 5 nl_listening "$L" udp 1234 || nl_fail "echo service"
reply=$(nl_udp_send "$R" 198.51.100.1 1234 "after the flood" 2 5) || nl_fail "no negotiation after the flood"
[ "$reply" = "$(nl_plus1 "after the flood")" ] || nl_fail "reply '$reply'"
nl_exec "$L" ping -c 2 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >/dev/null || nl_fail "ping back"
ok "the real peer still negotiated and traffic flows both ways"

# Key export: one IKE line, two ESP lines (one per direction), files 0600, the format Wireshark reads.
ike_lines=$(wc -l <"$NL_DIR/keys/ikev2_decryption_table")
esp_lines=$(wc -l <"$NL_DIR/keys/esp_sa")
[ "$ike_lines" -ge 1 ] && [ "$esp_lines" -ge 2 ] || nl_fail "key export: $ike_lines IKE and $esp_lines ESP lines"
[ "$(stat -c %a "$NL_DIR/keys/esp_sa")" = 600 ] || nl_fail "esp_sa is not mode 0600"
grep -qE '^"IPv4","192\.0\.2\.[12]","192\.0\.2\.[12]","0x[0-9a-f]{8}","AES-GCM with 16 octet ICV \[RFC4106\]","0x[0-9a-f]{40}","NULL",""$' \
  "$NL_DIR/keys/esp_sa" || nl_fail "esp_sa line format: $(head -1 "$NL_DIR/keys/esp_sa")"
# The flood's half-open SAs are listed too: take the one with a Child SA.
spi_out=$(nl_ctl left --json status | python3 -c '
import json, sys
print([c for sa in json.load(sys.stdin) for c in sa["children"]][0]["spi_out"])')
grep -q "0x$spi_out" "$NL_DIR/keys/esp_sa" || nl_fail "exported SPIs do not match the SA"
ok "Wireshark key export: $ike_lines ikev2_decryption_table and $esp_lines esp_sa lines, mode 0600"
echo "$passed passed, 0 failed"
