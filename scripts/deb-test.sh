#!/usr/bin/env bash
# deb-test.sh - install the Debian package on this machine and check it as
# a new operator would: the files and their modes (the config root:ondc
# 0640, the keys the ondc user's, 0600), the installed units (systemd-analyze
# verify, when present), that nothing starts with the shipped placeholder
# identity (the check refuses it with a message naming subscriber_id, the
# postinst says what to edit), then with an identity set: the fleet started
# as the ondc user (under systemd when it is PID 1, else under supervisord
# with the installed scripts/fleet --user ondc), every process running as
# ondc, /health (ondc-ingress) and /ready (ondc-admin), SIGHUP reaching
# every process, stop, remove and purge. Meant for a throwaway machine or
# CI: it changes the system (a package, the "ondc" user).
# Usage: scripts/deb-test.sh DEB
set -euo pipefail
deb=${1:?usage: scripts/deb-test.sh DEB}
cfg=/etc/ondc-gateway/ondc.json
fleet=/usr/share/ondc-gateway/scripts/fleet
t0=$SECONDS
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
ok() { echo "deb-test: ok   $*"; }
export DEBIAN_FRONTEND=noninteractive
out=$(mktemp)
trap 'rm -f "$out"' EXIT
apt-get install -y -qq "./$deb" >"$out" 2>&1 || dpkg -i "$deb" >"$out" 2>&1 || { cat "$out"; fail "install"; }
getent passwd ondc >/dev/null || fail "no ondc user"
for b in ondc-ingress ondc-admin ondc-dispatcher ondc-worker ondc-callback ondcctl; do
  [ -x /usr/bin/$b ] || fail "$b not installed"
  /usr/bin/$b --version | grep -q "^$b " || fail "$b --version"
done
ok "installed: binaries, --version on each"

# files and modes
[ "$(stat -c '%U:%G %a' $cfg)" = "root:ondc 640" ] || fail "config mode: $(stat -c '%U:%G %a' $cfg)"
runuser -u ondc -- cat $cfg >/dev/null || fail "the ondc user cannot read $cfg"
[ "$(stat -c '%U %a' /etc/ondc-gateway/keys/signing.key)" = "ondc 600" ] || fail "key mode"
[ "$(stat -c '%U %a' /etc/ondc-gateway/keys/admin.token)" = "ondc 600" ] || fail "token mode"
[ "$(stat -c '%U:%G %a' /var/lib/ondc-gateway/data)" = "ondc:ondc 750" ] || fail "data_dir mode"
[ "$(stat -c '%U %a' /run/ondc-gateway)" = "ondc 750" ] || fail "run_dir mode"
[ -x /lib/systemd/system-generators/ondc-gateway-generator ] || fail "no generator"
ok "modes: $cfg root:ondc 0640, keys ondc 0600, data and run dirs ondc 0750"
if command -v systemd-analyze >/dev/null; then
  units=$(ls /lib/systemd/system/ondc-*.service /lib/systemd/system/ondc-gateway.target | grep -v '@')
  v=$(systemd-analyze verify --man=no $units /lib/systemd/system/ondc-worker@order.0.service 2>&1 || true)
  [ -z "$v" ] || fail "systemd-analyze verify: $v"
  ok "units verified (systemd-analyze verify)"
fi

# first run: the placeholder identity is refused, nothing runs
grep -q "installed, not started" "$out" || { cat "$out"; fail "postinst did not say it was not started"; }
grep -q "Edit $cfg: subscriber_id" "$out" || fail "postinst did not say what to edit"
set +e
why=$(runuser -u ondc -- /usr/bin/ondc-ingress --config $cfg --check-config 2>&1 >/dev/null); rc=$?
set -e
why=$(echo "$why" | head -n 1)
[ $rc = 78 ] || fail "placeholder config: --check-config exit $rc"
echo "$why" | grep -q 'subscriber_id: "seller.example.com" is a placeholder' || fail "refusal: $why"
pgrep -u ondc -f /usr/bin/ondc- >/dev/null && fail "a process runs with the placeholder identity"
curl -s -m 1 http://127.0.0.1:8081/ready >/dev/null && fail "something answers on 8081"
if [ ! -d /run/systemd/system ]; then
  set +e
  r=$(bash $fleet start $cfg --user ondc 2>&1); rc=$?
  set -e
  [ $rc = 78 ] || fail "fleet start with the placeholder: exit $rc: $r"
  echo "$r" | grep -q placeholder || fail "fleet start refusal: $r"
