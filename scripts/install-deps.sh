#!/usr/bin/env bash
# install-deps.sh - install the Debian packages that ondc-gateway needs to
# build, test and run, but only those that are missing. Safe to run often:
# when everything is present it does nothing and touches no network.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libmicrohttpd-dev      # ingress HTTP listeners
  libzmq3-dev libczmq-dev # message passing between stages (libzmq, with CZMQ over it)
  libjansson-dev         # JSON
  libsodium-dev          # Ed25519 / BLAKE2b
  liblmdb-dev lmdb-utils # store and journal
  liblz4-dev             # outbox bodies stored compressed (fewer pages to flush)
  libcurl4-openssl-dev   # callback delivery, registry lookup
  libssl-dev             # AES-256-ECB for the registry challenge
  libcmocka-dev          # unit tests
  clang libclang-rt-14-dev llvm  # libFuzzer harnesses (make fuzz, fuzz-regress) and their coverage
  cppcheck clang-tidy    # make lint (part of make test)
  supervisor             # fleet process manager
  curl python3           # end-to-end test drivers
  prometheus             # promtool, to check the /metrics text in the tests
  chromium chromium-driver python3-selenium  # the console driven in a headless browser (test_console.py)
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# packages with daemons (prometheus, supervisor) must not start them here:
# the fleet runs its own supervisord, and the tests only need promtool
policy=/usr/sbin/policy-rc.d
had_policy=0; [ -e $policy ] && had_policy=1
if [ $had_policy = 0 ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null; $SUDO chmod 755 $policy; fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $had_policy = 0 ]; then $SUDO rm -f $policy; fi
# supervisord as a system service is not needed: the fleet runs its own.
