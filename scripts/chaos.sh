#!/usr/bin/env bash
# chaos.sh - the long chaos run (`make chaos`): a real fleet under a steady
# load of signed init requests, while the ingress, the dispatcher, a worker
# and the callback process are killed with SIGKILL at random moments (one at
# a time and all together) and supervisord restarts them. It prints the
# counts - sent, ACKed, NACKed, no answer, delivered, duplicates, lost - and
# fails unless every ACKed request got its on_* (lost 0), its journal row is
# done and its effect happened exactly once. The short version of the same
# test runs in `make test` (tests/e2e/test_chaos.py, 20 s of load).
#
#   scripts/chaos.sh                      # CHAOS_SECONDS=120
#   CHAOS_SECONDS=600 CHAOS_RATE=50 scripts/chaos.sh
#   CHAOS_SEED=1234 scripts/chaos.sh      # the same kill schedule again
#   KEEP_E2E=1 scripts/chaos.sh           # keep the fleet's directory (logs, store)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD ONDC_BIN=${ONDC_BIN:-$top/$BUILD/bin}
export CHAOS_SECONDS=${CHAOS_SECONDS:-120}
[ -x "$ONDC_BIN/ondcctl" ] || { echo "chaos: $ONDC_BIN/ondcctl missing: run make" >&2; exit 69; }
exec python3 tests/e2e/test_chaos.py
