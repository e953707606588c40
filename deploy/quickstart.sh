#!/usr/bin/env bash
# Quick start on a fresh Debian 12: install the packages, build, start a
# local redis-server (unless one answers on 127.0.0.1:6379) and the bridge,
# and replay the sample Zeek logs in deploy/sample through it, so that
# `redis-cli XRANGE zeek:conn - +` shows them.
#
# Run from anywhere inside the checkout, as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2046
$SUDO apt-get install -y --no-install-recommends $(grep -v '^#' deploy/packages.txt)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"

if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== using the redis-server already answering on 127.0.0.1:6379"
else
  echo "== starting redis-server on 127.0.0.1:6379"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --logfile "$PWD/build/redis.log" --dir "$PWD/build"
  for _ in $(seq 50); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

if [ -f build/bridge.pid ] && kill -0 "$(cat build/bridge.pid)" 2>/dev/null; then
  echo "== stopping the bridge this script started before"
  kill "$(cat build/bridge.pid)"
  sleep 1
fi
echo "== starting zeek-redis-bridge on 127.0.0.1:9999 (log: build/bridge.log)"
nohup build/bridge/zeek-redis-bridge --config deploy/zeek-redis-bridge.conf \
  --log.file build/bridge.log --stats.interval-s 10 >/dev/null 2>&1 &
echo $! > build/bridge.pid
for _ in $(seq 100); do grep -q "listening on" build/bridge.log 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" build/bridge.log || { cat build/bridge.log; exit 1; }

echo "== replaying deploy/sample/*.log (Zeek 8.0 TSV logs) through Broker"
/usr/bin/python3 deploy/replay.py --bridge 127.0.0.1:9999 --zeek-version 80010 deploy/sample

echo "== what Redis holds now"
for key in $(redis-cli -p 6379 --scan --pattern 'zeek:*' | sort); do
  echo "$key: $(redis-cli -p 6379 XLEN "$key") entries"
done
echo "== the first conn records:"
redis-cli -p 6379 XRANGE zeek:conn - + COUNT 2
echo
echo "The bridge keeps running (pid $(cat build/bridge.pid)); stop it with: kill $(cat build/bridge.pid)"
