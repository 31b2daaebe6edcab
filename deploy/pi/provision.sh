#!/usr/bin/env bash
# provision.sh: turn a fresh Raspberry Pi OS Bookworm (Python 3.11) into one hallkeeper edge node.
#
#   sudo deploy/pi/provision.sh --node NODE --hall HALL_DIR --users OUT --ca CA.crt \
#        --pki PKI_DIR --broker mqtts://broker.hall.local:8883 \
#        [--wheel hallkeeper-*.whl | --src DIR] [--dry-run]
#
#   NODE      the node id in the hall layout (devices/*.toml `node = ...`), e.g. pi-w01
#   HALL_DIR  the hall folder (firmware_cfg/halls/<hall>): copied to /etc/hallkeeper/hall
#   OUT       the output folder of deploy/mosquitto/make_users.py (nodes/, secrets/)
#   CA.crt    the hall CA certificate (deploy/pki/make-certs.sh), to verify the broker
#   PKI_DIR   the hall PKI (make_users.py --pki): each device's client certificate (mutual TLS)
#   --wheel   install this wheel; --src installs from a source tree (default: this checkout)
#   --dry-run print what would be done, change nothing (runs as any user, on any OS)
#
# It installs only the edge: 'hallkeeper[edge]', or 'hallkeeper[face]' when the node runs a
# face clock-in terminal (OpenCV, dlib); never the hub. The service runs `hallkeeper-edge`.
#
# Idempotent: run it again after changing the layout or rotating secrets. It ends with
# hallkeeper-edge@NODE enabled and (re)started.
set -euo pipefail

PREFIX=/opt/hallkeeper
VENV=$PREFIX/venv
ETC=/etc/hallkeeper
STATE=/var/lib/hallkeeper
SVC_USER=hallkeeper
APT_PACKAGES=(
  python3 python3-venv python3-pip              # the venv (Bookworm: Python 3.11)
  ca-certificates openssl sqlite3               # TLS; outbox inspection by an operator
)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

NODE="" HALL="" USERS="" CA="" BROKER="" WHEEL="" SRC="$REPO" PKI="" DRY=0
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --node) NODE=$2; shift 2 ;;
    --hall) HALL=$2; shift 2 ;;
    --users) USERS=$2; shift 2 ;;
    --ca) CA=$2; shift 2 ;;
    --broker) BROKER=$2; shift 2 ;;
    --wheel) WHEEL=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    --pki) PKI=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "provision: unknown argument $1" >&2; usage ;;
  esac
done

die() { echo "provision: $*" >&2; exit 1; }
say() { echo "provision: $*"; }
run() {  # run CMD...: do it, or print it with --dry-run
  if [ "$DRY" = 1 ]; then printf '+'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}

