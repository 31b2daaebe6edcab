#!/usr/bin/env bash
# make-certs.sh: the hall's private PKI for MQTT over TLS (openssl only).
#
#   make-certs.sh [-d DIR] [-y DAYS] ca                      a CA (once; kept offline ideally)
#   make-certs.sh [-d DIR] [-y DAYS] server [HOSTNAME ...]   the broker's certificate; its SAN
#                                                           always has localhost and 127.0.0.1
#   make-certs.sh [-d DIR] [-y DAYS] client NAME [NAME ...]  one client certificate per MQTT user
#                                                           (device, node, hub, bridge); CN=NAME
#
# DIR defaults to ./pki. Layout: DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key,
# DIR/clients/NAME.crt, DIR/clients/NAME.key. Keys are ECDSA P-256 (fast on a Pi, TLS 1.2/1.3).
# Existing files are kept, so re-running after adding devices issues only the new ones
# (delete a pair to re-issue it). Private keys are mode 0600; nothing here prompts.
set -euo pipefail

DIR=./pki
DAYS=825          # leaf certificates: the longest lifetime common clients accept
CA_DAYS=3650
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while getopts "d:y:h" opt; do
  case "$opt" in
    d) DIR=$OPTARG ;;
    y) DAYS=$OPTARG ;;
    h) usage 0 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
cmd=$1
shift

umask 077
mkdir -p "$DIR/clients"

newkey() {  # newkey FILE: an EC P-256 private key, unless FILE exists
  [ -s "$1" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

need_ca() {
  if [ ! -s "$DIR/ca.crt" ] || [ ! -s "$DIR/ca.key" ]; then
    echo "make-certs: no CA in $DIR; run '$0 -d $DIR ca' first" >&2
    exit 1
  fi
}

sign() {  # sign NAME KEY CRT EXTFILE: a leaf certificate for KEY signed by the CA
  local name=$1 key=$2 crt=$3 ext=$4 csr
  csr=$(mktemp)
  if [ -s "$key" ]; then
    openssl req -new -key "$key" -subj "/O=hallkeeper/CN=$name" -out "$csr"
  else  # a new key and its request in one openssl run
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$key" \
      -subj "/O=hallkeeper/CN=$name" -out "$csr" 2>/dev/null
  fi
  openssl x509 -req -in "$csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
    -CAserial "$DIR/ca.srl" -days "$DAYS" -sha256 -extfile "$ext" -out "$crt" 2>/dev/null
  rm -f "$csr"
}

valid_name() {  # MQTT user names we issue for: the contract's id alphabet (models.topics.NAME_RE)
  [[ $1 =~ ^[a-z0-9_][a-z0-9_-]{0,62}$ ]] || { echo "make-certs: bad name '$1'" >&2; exit 2; }
}

case "$cmd" in
  ca)
    if [ -s "$DIR/ca.crt" ]; then echo "make-certs: CA exists: $DIR/ca.crt"; exit 0; fi
    newkey "$DIR/ca.key"
    openssl req -x509 -new -key "$DIR/ca.key" -sha256 -days "$CA_DAYS" \
      -subj "/O=hallkeeper/CN=hallkeeper MQTT CA" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$DIR/ca.crt"
    chmod 0644 "$DIR/ca.crt"
    echo "make-certs: CA $DIR/ca.crt"
    ;;
  server)
    need_ca
    if [ -s "$DIR/server.crt" ]; then echo "make-certs: server certificate exists: $DIR/server.crt"; exit 0; fi
    san="DNS:localhost,IP:127.0.0.1,IP:::1"
    cn=localhost
    for host in "$@"; do
      if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san="$san,IP:$host"; else san="$san,DNS:$host"; fi
      [ "$cn" != localhost ] || cn=$host
    done
    ext=$(mktemp)
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=$san" >"$ext"
    sign "$cn" "$DIR/server.key" "$DIR/server.crt" "$ext"
    rm -f "$ext"
    chmod 0644 "$DIR/server.crt"
    echo "make-certs: server $DIR/server.crt ($san)"
    ;;
  client)
    need_ca
    [ $# -ge 1 ] || usage
    ext=$(mktemp)
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=clientAuth" >"$ext"
    issued=0
    for name in "$@"; do
      valid_name "$name"
      [ -s "$DIR/clients/$name.crt" ] && continue
      sign "$name" "$DIR/clients/$name.key" "$DIR/clients/$name.crt" "$ext"
      issued=$((issued + 1))
    done
    rm -f "$ext"
    echo "make-certs: $issued client certificate(s) issued in $DIR/clients"
    ;;
  *) usage ;;
esac
