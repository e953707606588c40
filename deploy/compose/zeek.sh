#!/usr/bin/env bash
# The demo's Zeek service: reads the sample pcap again and again with the
# zeek-redis-bridge package loaded (ZEEK_RUNS times, 0: for ever), or, with
# ZEEK_INTERFACE set, watches that live interface instead. Each run's logs
# (conn.log, http.log, intel.log, ...) are written to ZEEK_LOG_DIR as JSON,
# and the package forwards every record to the bridge.
# Extra arguments go to Zeek (scripts, redefs).
set -euo pipefail

: "${ZEEK:=zeek}"
# The package: the name under Zeek's site folder (the compose file mounts
# ../../scripts there, where zkg would install it) or a path.
: "${ZEEK_PACKAGE:=zeek-redis-bridge}"
: "${ZEEK_PCAP:=/pcap/wikipedia.pcap}"
: "${ZEEK_INTERFACE:=}"
: "${ZEEK_LOG_DIR:=/logs}"
: "${ZEEK_RUNS:=0}"
: "${ZEEK_PAUSE_S:=10}"
: "${BRIDGE_HOST:=bridge}"
: "${BRIDGE_PORT:=9999}"

cd "$ZEEK_LOG_DIR"
# local: the site policy; frameworks/intel/seen: the Intel framework looks
# for indicators in what Zeek sees (addresses, HTTP hosts, DNS names, ...).
args=(local frameworks/intel/seen "$ZEEK_PACKAGE" LogAscii::use_json=T
  "RedisBridge::bridge_host=$BRIDGE_HOST" "RedisBridge::bridge_port=$BRIDGE_PORT/tcp" "$@")

if [ -n "$ZEEK_INTERFACE" ]; then
  echo "zeek.sh: live on $ZEEK_INTERFACE"
  exec "$ZEEK" -C -i "$ZEEK_INTERFACE" "${args[@]}"
fi

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

run=0
while :; do
  run=$((run + 1))
  echo "zeek.sh: run $run over $ZEEK_PCAP"
  # The package holds the trace until the bridge is peered and has replayed
  # the intel snapshot, and ends the run once the bridge confirmed every
  # record: each run is complete in Redis.
  "$ZEEK" -C -r "$ZEEK_PCAP" "${args[@]}"
  echo "zeek.sh: run $run done: $(lines conn.log) lines in conn.log, $(lines intel.log) in intel.log"
  if [ "$ZEEK_RUNS" != 0 ] && [ "$run" -ge "$ZEEK_RUNS" ]; then
    break
  fi
  sleep "$ZEEK_PAUSE_S"
done