# ---- Check the inputs before touching anything ----------------------------------------------
for given in "$NODE" "$HALL" "$USERS" "$CA" "$PKI" "$BROKER"; do [ -n "$given" ] || usage; done
[[ $NODE =~ ^[a-z0-9][a-z0-9_-]{0,62}$ ]] || die "node id '$NODE' is not a valid id"
[ -f "$HALL/hall.toml" ] || die "$HALL has no hall.toml"
[ -f "$USERS/nodes/$NODE.users" ] || die "no $USERS/nodes/$NODE.users: is '$NODE' a node of this hall? (re-run make_users.py)"
[ -f "$CA" ] || die "no CA certificate $CA"
[[ $BROKER =~ ^mqtts://[^/]+$ ]] || die "broker must be mqtts://host[:port] (devices use TLS)"
if [ -n "$WHEEL" ]; then [ -f "$WHEEL" ] || die "no wheel $WHEEL"; else [ -f "$SRC/pyproject.toml" ] || die "no pyproject.toml in $SRC"; fi
mapfile -t MQTT_USERS < "$USERS/nodes/$NODE.users"
[ ${#MQTT_USERS[@]} -gt 0 ] || die "node $NODE runs no devices"
for u in "${MQTT_USERS[@]}"; do
  [ -s "$USERS/secrets/$u.password" ] || die "no password for MQTT user $u in $USERS/secrets"
  [ -s "$PKI/clients/$u.crt" ] || die "no client certificate for $u in $PKI (make_users.py --pki)"
done
# The kinds of device this node runs decide what is installed (python3 >= 3.11 reads TOML).
mapfile -t KINDS < <(python3 - "$HALL" "$NODE" <<'PY'
import sys, tomllib, pathlib
hall, node = pathlib.Path(sys.argv[1]), sys.argv[2]
docs = tomllib.loads((hall / "hall.toml").read_text()).get("devices", [])
docs += [tomllib.loads(p.read_text()) for p in sorted(hall.glob("devices/*.toml"))]
print("\n".join(sorted({d.get("kind", "") for d in docs if d.get("node") == node})))
PY
)
EXTRA=edge
if [[ " ${KINDS[*]} " == *" face_terminal "* ]]; then
  EXTRA=face
  APT_PACKAGES+=(python3-dev libopenblas0 libatlas3-base)  # BLAS for numpy/dlib
fi
if [[ " ${KINDS[*]} " == *" voice "* ]]; then APT_PACKAGES+=(espeak-ng alsa-utils); fi
# A node with a screen (hall screen, kiosk) runs a kiosk browser on a Chinese page: the browser
# and a CJK font, without which the Chinese shows as empty boxes (tofu).
if [[ " ${KINDS[*]} " == *" hall_display "* || " ${KINDS[*]} " == *" kiosk "* ]]; then
  APT_PACKAGES+=(chromium fonts-noto-cjk)
fi
if [ "$DRY" = 0 ]; then
  [ "$(id -u)" = 0 ] || die "run as root (sudo), or use --dry-run"
  # shellcheck disable=SC1091
  . /etc/os-release
  [ "${VERSION_CODENAME:-}" = bookworm ] || say "warning: this is ${PRETTY_NAME:-unknown}, tested on Bookworm"
fi
say "node $NODE: ${#MQTT_USERS[@]} device(s): ${MQTT_USERS[*]}; installs hallkeeper[$EXTRA]"

# ---- Debian packages and the service user ----------------------------------------------------
run apt-get update -qq
# GPIO for gpiozero (away signs): Raspberry Pi OS ships python3-lgpio; plain Debian does not,
# and then the venv gets lgpio from PyPI instead.
LGPIO_FROM_PIP=1
if apt-cache show python3-lgpio >/dev/null 2>&1; then APT_PACKAGES+=(python3-lgpio); LGPIO_FROM_PIP=0; fi
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}"
if ! id "$SVC_USER" >/dev/null 2>&1; then
  run adduser --system --group --home "$STATE" --no-create-home "$SVC_USER"
fi
for g in gpio dialout video audio; do
  if getent group "$g" >/dev/null 2>&1; then run adduser "$SVC_USER" "$g"; fi
done

# ---- The virtual environment: the edge install only (hallkeeper[edge] or [face]) -----------
# --system-site-packages: gpiozero finds apt's lgpio binding (no compiler needed on the Pi).
if [ ! -x "$VENV/bin/python" ]; then run python3 -m venv --system-site-packages "$VENV"; fi
run "$VENV/bin/pip" install -q --upgrade pip
[ "$LGPIO_FROM_PIP" = 0 ] || run "$VENV/bin/pip" install -q lgpio
if [ -n "$WHEEL" ]; then
  run "$VENV/bin/pip" install -q "${WHEEL}[$EXTRA]"
else
  run "$VENV/bin/pip" install -q "${SRC}[$EXTRA]"
fi
if [ "$EXTRA" = face ]; then
  # face_recognition declares `dlib`, an 8-minute source build; dlib-bin (in [face]) ships the
  # same module prebuilt, so face_recognition goes in with --no-deps.
  run "$VENV/bin/pip" install -q --no-deps face_recognition==1.3.0
  run "$VENV/bin/python" -c "import face_recognition, cv2"
fi
run "$VENV/bin/hallkeeper-edge" run --hall "$HALL" --node "$NODE" --validate-config
run install -d -m 0755 "$PREFIX/deploy"
run cp -r "$REPO/deploy/." "$PREFIX/deploy/"

# ---- Configuration and secrets ----------------------------------------------------------------
run install -d -m 0750 -o root -g "$SVC_USER" "$ETC" "$ETC/secrets"
run rm -rf "$ETC/hall.new"
run cp -r "$HALL" "$ETC/hall.new"
run rm -rf "$ETC/hall"
run mv "$ETC/hall.new" "$ETC/hall"
run install -m 0644 -o root -g root "$CA" "$ETC/ca.crt"
run install -d -m 0750 -o root -g "$SVC_USER" "$ETC/certs"
for u in "${MQTT_USERS[@]}"; do
  run install -m 0640 -o root -g "$SVC_USER" "$USERS/secrets/$u.password" "$ETC/secrets/$u.password"
  run install -m 0644 "$PKI/clients/$u.crt" "$ETC/certs/$u.crt"
  run install -m 0640 -o root -g "$SVC_USER" "$PKI/clients/$u.key" "$ETC/certs/$u.key"
done
# A device moved to another Pi leaves: its password must not stay on this one.
for f in "$ETC"/secrets/*.password; do
  [ -e "$f" ] || continue
  u=$(basename "$f" .password)
  [[ " ${MQTT_USERS[*]} " == *" $u "* ]] || run rm -f "$f" "$ETC/certs/$u.crt" "$ETC/certs/$u.key"
done
env_file=$(mktemp)
sed -e "s|^HK_EDGE_BROKER_URL=.*|HK_EDGE_BROKER_URL=$BROKER|" \
    -e "s|^HK_EDGE_TLS_CA=.*|HK_EDGE_TLS_CA=$ETC/ca.crt|" \
    -e "s|^HK_EDGE_PASSWORD_FILE=.*|HK_EDGE_PASSWORD_FILE=$ETC/secrets/{device}.password|" \
    -e "s|^HK_EDGE_TLS_CERT=.*|HK_EDGE_TLS_CERT=$ETC/certs/{device}.crt|" \
    -e "s|^HK_EDGE_TLS_KEY=.*|HK_EDGE_TLS_KEY=$ETC/certs/{device}.key|" \
    "$REPO/deploy/systemd/edge.env.example" > "$env_file"
if [ -f "$ETC/edge.env" ] && [ "$DRY" = 0 ]; then
  say "keeping the existing $ETC/edge.env (new template: $ETC/edge.env.new)"
  run install -m 0640 -o root -g "$SVC_USER" "$env_file" "$ETC/edge.env.new"
else
  run install -m 0640 -o root -g "$SVC_USER" "$env_file" "$ETC/edge.env"
fi
[ "$DRY" = 0 ] || sed 's/^/  edge.env| /' "$env_file"
rm -f "$env_file"

# ---- The service ------------------------------------------------------------------------------
run install -m 0644 "$REPO/deploy/systemd/hallkeeper-edge@.service" /etc/systemd/system/
run systemctl daemon-reload
run systemctl enable "hallkeeper-edge@$NODE.service"
run systemctl restart "hallkeeper-edge@$NODE.service"
say "done: hallkeeper-edge@$NODE enabled; logs: journalctl -u hallkeeper-edge@$NODE -f"
