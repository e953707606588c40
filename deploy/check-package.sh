#!/usr/bin/env bash
# Builds the .deb from a finished build folder and checks it without
# installing it on this machine: its contents, the binary run from a scratch
# root (--version, --help), the systemd unit (systemd-analyze verify) and the
# config the unit names. Usage: deploy/check-package.sh BUILD_DIR
# (configured with -DCMAKE_INSTALL_PREFIX=/usr, as .ci/run does).
set -euo pipefail
build=$(cd "$1" && pwd)
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/zeek-redis-bridge_*.deb)
echo "package: $(basename "$deb")"
dpkg-deb --field "$deb" Package Version Depends

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles
for f in usr/bin/zeek-redis-bridge usr/bin/zeek-intel \
  etc/zeek-redis-bridge/zeek-redis-bridge.conf \
  etc/zeek-redis-bridge/zeek-redis-bridge.conf.example \
  usr/lib/systemd/system/zeek-redis-bridge.service \
  usr/share/zeek-redis-bridge/scripts/__load__.zeek \
  usr/share/doc/zeek-redis-bridge/README.md \
  usr/share/doc/zeek-redis-bridge/operations.md; do
  [ -e "$root/$f" ] || { echo "missing in the package: /$f"; exit 1; }
done

"$root/usr/bin/zeek-redis-bridge" --version
help=$("$root/usr/bin/zeek-redis-bridge" --help)
grep -q -- "--broker.listen" <<<"$help" || { echo "--help does not list the options"; exit 1; }
# The packaged config must be one the packaged binary accepts: an invalid
# one would make the unit fail at every start (exit 2, no restart).
"$root/usr/bin/zeek-redis-bridge" --config "$root/etc/zeek-redis-bridge/zeek-redis-bridge.conf" \
  --check-config

# The unit, with its ExecStart pointed at the scratch root (verify wants the
# binary to exist) and nothing else changed.
unit="$root/zeek-redis-bridge.service"
sed "s#/usr/bin/zeek-redis-bridge#$root/usr/bin/zeek-redis-bridge#" \
  "$root/usr/lib/systemd/system/zeek-redis-bridge.service" >"$unit"
# verify exits 0 on unknown keys and bad values (it only warns): any line
# it prints fails the check.
said=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$unit" 2>&1) || true
if [ -n "$said" ]; then
  echo "systemd-analyze verify: $said"
  exit 1
fi
echo "package check: passed"
