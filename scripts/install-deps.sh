#!/usr/bin/env bash
# Installs the Debian packages ring1 builds and tests with, and only the missing ones.
# Nothing is vendored or downloaded at build time: every dependency is a Debian package.
set -euo pipefail

PACKAGES=(
  build-essential cmake make pkg-config
  libzydis-dev libfmt-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libxen-dev libunicorn-dev libxbyak-dev
  zlib1g-dev nlohmann-json3-dev
  gcc-multilib gdb python3 python3-matplotlib qemu-system-x86
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo sh -c "$cmd"
    exit 0
  fi
  echo "ring1: missing packages: ${missing[*]}" >&2
  echo "ring1: run as root:  sudo sh -c '$cmd'" >&2
  exit 1
fi

echo "ring1: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
