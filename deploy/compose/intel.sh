#!/usr/bin/env bash
# The demo's intel producer: publishes indicators that the sample pcap
# holds (an address and an HTTP host of wikipedia.pcap) on the bridge's
# intel channel, once the bridge listens there, and waits until the bridge
# has them in its snapshot, which it replays to every Zeek run. Then Zeek's
# intel.log, and the Redis stream zeek:intel, show the hits.
set -euo pipefail

: "${REDIS_CLI:=redis-cli}"
: "${REDIS_HOST:=redis}"
: "${REDIS_PORT:=6379}"
: "${INTEL_CHANNEL:=zeek:intel}"
: "${INTEL_SOURCE:=compose-demo}"
: "${INTEL_WAIT_S:=120}"
default_json='[{"indicator":"208.80.152.3","type":"ADDR","meta":{"source":"'"$INTEL_SOURCE"'","desc":"wikimedia upload server"}},
 {"indicator":"meta.wikimedia.org","type":"DOMAIN","meta":{"source":"'"$INTEL_SOURCE"'","desc":"wikimedia meta"}}]'
: "${INTEL_JSON:=$default_json}"
: "${INTEL_COUNT:=2}"

rcli() { "$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" --raw "$@"; }

# Pub/sub reaches only subscribers present at the time: wait for the bridge.
deadline=$((SECONDS + INTEL_WAIT_S))
until [ "$(rcli PUBSUB NUMSUB "$INTEL_CHANNEL" 2>/dev/null | sed -n 2p)" -ge 1 ] 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "intel.sh: no subscriber on $INTEL_CHANNEL after ${INTEL_WAIT_S}s (is the bridge up?)" >&2
    exit 1
  fi
  sleep 0.5
done

echo "intel.sh: publishing on $INTEL_CHANNEL: $INTEL_JSON"
rcli PUBLISH "$INTEL_CHANNEL" "$INTEL_JSON" >/dev/null

until [ "$(rcli HLEN "zeek:intel:snapshot:$INTEL_SOURCE")" -ge "$INTEL_COUNT" ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "intel.sh: the bridge did not take the indicators (see: redis-cli XRANGE zeek:intel:errors - +)" >&2
    exit 1
  fi
  sleep 0.5
done
echo "intel.sh: the bridge holds them in zeek:intel:snapshot:$INTEL_SOURCE:"
rcli HKEYS "zeek:intel:snapshot:$INTEL_SOURCE"
