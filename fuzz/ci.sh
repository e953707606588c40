#!/usr/bin/env bash
# CI for the fuzz targets: an instrumented clang build of its own
# (build-fuzz/, or $FUZZ_BUILD_DIR), seeds from the shared corpus, then each target for a
# bounded time (FUZZ_SECONDS, default 60). A crash, leak, timeout or
# sanitizer report makes libFuzzer exit non-zero, and this script with it;
# the input that did it is left in build-fuzz/fuzz/ci/ for the log.
# Run from the repository root, after deploy/packages-fuzz.txt is installed.
set -euo pipefail
seconds="${FUZZ_SECONDS:-60}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
CXX=clang++ cmake -S . -B "$build" -DZRB_FUZZ=ON -DZRB_BUILD_TESTS=OFF -DZRB_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)" --target fuzz_protocol fuzz_broker_data fuzz_intel fuzz_websocket
cmake --build "$build" --target fuzz_seeds
# The WebSocket target's seeds: messages recorded from a real Zeek 8.0.10.
mkdir -p "$build/fuzz/seeds/websocket"
cp ../shared/corpus/zeek-8.0.10/websocket/*.json fuzz/seeds_websocket/*.json "$build/fuzz/seeds/websocket/"
cd "$build/fuzz"
for target in protocol broker_data intel websocket; do
  mkdir -p "ci/$target"
  echo "fuzz: $target for ${seconds}s"
  # -timeout=30: Broker's own deserializer can take seconds on small inputs
  # (nested sets, bench/RESULTS.md); a hang in the bridge's code is still caught.
  mode=()
  if [ "$target" = broker_data ]; then
    # This target feeds Broker 1.4's deserializer first, and CAF 0.17 can
    # spend minutes on some nested sets (docs/security.md). Fork mode with
    # -ignore_timeouts=1 reports such an input (kept in ci/) and goes on, so
    # CI is not at the mercy of what one minute of mutation happens to hit;
    # crashes and sanitizer reports still fail the run.
    mode=(-fork=1 -ignore_timeouts=1 -ignore_ooms=0 -ignore_crashes=0)
  fi
  "./fuzz_$target" "${mode[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="ci/$target-" "ci/$target" "seeds/$target" \
    2>"ci/$target.log" || { tail -60 "ci/$target.log"; exit 1; }
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec)|^#[0-9]+: cov' "ci/$target.log" |
    tail -2
done
