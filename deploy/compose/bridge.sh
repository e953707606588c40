#!/usr/bin/env bash
# The demo's bridge service: zeek-redis-bridge listening for Zeek on Broker,
# writing to the demo's Redis, serving /metrics. The container runs this as
# its entrypoint; tests/deploy/test_compose_steps.py runs it natively with
# the variables pointed at a build tree and free loopback ports.
# Extra arguments go to the bridge (e.g. --log.level debug).
set -euo pipefail

: "${ZRB_BRIDGE:=/usr/bin/zeek-redis-bridge}"
: "${ZRB_CONFIG:=/etc/zeek-redis-bridge/zeek-redis-bridge.conf}"
# Every interface of the container: Zeek comes from another container.
: "${BRIDGE_LISTEN:=0.0.0.0:9999}"
: "${REDIS_URL:=redis://redis:6379/0}"
: "${METRICS_LISTEN:=0.0.0.0:9911}"
# A summary line of every counter this often, so `docker compose logs
# bridge` shows the records flowing.
: "${STATS_INTERVAL_S:=10}"

exec "$ZRB_BRIDGE" --config "$ZRB_CONFIG" \
  --broker.listen "$BRIDGE_LISTEN" \
  --redis.url "$REDIS_URL" \
  --metrics.listen "$METRICS_LISTEN" \
  --stats.interval-s "$STATS_INTERVAL_S" \
  "$@"
