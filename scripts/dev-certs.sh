#!/usr/bin/env bash
# Makes a development CA and the certificates a local three-node raftkv cluster needs for TLS:
#
#   ca.pem, ca-key.pem            the CA (keep ca-key.pem to sign more certificates)
#   node1.pem, node1-key.pem ..   node certificates, common name raftkv-node-N, usable both as
#   node3.pem, node3-key.pem      a server (HTTP and Raft ports) and as a client (towards peers)
#   client.pem, client-key.pem    a client certificate, common name raftkv-client, for
#                                 client_cert_auth; it cannot speak Raft
#
# Every server certificate names 127.0.0.1 and localhost, for the shipped loopback cluster. Keys
# are EC P-256 in PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted, readable by their owner only.
# These are for development: a real deployment uses its own CA and names its real addresses.
#
# Usage: scripts/dev-certs.sh OUTDIR [NODES]    (NODES defaults to 3)
set -euo pipefail

usage() {
  echo "usage: $0 OUTDIR [NODES]" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
OUT=$1
NODES=${2:-3}
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || usage
command -v openssl >/dev/null 2>&1 || { echo "error: openssl not found on PATH" >&2; exit 1; }

mkdir -p "$OUT"
if [ -e "$OUT/ca.pem" ]; then
  # Mixing certificates of two CAs would give a cluster whose nodes refuse each other.
  echo "error: $OUT already holds a CA (ca.pem); remove the directory or choose another" >&2
  exit 1
fi

DAYS=825
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
umask 077

key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# sign NAME CN EXTENSIONS: a certificate NAME.pem for the key NAME-key.pem, signed by the CA.
sign() {
  local name=$1 cn=$2 ext=$3
  key "$OUT/$name-key.pem"
  openssl req -new -key "$OUT/$name-key.pem" -subj "/CN=$cn" -out "$WORK/$name.csr"
  printf '%s\n' "$ext" > "$WORK/$name.ext"
  openssl x509 -req -in "$WORK/$name.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca-key.pem" \
    -CAserial "$WORK/ca.srl" -CAcreateserial -days "$DAYS" -sha256 \
    -extfile "$WORK/$name.ext" -out "$OUT/$name.pem" 2>/dev/null
}

key "$OUT/ca-key.pem"
openssl req -x509 -new -key "$OUT/ca-key.pem" -subj "/CN=raftkv development CA" -days "$DAYS" -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$OUT/ca.pem"

NODE_EXT="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"

for i in $(seq 1 "$NODES"); do
  sign "node$i" "raftkv-node-$i" "$NODE_EXT"
done

sign client raftkv-client "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

# Certificates are public; keys stay readable by their owner only.
chmod 644 "$OUT"/*.pem
chmod 600 "$OUT"/*-key.pem
echo "certificates for $NODES nodes and one client written to $OUT (CA: $OUT/ca.pem)"
