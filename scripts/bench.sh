#!/usr/bin/env bash
# bench.sh - the benchmark. Starts a fleet with its own config and data dir
# under a temporary directory, a callback sink, and measures signed
# init -> on_init round trips. BENCH_REQUESTS sets how many.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ONDC_BIN:-$top/${BUILD:-build}/bin}
N=${BENCH_REQUESTS:-300}
dir=$(mktemp -d /tmp/ondc-bench-XXXXXX)
trap 'bash "$top/scripts/fleet" stop "$dir/ondc.json" >/dev/null 2>&1 || true; kill $sink 2>/dev/null || true; rm -rf "$dir"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port); A=$(port); S=$(port)
mkdir -p "$dir/keys/buyer"; chmod 700 "$dir/keys" "$dir/keys/buyer"
"$BIN/ondcctl" keygen --dir "$dir/keys" > "$dir/node.json"
"$BIN/ondcctl" keygen --dir "$dir/keys/buyer" > "$dir/buyer.json"
python3 - "$dir" "$P" "$A" <<'PY'
import json, sys
d, p, a = sys.argv[1:4]
node, buyer = json.load(open(d + "/node.json")), json.load(open(d + "/buyer.json"))
rec = lambda s, k: {"subscriber_id": s, "ukId": "k1", "signing_public_key": k["signing_public_key"],
                    "valid_from": "2024-01-01T00:00:00.000Z", "valid_until": "2035-01-01T00:00:00.000Z",
                    "status": "SUBSCRIBED"}
json.dump([rec("seller.bench.local", node), rec("carecommerce.in", buyer)], open(d + "/registry.json", "w"))
json.dump({"subscriber_id": "seller.bench.local", "bpp_uri": "http://127.0.0.1:%s" % p,
           "listen": "127.0.0.1:%s" % p, "admin_listen": "127.0.0.1:%s" % a,
           "signing_private_key_file": "keys/signing.key", "data_dir": "data", "run_dir": "run",
           "registry": {"file": "registry.json"}, "log_level": "warn", "cities": ["std:080"]},
          open(d + "/ondc.json", "w"), indent=1)
PY
"$BIN/ondcctl" --config "$dir/ondc.json" catalog import "$top/etc/demo-catalog.json" >/dev/null
ONDC_BIN=$BIN bash "$top/scripts/fleet" start "$dir/ondc.json" >/dev/null
"$BIN/ondcctl" listen "$S" --out "$dir/sink.jsonl" 2>/dev/null & sink=$!
sleep 0.3
t0=$(date +%s.%N)
for i in $(seq 1 "$N"); do
  "$BIN/ondcctl" --config "$dir/ondc.json" send "$top/tests/fixtures/seed-init-request.json" \
    "http://127.0.0.1:$P/protocol/v1/init" --bap-uri "http://127.0.0.1:$S/" \
    --key "$dir/keys/buyer/signing.key" --ukid k1 >/dev/null
done
t1=$(date +%s.%N)
for _ in $(seq 1 100); do
  [ "$(wc -l < "$dir/sink.jsonl" 2>/dev/null || echo 0)" -ge "$N" ] && break; sleep 0.1
done
t2=$(date +%s.%N)
got=$(wc -l < "$dir/sink.jsonl")
python3 - "$N" "$got" "$t0" "$t1" "$t2" <<'PY'
import sys
n, got, t0, t1, t2 = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:6])
print("requests            %d (sequential, one ondcctl process each)" % n)
print("acked_per_s         %.0f" % (n / (t1 - t0)))
print("on_init_delivered   %d" % got)
print("burst_lost %d" % (n - got))
PY
