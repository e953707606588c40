#!/usr/bin/env bash
# Builds the bridge inside the zeek/zeek image (Dockerfile) against the
# Broker of that image's Zeek (/usr/local/zeek: include/broker,
# lib/cmake/Broker), the way CI builds its Zeek 8.0.10 flavour, and installs
# it under /usr like the .deb: /usr/bin/zeek-redis-bridge, the example
# config in /etc/zeek-redis-bridge. Usage: build-bridge.sh SOURCE_DIR
# Natively (packages already there, nothing touched outside a scratch root):
#   APT_INSTALL=0 ZEEK_PREFIX=<zeek prefix> BUILD_DIR=<dir> DESTDIR=<root> build-bridge.sh .
set -euo pipefail
src=${1:?usage: build-bridge.sh SOURCE_DIR}

: "${ZEEK_PREFIX:=/usr/local/zeek}"
: "${BUILD_DIR:=$src/build-image}"
# The image's Debian (13 for zeek/zeek:8.0.10) packages the build needs; the
# libraries they pull in stay for the run time. Broker and its CAF come with
# Zeek.
packages=(cmake g++ make pkg-config libhiredis-dev nlohmann-json3-dev
  libboost-program-options-dev libboost-dev rapidjson-dev libssl-dev
  libsimdjson-dev libsqlite3-dev)

: "${APT_INSTALL:=1}"
if [ "$APT_INSTALL" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${packages[@]}"
  rm -rf /var/lib/apt/lists/*
fi

cmake -S "$src" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$ZEEK_PREFIX" -DCMAKE_INSTALL_PREFIX=/usr \
  -DZRB_BUILD_TESTS=OFF -DZRB_BUILD_BENCH=OFF
cmake --build "$BUILD_DIR" -j"$(nproc)"
# DESTDIR, if set, is the root to install into (cmake reads it).
cmake --install "$BUILD_DIR"
rm -rf "$BUILD_DIR"

# The installed binary has no RPATH: ld.so finds Zeek's libbroker.
mkdir -p "${DESTDIR:-}/etc/ld.so.conf.d"
echo "$ZEEK_PREFIX/lib" >"${DESTDIR:-}/etc/ld.so.conf.d/zeek.conf"
if [ -z "${DESTDIR:-}" ]; then
  ldconfig
  zeek-redis-bridge --version
fi
