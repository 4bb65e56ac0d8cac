#!/usr/bin/env bash
# deb-test-systemd.sh - scripts/deb-test.sh under systemd as PID 1, on a
# machine where systemd is not running: this machine's root, seen through
# an overlay (writes go to memory and vanish), booted in a container with
# systemd-nspawn (Debian package systemd-container); a unit in it runs
# deb-test.sh after boot, then powers off. Its log comes back here.
# Usage: scripts/deb-test-systemd.sh DEB
set -euo pipefail
deb=$(realpath "${1:?usage: scripts/deb-test-systemd.sh DEB}")
top=$(cd "$(dirname "$0")/.." && pwd)
command -v systemd-nspawn >/dev/null || { echo "deb-test-systemd: no systemd-nspawn (apt-get install systemd-container)" >&2; exit 69; }
work=$(mktemp -d /tmp/ondc-nspawn-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/out" "$work/root"
cat > "$work/ondc-debtest.service" <<UNIT
[Unit]
Description=scripts/deb-test.sh under systemd, then power off
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/bash -c 'bash $top/scripts/deb-test.sh $deb > /out/deb-test.log 2>&1; echo "exit \$\$?" >> /out/deb-test.log'
ExecStopPost=/bin/systemctl poweroff
UNIT
# the root is bind-mounted inside a mount namespace of our own, so the
# mount ends with this script
unshare -m bash -c '
  mount --make-rprivate / && mount --rbind / "$1/root" &&
  exec timeout 600 systemd-nspawn -q -D "$1/root" --volatile=overlay --register=no --keep-unit \
    --machine=ondc-deb-test --bind="$1/out:/out" \
    --bind-ro="$1/ondc-debtest.service:/etc/systemd/system/ondc-debtest.service" \
    -b systemd.wants=ondc-debtest.service' _ "$work" >"$work/boot.log" 2>&1 </dev/null || true
if [ ! -s "$work/out/deb-test.log" ]; then
  tail -20 "$work/boot.log" >&2; echo "deb-test-systemd: FAIL: the container did not run the test" >&2; exit 1
fi
sed 's/^/  [systemd] /' "$work/out/deb-test.log"
tail -1 "$work/out/deb-test.log" | grep -qx "exit 0"