fi
ok "placeholder identity refused: $why"

# the operator sets the identity; the fleet runs as ondc
sed -i -e 's/seller\.example\.com/seller.deb-test.test/g' $cfg
[ "$(stat -c '%U:%G %a' $cfg)" = "root:ondc 640" ] || fail "config mode after edit"
runuser -u ondc -- /usr/bin/ondc-ingress --config $cfg --check-config >/dev/null || fail "config with an identity"
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl start ondc-gateway.target
  for u in ondc-ingress ondc-admin ondc-dispatcher ondc-callback ondc-worker@order.0 ondc-worker@order.1 \
           ondc-worker@discovery.1 ondc-worker@post-fulfillment.0; do
    for _ in $(seq 1 50); do systemctl is-active --quiet $u.service && break; sleep 0.2; done
    systemctl is-active --quiet $u.service || fail "$u unit not active"
  done
  how="systemd"
else
  bash $fleet start $cfg --user ondc >/dev/null || fail "fleet start --user ondc"
  how="supervisord (fleet start --user ondc)"
fi
pids=$(pgrep -f "/usr/bin/ondc-.* --config $cfg" || true)
[ "$(echo "$pids" | wc -w)" -ge 10 ] || fail "expected 10 processes (2 discovery, 2 order workers), got: $pids"
for p in $pids; do
  [ "$(ps -o user= -p "$p")" = ondc ] || fail "pid $p runs as $(ps -o user= -p "$p"): $(tr '\0' ' ' </proc/$p/cmdline)"
done
curl -fsS -m 3 http://127.0.0.1:8080/health >/dev/null || fail "/health"
ready=$(curl -sS -m 3 http://127.0.0.1:8081/ready)
echo "$ready" | grep -q '"ready":true' || fail "/ready: $ready"
echo "$ready" | grep -q '"subscriber_id":"seller.deb-test.test"' || fail "/ready identity: $ready"
ok "fleet up under $how: $(echo "$pids" | wc -w) processes, each as ondc; /health, /ready"

# SIGHUP reaches every process
sed -i -e 's/"log_level": "info"/"log_level": "warn"/' $cfg
if [ -d /run/systemd/system ]; then systemctl reload ondc-gateway.target; else bash $fleet reload $cfg >/dev/null; fi
sleep 1
if [ -d /run/systemd/system ]; then
  n=$(journalctl --no-pager -o cat -u 'ondc-*' | grep -c '"event":"config.reloaded","key":"log_level"' || true)
  [ "$n" -ge 10 ] || fail "systemctl reload ondc-gateway.target reached $n of 10 processes"
  ok "systemctl reload ondc-gateway.target: every process reloaded log_level"
else
  n=$(grep -l '"event":"config.reloaded","key":"log_level"' /run/ondc-gateway/logs/*.log 2>/dev/null | wc -l || true)
  [ "$n" -ge 10 ] || fail "SIGHUP reached $n of 10 processes"
  ok "fleet reload: every process reloaded log_level"
fi

if [ -d /run/systemd/system ]; then systemctl stop ondc-gateway.target; else bash $fleet stop $cfg >/dev/null || fail "fleet stop"; fi
for _ in $(seq 1 100); do pgrep -f "^/usr/bin/ondc-.* --config $cfg" >/dev/null || break; sleep 0.2; done
left=$(pgrep -a -f "^/usr/bin/ondc-.* --config $cfg" || true)
[ -z "$left" ] || fail "processes left after stop: $left"
dpkg -r ondc-gateway >/dev/null || fail "remove"
dpkg -P ondc-gateway >/dev/null || fail "purge"
getent passwd ondc >/dev/null && fail "user left after purge"
dpkg-statoverride --list $cfg >/dev/null 2>&1 && fail "stat override left after purge"
rm -rf /etc/ondc-gateway /var/lib/ondc-gateway /run/ondc-gateway
echo "deb-test: installed, refused the placeholder, started as ondc under $how (/health, /ready," \
     "SIGHUP), stopped, removed and purged cleanly in $((SECONDS - t0)) s"
