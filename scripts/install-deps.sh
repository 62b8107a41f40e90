#!/usr/bin/env bash
# Installs every Debian package FedSwift needs to build, test and run (idempotent; needs root).
# Swift itself is expected on PATH (swift.org toolchain, 6.1 or later).
set -euo pipefail
packages=(
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler liblz4-dev zlib1g-dev
  libopenblas-dev pkg-config dataset-fashion-mnist
  python3 python3-venv python3-pip python3-yaml iproute2 procps docker-compose
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
