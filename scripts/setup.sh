#!/usr/bin/env bash
# Set up hallkeeper in ./.venv: Python packages (dlib from the prebuilt dlib-bin wheel) and,
# where missing and we are root, the Debian packages the tests and the demo use (mosquitto,
# chromium, espeak-ng, shellcheck, a CJK font).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)  # tests/deploy: the scripts lint clean
# A CJK font: without one a fresh Debian shows the Chinese interface as empty boxes (tofu).
if ! { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family)" ]; }; then
  need_apt+=(fonts-noto-cjk)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    systemctl disable --now mosquitto >/dev/null 2>&1 || true  # tests start private brokers
  else
    echo "setup: please install these Debian packages (as root): ${need_apt[*]}" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.hallkeeper-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (about a minute)"
  # Everything (hallkeeper[all]: edge, face terminal and hub) plus the test tools: the tests
  # compose both sides. A Pi installs only hallkeeper[edge] (deploy/pi/provision.sh).
  # face_recognition declares a dependency on `dlib`, whose source build takes 8+ minutes.
  # dlib-bin ships the same `dlib` module prebuilt, so face_recognition goes in with --no-deps
  # and its other dependencies (face_recognition_models, Click, numpy, Pillow) come from
  # pyproject.toml.
  .venv/bin/pip install -q dlib-bin face-recognition-models 2>&1 | grep -v "is ignored" || true
  .venv/bin/pip install -q --no-deps face_recognition==1.3.0 2>&1 | grep -v "is ignored" || true
  .venv/bin/pip install -q -e '.[all,dev]' 2>&1 | grep -v -e "is ignored" -e "requires dlib" \
    -e "dependency resolver" -e "dependency conflicts" || true
  .venv/bin/python -c "import face_recognition, dlib, cv2, paho.mqtt, hub, edge, models" \
    || { echo "setup: the Python packages did not install; see the pip output above" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
echo "setup: ready (.venv)"
