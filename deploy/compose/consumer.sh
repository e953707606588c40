#!/usr/bin/env bash
# The demo's consumer: prints every Zeek log entry as it arrives in Redis,
# one line each ("<stream> <entry id> <json>"), with redis-cli XREAD BLOCK.
# It starts at Redis's current time, so it shows what arrives after it
# started; CONSUMER_MAX > 0 stops it after that many entries.
set -euo pipefail

: "${REDIS_CLI:=redis-cli}"
: "${REDIS_HOST:=redis}"
: "${REDIS_PORT:=6379}"
: "${CONSUMER_STREAMS:=zeek:conn zeek:http zeek:dns zeek:intel}"
: "${CONSUMER_BLOCK_MS:=5000}"
: "${CONSUMER_MAX:=0}"

rcli() { "$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" --raw "$@"; }

until rcli PING >/dev/null 2>&1; do sleep 0.5; done
read -r -a streams <<<"$CONSUMER_STREAMS"
# One last-seen id per stream. Not "$": between two XREADs that would skip
# what reached the other streams meanwhile.
mapfile -t now < <(rcli TIME)
declare -A last
for s in "${streams[@]}"; do last[$s]="$((now[0] * 1000 + now[1] / 1000))-0"; done
echo "consumer.sh: waiting for entries in ${streams[*]}"

seen=0
while :; do
  ids=()
  for s in "${streams[@]}"; do ids+=("${last[$s]}"); done
  # --raw prints the reply flat, one element a line: a stream's name, then
  # per entry its id, the field name and the JSON (one line: Zeek's JSON
  # escapes control characters).
  stream="" id="" state=key
  while IFS= read -r line; do
    case $state in
      key)
        if [[ $line =~ ^[0-9]+-[0-9]+$ ]]; then
          id=$line state=field
        elif [ -n "$line" ]; then
          stream=$line
        fi
        ;;
      field) state=value ;;
      value)
        echo "$stream $id $line"
        last[$stream]=$id
        seen=$((seen + 1))
        state=key
        ;;
    esac
  done < <(rcli XREAD COUNT 100 BLOCK "$CONSUMER_BLOCK_MS" STREAMS "${streams[@]}" "${ids[@]}")
  if [ "$CONSUMER_MAX" -gt 0 ] && [ "$seen" -ge "$CONSUMER_MAX" ]; then
    echo "consumer.sh: $seen entries"
    break
  fi
done
