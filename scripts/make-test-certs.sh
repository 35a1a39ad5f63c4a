#!/usr/bin/env bash
# make-test-certs.sh DIR: a test PKI made with the openssl command line, for the certificate interop
# test (tests/integration/strongswan_certs.sh); nothing is checked in, every run makes fresh keys.
#   root CA (P-384) -> intermediate CA (P-256) -> end entities
#   left-KIND, right-KIND for KIND in rsa (RSA-2048), rsa4096, p256, p384, ed25519;
#   left-revoked, right-revoked (P-256), revoked in the intermediate's CRL.
# Files: DIR/root.pem, DIR/intermediate.pem, DIR/intermediate.crl (PEM), DIR/NAME.pem and
# DIR/NAME.key (PKCS#8 PEM, mode 0600) for each end entity. End entities carry
# subjectAltName DNS:left.portunus.example / DNS:right.portunus.example, keyUsage
# digitalSignature; the CAs keyCertSign and cRLSign.
set -euo pipefail
D=${1:?usage: $0 DIR}
mkdir -p "$D"
cd "$D"
umask 077

cat >ext.cnf <<'CNF'
[req]
distinguished_name = dn
[dn]
[root_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ee_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectAltName = DNS:${ENV::SAN}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca]
default_ca = intermediate_ca
[intermediate_ca]
database = index.txt
certificate = intermediate.pem
private_key = intermediate.key
crlnumber = crlnumber
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
[crl_ext]
# strongSwan finds the CRL of an issuer by this key identifier.
authorityKeyIdentifier = keyid:always
CNF
export SAN=unused

# genkey NAME KIND
genkey() {
  case $2 in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
    rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1.key" ;;
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1.key" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
    *) echo "unknown key kind $2" >&2; return 1 ;;
  esac 2>/dev/null
  chmod 600 "$1.key"
}

# issue NAME KIND CN SERIAL ISSUER EXTENSIONS
issue() {
  genkey "$1" "$2"
  openssl req -new -key "$1.key" -subj "/C=CH/O=Portunus Interop/CN=$3" -config ext.cnf -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$5.pem" -CAkey "$5.key" -set_serial "$4" -days 30 \
    -extfile ext.cnf -extensions "$6" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}

genkey root p384
openssl req -x509 -new -key root.key -subj "/C=CH/O=Portunus Interop/CN=Portunus Root CA" -days 30 \
  -set_serial 1 -config ext.cnf -extensions root_ext -out root.pem
issue intermediate p256 "Portunus Intermediate CA" 2 root ca_ext

serial=100
for side in left right; do
  for kind in rsa rsa4096 p256 p384 ed25519; do
    serial=$((serial + 1))
    SAN=$side.portunus.example issue "$side-$kind" "$kind" "$side.portunus.example" $serial intermediate ee_ext
  done
  serial=$((serial + 1))
  SAN=$side.portunus.example issue "$side-revoked" p256 "$side.portunus.example" $serial intermediate ee_ext
done

: >index.txt
echo 01 >crlnumber
for side in left right; do
  openssl ca -config ext.cnf -revoke "$side-revoked.pem" -crl_reason keyCompromise 2>/dev/null
done
openssl ca -config ext.cnf -gencrl -out intermediate.crl 2>/dev/null
rm -f index.txt* crlnumber* ext.cnf
chmod 644 ./*.pem intermediate.crl
