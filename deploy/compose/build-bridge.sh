#!/usr/bin/env bash
# Builds the bridge inside the zeek/zeek image (Dockerfile) against the
# Broker of that image's Zeek (/usr/local/zeek: include/broker,
# lib/cmake/Broker), the way CI builds its Zeek 8.0.10 flavour, and installs
# it under /usr like the .deb: /usr/bin/zeek-redis-bridge, the example
# config in /etc/zeek-redis-bridge. Usage: build-bridge.sh SOURCE_DIR
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

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
rm -rf /var/lib/apt/lists/*

cmake -S "$src" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$ZEEK_PREFIX" -DCMAKE_INSTALL_PREFIX=/usr \
  -DZRB_BUILD_TESTS=OFF -DZRB_BUILD_BENCH=OFF
cmake --build "$BUILD_DIR" -j"$(nproc)"
cmake --install "$BUILD_DIR"
rm -rf "$BUILD_DIR"

# The installed binary has no RPATH: find Zeek's libbroker through ld.so.
echo "$ZEEK_PREFIX/lib" >/etc/ld.so.conf.d/zeek.conf
ldconfig
zeek-redis-bridge --version
