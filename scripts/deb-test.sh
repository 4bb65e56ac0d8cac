#!/usr/bin/env bash
# deb-test.sh - install the Debian package on this machine, run the installed
# fleet (under systemd when it is PID 1, else under supervisord with the
# installed scripts/fleet), check /health (ondc-ingress, network listener)
# and /ready (ondc-admin, admin listener), stop it, remove and
# purge the package. Meant for a throwaway machine or CI: it changes the
# system (a package, the "ondc" user). Usage: scripts/deb-test.sh DEB
set -euo pipefail
deb=${1:?usage: scripts/deb-test.sh DEB}
cfg=/etc/ondc-gateway/ondc.json
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "./$deb" >/dev/null 2>&1 || dpkg -i "$deb" >/dev/null || fail "install"
getent passwd ondc >/dev/null || fail "no ondc user"
for b in ondc-ingress ondc-admin ondc-dispatcher ondc-worker ondc-callback ondcctl; do
  [ -x /usr/bin/$b ] || fail "$b not installed"
done
[ "$(stat -c %a /etc/ondc-gateway/keys/signing.key)" = 600 ] || fail "key mode"
/usr/bin/ondc-ingress --config $cfg --check-config >/dev/null || fail "installed config does not check"
if [ -d /run/systemd/system ]; then
  for u in ondc-ingress ondc-admin; do
    systemctl is-active --quiet $u.service || fail "$u unit not active"
  done
else
  # no systemd here: the same fleet under supervisord, from the installed files
  bash /usr/share/ondc-gateway/scripts/fleet start $cfg >/dev/null || fail "fleet start"
fi
curl -fsS -m 3 http://127.0.0.1:8080/health >/dev/null || fail "/health"
ready=$(curl -sS -m 3 http://127.0.0.1:8081/ready)
echo "$ready" | grep -q '"ready":true' || fail "/ready: $ready"
if [ ! -d /run/systemd/system ]; then
  bash /usr/share/ondc-gateway/scripts/fleet stop $cfg >/dev/null || fail "fleet stop"
fi
dpkg -r ondc-gateway >/dev/null || fail "remove"
dpkg -P ondc-gateway >/dev/null || fail "purge"
getent passwd ondc >/dev/null && fail "user left after purge"
rm -rf /etc/ondc-gateway /var/lib/ondc-gateway /run/ondc-gateway
echo "deb-test: installed, started (/health, /ready), stopped, removed and purged cleanly"
