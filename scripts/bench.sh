#!/usr/bin/env bash
# bench.sh - the benchmark (make bench). Starts a fleet with its own config
# and data dir under a temporary directory (durable journal: journal_sync
# fsync, the default; no rate limit), then with build/bin/ondc-bench as the
# buyer app (signed requests, keep-alive, a callback sink that verifies and
# times every on_*), first its floor, then BENCH_RUNS times (default 3):
#   floor      before the node's runs, build/bin/ondc-bench-floor (a bare
#              server that verifies, parses and ACKs the same signed init,
#              no journal, no pipeline, no callback) on its own port,
#              driven by ondc-bench's burst (BENCH_FLOOR_COUNT, default
#              30,000, over the same BENCH_CONNS connections), BENCH_FLOOR_RUNS
#              times (default BENCH_RUNS): the median is floor_req_per_s,
#              and the node's figures are also given as ratios to it
#              (roundtrip_ratio, burst_ratio); BENCH_FLOOR_ONLY=1 measures
#              the floors alone and stops
#   round-trip floor  the same server with --roundtrip, which also sends
#              each request's on_* back signed (BENCH_RT_SENDERS threads,
#              default 4), the same bursts: the rate its on_* came back at
#              is roundtrip_floor_per_s, what no node's round trips can
#              pass on this machine with this generator; the node's
#              sustained and burst round trips are also given as shares of
#              it (roundtrip_vs_roundtrip_floor,
#              burst_delivered_vs_roundtrip_floor)
#   sustained  init at each rate of BENCH_RATES (default: 0.1 to 0.8 x the
#              floor in steps of 0.1, to the 100); the highest one the node
#              keeps up with (nothing NACKed or lost, on_* delivered at
#              >= 99% of the rate, round-trip p99 under 250 ms: no queue
#              growing through the run) is roundtrip_per_s; between the
#              highest rate kept up with and the next, BENCH_REFINE (default
#              2) more runs halve the gap (3,000 kept, 4,000 not: 3,500,
#              then 3,250 or 3,750), so the figure is not one of the steps
#   latency    init at BENCH_LATENCY_RATE (default 0.4 x the floor, to the
#              100): ACK and round-trip percentiles
#   burst      30,000 signed init as fast as they are ACKed, then every
#              on_* waited for
#   mix        search, select, init, confirm, status at 2,000/s
#   search     once, after the runs: a 10,000-item catalog, city-wide
#              searches (about 12 on_search pages each) at 1/s: worker
#              search time p50/p99 (ondc_search_seconds) and pages/s
#   catalog    BENCH_ONLY=catalog runs this part alone: catalogs of
#              10,000 and 100,000 items imported with ondcctl into the
#              running fleet's store (wall time, parse to commit), then city-wide searches of each at 1/s:
#              worker search time p50/p99 (ondc_search_seconds) and the
#              discovery worker's on_search bytes per second of search time
#              (ondc_search_bytes_total); BENCH_CATALOG_SIZES sets the sizes
#   abuse      scripts/bench-abuse.py: a buyer app's ACK and callback
#              latency alone and under slow-loris, dead buyer app hosts
#              and a registry lookup flood (BENCH_ABUSE=0: not run)
#   buyer      scripts/bench-buyer.py: client API search through a gateway
#              to N sellers with every on_search collected, and init ->
#              on_init, rates and latencies (BENCH_BUYER=0: not run)
#   disk       scripts/bench-disk.py: the store's bytes per delivered
#              request at rest and after a retention pass, and the data
#              file's size each minute of a steady load with retention_s
#              at its minimum (BENCH_DISK=0: not run; BENCH_DISK_MINUTES,
#              default 10, BENCH_DISK_RATE)
# and prints one table of medians, CPU seconds per 1,000 requests per stage,
# peak RSS per process, then one summary line per figure and one line per
# target of the issue "fast on any day" (pass or fail with the figure; the
# exit status does not depend on them). The fleet's memory is sampled every
# 2 s through the request runs (sum of PSS, and of RSS): its peak is
# load_peak_pss_mb; idle, the sum of PSS is idle_pss_mb (RSS counts each
# shared library's pages once per process: idle_rss_mb). The LMDB data
# file's pages that the processes have mapped are clean page cache, shared
# and given back under memory pressure: the load target is judged on the
# PSS without them (load_peak_own_mb), and they are printed beside it
# (load_peak_store_mapped_mb).

# BENCH_SECONDS (default 10) sets the length of each timed run;
# BENCH_WORKERS (default 1) the workers per family; BENCH_INGRESS (default
# 1) the copies of the ingress; BENCH_CONFIG a JSON object of config keys
# set over the benchmark's own (to compare settings); BENCH_CONNS (default
# 256) the buyer app's keep-alive connections (a node is reached by many
# buyer apps at once; with few connections the generator, not the node,
# caps the rate: connections / ACK latency).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ONDC_BIN:-$top/${BUILD:-build}/bin}
SECONDS_EACH=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
RATES=${BENCH_RATES:-}
FLOOR_RUNS=${BENCH_FLOOR_RUNS:-$RUNS}
FLOOR_COUNT=${BENCH_FLOOR_COUNT:-30000}
REFINE=${BENCH_REFINE:-2}
WORKERS=${BENCH_WORKERS:-1}
BURST=${BENCH_BURST:-30000}
CONNS=${BENCH_CONNS:-256}
INGRESS=${BENCH_INGRESS:-1}
dir=$(mktemp -d /tmp/ondc-bench-XXXXXX)
floor_pid=""; sampler_pid=""
trap '[ -n "$floor_pid" ] && kill "$floor_pid" 2>/dev/null; [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null; [ -n "${BENCH_KEEP:-}" ] && echo "bench: kept $dir" >&2 && exit 0; ONDC_BIN=$BIN bash "$top/scripts/fleet" stop "$dir/ondc.json" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port); A=$(port)
while [ "$A" = "$P" ]; do A=$(port); done   # two binds in a row can get the same port
# the buyer app's callback sink: one port for every run, since the registry
# record's subscriber_url names it (the node sends on_* only under it)
S=$(port)
while [ "$S" = "$P" ] || [ "$S" = "$A" ]; do S=$(port); done
mkdir -p "$dir/keys/buyer"; chmod 700 "$dir/keys" "$dir/keys/buyer"
"$BIN/ondcctl" keygen --dir "$dir/keys" > "$dir/node.json"
"$BIN/ondcctl" keygen --dir "$dir/keys/buyer" > "$dir/buyer.json"
python3 - "$dir" "$P" "$A" "$WORKERS" "$top" "${BENCH_SYNC:-fsync}" "$INGRESS" "${BENCH_CONFIG:-{\}}" "$S" <<'PY'
import json, sys
d, p, a, w, top, sync, ni, extra, sink = sys.argv[1:10]
w = int(w)
node, buyer = json.load(open(d + "/node.json")), json.load(open(d + "/buyer.json"))
rec = lambda s, k, t: {"subscriber_id": s, "ukId": "k1", "signing_public_key": k["signing_public_key"],
                       "subscriber_url": "http://127.0.0.1:%s/" % (sink if t == "BAP" else p),
                       "valid_from": "2024-01-01T00:00:00.000Z", "valid_until": "2035-01-01T00:00:00.000Z",
                       "status": "SUBSCRIBED", "type": t}
json.dump([rec("seller.bench.local", node, "BPP"), rec("buyer.bench.local", buyer, "BAP")],
          open(d + "/registry.json", "w"))
json.dump({"subscriber_id": "seller.bench.local", "bpp_uri": "http://127.0.0.1:%s" % p,
           "listen": "127.0.0.1:%s" % p, "admin_listen": "127.0.0.1:%s" % a,
           "signing_private_key_file": "keys/signing.key", "data_dir": "data", "run_dir": "run",
           "registry": {"file": "registry.json"}, "log_level": "warn", "cities": ["std:080"],
           "rate_limit": {"per_s": 0}, "backlog_limit": 10000000, "max_connections_per_ip": 4096,
           "lmdb_map_size_mb": 8192, "retention_s": 600, "journal_sync": sync,
           "ingress_copies": int(ni), "callback": {"allow_private_addresses": True},
           "workers": {"discovery": w, "order": w, "fulfillment": w, "post-fulfillment": w}},
          open(d + "/ondc.json", "w"), indent=1)
# BENCH_CONFIG: keys to set over these (a JSON object), to compare settings
c = json.load(open(d + "/ondc.json"))
c.update(json.loads(extra))
json.dump(c, open(d + "/ondc.json", "w"), indent=1)
# request templates: the seed init, and the mix
init = json.load(open(top + "/tests/fixtures/seed-init-request.json"))
ctx = init["context"]
ctx.update(bpp_id="seller.bench.local", bpp_uri="http://127.0.0.1:%s" % p)
def save(name, body):
    json.dump(body, open("%s/%s.json" % (d, name), "w"))
save("init", init)
sel = json.loads(json.dumps(init)); sel["context"]["action"] = "select"; save("select", sel)
conf = json.loads(json.dumps(init)); conf["context"]["action"] = "confirm"; save("confirm", conf)
st = {"context": dict(ctx, action="status"), "message": {"order_id": "bench-order"}}; save("status", st)
srch = json.load(open(top + "/tests/fixtures/search-request.json"))
srch["context"]["domain"] = ctx["domain"]; srch["context"]["core_version"] = ctx["core_version"]
srch["message"]["intent"] = {"item": {"descriptor": {"name": "amul"}}}
save("search", srch)
PY
"$BIN/ondcctl" --config "$dir/ondc.json" catalog import "$top/etc/demo-catalog.json" >/dev/null
ONDC_BIN=$BIN bash "$top/scripts/fleet" start "$dir/ondc.json" >/dev/null
NODE_PUB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signing_public_key"])' "$dir/node.json")

# the fleet's processes (ondc-*): not supervisord, nor another pgrep that
# has the same words in its command line (the memory sampler's)
pids() { pgrep -f -- "--config $dir/ondc.json" | while read -r p; do
  case "$(cat /proc/$p/comm 2>/dev/null)" in ondc-*) echo "$p" ;; esac; done; }
snap() { # "name utime+stime(ticks) rss_kb hwm_kb anon_kb pss_kb" per fleet process
  local p pname t rss hwm anon pss
  for p in $(pids); do
    pname=$(tr '\0' ' ' < /proc/$p/cmdline | awk '{n=$1; sub(".*/","",n); for(i=2;i<=NF;i++) if($i=="--family") n=n"-"$(i+1); print n}')
    t=$(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null) || continue # gone meanwhile
    rss=$(awk '/VmRSS/{print $2}' /proc/$p/status); hwm=$(awk '/VmHWM/{print $2}' /proc/$p/status)
    anon=$(awk '/RssAnon/{print $2}' /proc/$p/status)
    pss=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)
    echo "$pname $t $rss $hwm $anon ${pss:-0}"
  done; }
sleep 1
snap > "$dir/idle.snap"
bench() { # NAME ARGS... -> $dir/NAME.out (with the fleet's CPU and metrics
  # before/after)
  local name=$1; shift
  snap > "$dir/$name.before"
  curl -s "http://127.0.0.1:$A/metrics" > "$dir/$name.m0" || true
  "$BIN/ondc-bench" --url "http://127.0.0.1:$P/protocol/v1/" --key "$dir/keys/buyer/signing.key" \
    --subscriber buyer.bench.local --ukid k1 --node-pub "$NODE_PUB" --sink-port "$S" "$@" \
    > "$dir/$name.out"
  snap > "$dir/$name.after"
  curl -s "http://127.0.0.1:$A/metrics" > "$dir/$name.m1" || true
}
# kept_up NAME RATE: the run NAME kept up with RATE (the summary's test)
kept_up() {
  python3 - "$dir/$1.out" "$2" <<'PY'
import sys
o = {}
for line in open(sys.argv[1]):
    k, _, v = line.partition(" ")
    o[k] = float(v)
rate = float(sys.argv[2])
sys.exit(0 if (o["lost"] == 0 and o["errors"] == 0 and o["nacks"] == 0 and
               o["delivered_per_s"] >= 0.99 * rate and o["roundtrip_p99_ms"] < 250) else 1)
PY
}
# catalog: import and city-wide search of big catalogs (BENCH_ONLY=catalog
# runs only this; the full benchmark keeps its own 10,000-item search)
catalog_bench() {
  local n
  for n in ${BENCH_CATALOG_SIZES:-10000 100000}; do
    python3 - "$dir" "$top" "$n" <<'PY'
import json, sys
d, top, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cat = json.load(open(top + "/etc/demo-catalog.json"))
prov = cat["bpp/providers"][1]
tmpl = prov["items"][0]
prov["items"] = []
for i in range(n):
    it = json.loads(json.dumps(tmpl))
    it["id"] = "BIG-%06d" % i
    it["descriptor"]["name"] = "Store item %d %s" % (i, ["rice", "dal", "oil", "salt"][i % 4])
    prov["items"].append(it)
json.dump(cat, open("%s/catalog-%d.json" % (d, n), "w"), separators=(",", ":"))
s = json.load(open(top + "/tests/fixtures/retail/search.json"))
s["message"]["intent"].pop("tags", None)
s["context"]["city"] = "std:080"
json.dump(s, open("%s/search-city.json" % d, "w"))
PY
    # ondcctl: a catalog this big is over the admin API's body limit
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN/ondcctl" --config "$dir/ondc.json" catalog import "$dir/catalog-$n.json" >/dev/null ||
      { echo "bench: catalog import of $n items failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "catalog$n import_s $(python3 -c "print($t1 - $t0)")" > "$dir/catalog$n.import"
    bench "search$n" --template "$dir/search-city.json" --rate 1 --seconds "$SECONDS_EACH" --conns 2 --wait 300
  done
  python3 - "$dir" ${BENCH_CATALOG_SIZES:-10000 100000} <<'PY'
import os, sys
d, sizes = sys.argv[1], [int(x) for x in sys.argv[2:]]
def metrics(path):
    b, c = {}, {}
    for line in open(path):
        if line.startswith("ondc_search_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            b[le] = b.get(le, 0) + float(line.rsplit(" ", 1)[1])
        for name in ("ondc_search_seconds_sum", "ondc_search_bytes_total"):
            if line.startswith(name):
                c[name] = c.get(name, 0) + float(line.rsplit(" ", 1)[1])
    return b, c
print()
for n in sizes:
    (h0, c0), (h1, c1) = metrics(os.path.join(d, "search%d.m0" % n)), metrics(os.path.join(d, "search%d.m1" % n))
    les = sorted((float(k) if k != "+Inf" else float("inf"), h1[k] - h0.get(k, 0)) for k in h1)
    total = les[-1][1] if les else 0
    def q(p):
        for le, c in les:
            if total and c >= p * total:
                return le * 1000
        return float("nan")
    secs = c1.get("ondc_search_seconds_sum", 0) - c0.get("ondc_search_seconds_sum", 0)
    byt = c1.get("ondc_search_bytes_total", 0) - c0.get("ondc_search_bytes_total", 0)
    imp = open(os.path.join(d, "catalog%d.import" % n)).read().split()[2]
    print("catalog%d_import_s %.2f" % (n, float(imp)))
    print("search%d_worker_p50_ms %.0f" % (n, q(0.5)))
    print("search%d_worker_p99_ms %.0f" % (n, q(0.99)))
    print("search%d_worker_mb_per_s %.0f" % (n, byt / secs / 1e6 if secs > 0 else float("nan")))
    print("search%d_searches %.0f" % (n, total))
PY
}
if [ "${BENCH_ONLY:-}" = catalog ]; then
  catalog_bench
  exit 0
fi
# the floor: ondc-bench-floor on its own port, the same burst of signed init
# over the same connections; FLOOR is the median of its runs' ACK rates
F=$(port)
while [ "$F" = "$P" ] || [ "$F" = "$A" ] || [ "$F" = "$S" ]; do F=$(port); done
# floor_runs NAME WAIT ARGS...: ondc-bench-floor ARGS on port F, then
# FLOOR_RUNS bursts at it into NAME-1.out ... (WAIT: seconds to wait for the
# on_* after each), its CPU ticks over them into NAME.cpu
floor_runs() {
  local name=$1 wait=$2; shift 2
  "$BIN/ondc-bench-floor" --listen "127.0.0.1:$F" --registry "$dir/registry.json" "$@" \
    2>"$dir/$name.log" &
  floor_pid=$!
  for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$F/health" && break; sleep 0.1; done
  local t0; t0=$(awk '{print $14+$15}' /proc/$floor_pid/stat)
  for run in $(seq 1 "$FLOOR_RUNS"); do
    echo "bench: $name run $run of $FLOOR_RUNS" >&2
    "$BIN/ondc-bench" --url "http://127.0.0.1:$F/protocol/v1/" --key "$dir/keys/buyer/signing.key" \
      --subscriber buyer.bench.local --ukid k1 --node-pub "$NODE_PUB" --sink-port "$S" \
      --template "$dir/init.json" --max --count "$FLOOR_COUNT" --conns "$CONNS" --wait "$wait" \
      > "$dir/$name-$run.out"
  done
  echo "$t0 $(awk '{print $14+$15}' /proc/$floor_pid/stat)" > "$dir/$name.cpu"
  kill "$floor_pid"; wait "$floor_pid" 2>/dev/null || true; floor_pid=""
}
floor_runs floor 0
# the round-trip floor: the same bare server with --roundtrip, which after
# each ACK sends the request's on_* back signed (BENCH_RT_SENDERS threads,
# default 4, one keep-alive connection each): the same burst, and the rate
# its on_* came back at (delivered_per_s) is what any node's round trips are
# bounded by on this machine with this generator
floor_runs rtfloor 60 --roundtrip --key "$dir/keys/signing.key" --subscriber seller.bench.local \
  --ukid k1 --senders "${BENCH_RT_SENDERS:-4}"
FLOOR=$(python3 - "$dir" "$FLOOR_RUNS" <<'PY'
import statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
def rate(r):
    o = dict(l.split(" ", 1) for l in open("%s/floor-%d.out" % (d, r)).read().splitlines())
    # a floor run that NACKed or failed is not a floor: report 0
    return float(o["acked_per_s"]) if float(o["nacks"]) + float(o["errors"]) == 0 else 0.0
print("%.0f" % statistics.median(rate(r) for r in range(1, n + 1)))
PY
)
echo "floor_req_per_s $FLOOR (per run: $(for r in $(seq 1 "$FLOOR_RUNS"); do awk '/^acked_per_s/{printf "%s ", $2}' "$dir/floor-$r.out"; done))"
echo "roundtrip_floor_per_s (per run: $(for r in $(seq 1 "$FLOOR_RUNS"); do awk '/^delivered_per_s/{printf "%s ", $2}' "$dir/rtfloor-$r.out"; done))"
if [ "$FLOOR" -le 0 ]; then
  echo "bench: the floor server NACKed or failed (see $dir/floor-*.out)" >&2
  exit 1
fi
[ "${BENCH_FLOOR_ONLY:-0}" = 1 ] && exit 0
# the steps and the latency run's rate as shares of the floor, to the 100
share() { python3 -c "import sys; print(max(100, int(round(float(sys.argv[1]) * float(sys.argv[2]) / 100.0)) * 100))" "$1" "$FLOOR"; }
if [ -z "$RATES" ]; then
  RATES=$(for f in 0.1 0.2 0.3 0.4 0.5 0.6 0.8; do share "$f"; done | sort -un | tr '\n' ' ')
fi
LAT_RATE=${BENCH_LATENCY_RATE:-$(share 0.4)}
echo "bench: floor $FLOOR/s; steps $RATES; latency run at $LAT_RATE/s" >&2
# the fleet's memory through the runs, every 2 s: the sum of PSS, of RSS,
# and the part of the PSS that is the LMDB data file's mapped pages (clean
# page cache, shared by every process and given back under pressure)
( set +e; while :; do
    ps=$(pids)
    pss=$(for p in $ps; do cat "/proc/$p/smaps"; done 2>/dev/null |
      awk '/^[0-9a-f]+-[0-9a-f]+ /{store = ($NF ~ /\/data\.mdb$/)} /^Pss:/{s += $2; if (store) m += $2} END{print s+0, m+0}')
    rss=$(for p in $ps; do cat "/proc/$p/status"; done 2>/dev/null | awk '/^VmRSS:/{s+=$2} END{print s+0}')
    echo "${pss% *} $rss ${pss#* }"; sleep 2
  done ) > "$dir/mem.samples" 2>/dev/null &
sampler_pid=$!
for run in $(seq 1 "$RUNS"); do
  echo "bench: run $run of $RUNS" >&2
  lo=0; hi=0
  for r in $RATES; do
    bench "r$run-sustained-$r" --template "$dir/init.json" --rate "$r" --seconds "$SECONDS_EACH" --conns "$CONNS"
    if kept_up "r$run-sustained-$r" "$r"; then lo=$r; hi=0; elif [ "$hi" = 0 ]; then hi=$r; fi
  done
  # halve the gap between the highest rate kept up with and the next
  for k in $(seq 1 "$REFINE"); do
    [ "$lo" -gt 0 ] && [ "$hi" -gt "$lo" ] || break
    mid=$(( (lo + hi) / 100 * 50 ))
    [ "$mid" -gt "$lo" ] && [ "$mid" -lt "$hi" ] || break
    bench "r$run-refine-$mid" --template "$dir/init.json" --rate "$mid" --seconds "$SECONDS_EACH" --conns "$CONNS"
    if kept_up "r$run-refine-$mid" "$mid"; then lo=$mid; else hi=$mid; fi
  done
  bench "r$run-latency" --template "$dir/init.json" --rate "$LAT_RATE" --seconds "$SECONDS_EACH" --conns "$CONNS"
  bench "r$run-burst" --template "$dir/init.json" --max --count "$BURST" --conns "$CONNS" --wait 60
  bench "r$run-mix" --template "$dir/search.json,$dir/select.json,$dir/init.json,$dir/confirm.json,$dir/status.json" \
    --rate 2000 --seconds "$SECONDS_EACH" --conns "$CONNS"
done
snap > "$dir/end.snap"
# the load's memory is the request runs' (the catalog import below is not)
kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
# the 10,000-item catalog and city-wide searches
python3 - "$dir" "$top" <<'PY'
import json, sys
d, top = sys.argv[1:3]
cat = json.load(open(top + "/etc/demo-catalog.json"))
prov = cat["bpp/providers"][1]
tmpl = prov["items"][0]
prov["items"] = []
for i in range(10000):
    it = json.loads(json.dumps(tmpl))
    it["id"] = "BIG-%05d" % i
    it["descriptor"]["name"] = "Store item %d %s" % (i, ["rice", "dal", "oil", "salt"][i % 4])
    prov["items"].append(it)
json.dump(cat, open(d + "/catalog-10k.json", "w"))
s = json.load(open(d + "/search.json"))
s["message"]["intent"] = {}
json.dump(s, open(d + "/search-city.json", "w"))
PY
curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$dir/catalog-10k.json" \
  "http://127.0.0.1:$A/seller/v1/catalog" | grep -q 200 || { echo "bench: catalog import failed" >&2; exit 1; }
curl -s "http://127.0.0.1:$A/metrics" > "$dir/search.m0"
bench search10k --template "$dir/search-city.json" --rate 1 --seconds "$SECONDS_EACH" --conns 2 --wait 120
curl -s "http://127.0.0.1:$A/metrics" > "$dir/search.m1"
python3 - "$dir" "$RUNS" "$RATES" "$WORKERS" "$FLOOR" "$FLOOR_RUNS" "$LAT_RATE" <<'PY'
import glob, os, statistics, sys
d, runs, rates, workers = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split()], sys.argv[4]
floor, floor_runs, lat_rate = float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def load(name):
    out = {}
    for line in open(os.path.join(d, name + ".out")):
        k, _, v = line.partition(" ")
        out[k] = float(v)
    return out
def snap(path):
    rows = {}
    for line in open(path):
        n, t, rss, hwm, anon, pss = line.split()
        rows.setdefault(n, [0, 0, 0, 0, 0])
        rows[n][0] += int(t); rows[n][1] += int(rss); rows[n][2] += int(hwm)
        rows[n][3] += int(anon); rows[n][4] += int(pss)
    return rows
med = lambda xs: statistics.median(xs) if xs else 0
tick = os.sysconf("SC_CLK_TCK")
def stage_cpu(name, sent):
    b, a = snap(os.path.join(d, name + ".before")), snap(os.path.join(d, name + ".after"))
    return {k: (a[k][0] - b.get(k, [0])[0]) / tick * 1000.0 / max(sent, 1) for k in a}
sust = []  # per run: the highest rate kept up with
refined = []  # per run: the rates between the steps, and whether kept up with
rows = []
def kept(o, rate):
    return (o["lost"] == 0 and o["errors"] == 0 and o["nacks"] == 0 and
            o["delivered_per_s"] >= 0.99 * rate and o["roundtrip_p99_ms"] < 250)
for r in range(1, runs + 1):
    best = 0
    for rate in rates:
        o = load("r%d-sustained-%d" % (r, rate))
        if kept(o, rate):
            best = max(best, o["delivered_per_s"])
    tried = []
    for path in sorted(glob.glob(os.path.join(d, "r%d-refine-*.out" % r)), key=os.path.getmtime):
        rate = int(path.rsplit("-", 1)[1][:-4])
        o = load(os.path.basename(path)[:-4])
        tried.append("%d %s" % (rate, "kept up" if kept(o, rate) else "not"))
        if kept(o, rate):
            best = max(best, o["delivered_per_s"])
    refined.append(tried)
    sust.append(best)
def col(kind, key):
    return med([load("r%d-%s" % (r, kind))[key] for r in range(1, runs + 1)])
print("ondc-gateway benchmark: %d runs, medians; %s worker(s) per family; %s s per timed run; "
      "%s connections" % (runs, workers, os.environ.get("BENCH_SECONDS", "10"),
                          os.environ.get("BENCH_CONNS", "256")))
print()
# the machine's CPU over a timed run (ondc-bench reads /proc/stat): how much
# of it the host took (steal: a virtual machine's vCPU waiting for a real
# one) and how busy the rest was; on a shared host the first moves every
# other figure
def cpu(name):
    o = load(name)
    return {"steal_pct": o.get("machine_steal_pct", 0),
            "busy_s": o.get("machine_busy_s", 0),
            "busy_pct": 100.0 * o.get("machine_busy_s", 0) / max(o.get("machine_seconds", 0), 1e-9) /
                        os.cpu_count()}
def colc(kind, key):
    return med([cpu("r%d-%s" % (r, kind))[key] for r in range(1, runs + 1)])
print("%-22s %9s %9s %9s %9s %9s %9s %9s %9s %7s %7s %6s %7s" % ("run", "req/s", "ack p50", "ack p99",
      "ack p99.9", "on_*/s", "rt p50", "rt p99", "rt max", "nacks", "lost", "steal", "x floor"))
# the floor's own row: the bare server's burst (no on_*), and its rate as 1.00
fl = [load("floor-%d" % r) for r in range(1, floor_runs + 1)]
fmed = lambda key: med([o[key] for o in fl])
# the round-trip floor: the bare server that also sends each on_* back
# signed; a run that lost an on_* or failed is not a floor (0)
rtf = [load("rtfloor-%d" % r) for r in range(1, floor_runs + 1)]
rtfloor = med([o["delivered_per_s"] if o["lost"] + o["nacks"] + o["errors"] + o["bad_signatures"] == 0
               and o["callbacks"] == o["sent"] else 0.0 for o in rtf])
print("%-22s %9.0f %9.2f %9.2f %9.2f %9s %9s %9s %9s %7.0f %7s %5.1f%% %7.2f" % (
    "floor (bare server)", floor, fmed("ack_p50_ms"), fmed("ack_p99_ms"), fmed("ack_p999_ms"), "-", "-",
    "-", "-", fmed("nacks") + fmed("errors"), "-", fmed("machine_steal_pct"), 1.0))
rmed = lambda key: med([o[key] for o in rtf])
print("%-22s %9.0f %9.2f %9.2f %9.2f %9.0f %9.2f %9.2f %9.2f %7.0f %7.0f %5.1f%% %7.2f" % (
    "round-trip floor", rmed("acked_per_s"), rmed("ack_p50_ms"), rmed("ack_p99_ms"), rmed("ack_p999_ms"),
    rmed("delivered_per_s"), rmed("roundtrip_p50_ms"), rmed("roundtrip_p99_ms"), rmed("roundtrip_max_ms"),
    rmed("nacks") + rmed("errors"), rmed("lost"), rmed("machine_steal_pct"), rmed("delivered_per_s") / max(floor, 1)))
kinds = ["sustained-%d" % x for x in rates] + ["latency", "burst", "mix"]
for k in kinds:
    # a rate's share of the floor: on_* delivered a second, the burst's ACKs
    fx = (col(k, "acked_per_s") if k == "burst" else col(k, "delivered_per_s")) / max(floor, 1)
    print("%-22s %9.0f %9.2f %9.2f %9.2f %9.0f %9.2f %9.2f %9.2f %7.0f %7.0f %5.1f%% %7.2f" % (
        k if k != "latency" else "latency-%d" % lat_rate, col(k, "acked_per_s"), col(k, "ack_p50_ms"),
        col(k, "ack_p99_ms"), col(k, "ack_p999_ms"),
        col(k, "delivered_per_s"), col(k, "roundtrip_p50_ms"), col(k, "roundtrip_p99_ms"),
        col(k, "roundtrip_max_ms"), col(k, "nacks") + col(k, "errors"), col(k, "lost"),
        colc(k, "steal_pct"), fx))
allruns = [load("r%d-%s" % (r, k)) for r in range(1, runs + 1) for k in kinds]
print("(latencies in ms, from when each request was due; the sink verified %d on_* signatures "
      "of %d received: %d bad; steal: the share of the machine's CPU time the host\n"
      " took from this virtual machine during the run)" % (sum(o.get("verified", 0) for o in allruns),
                                  sum(o["callbacks"] for o in allruns),
                                  sum(o["bad_signatures"] for o in allruns)))
if any(refined):
    print("sustained, between the steps: " + "; ".join(
        "run %d: %s" % (i + 1, ", ".join(t) if t else "-") for i, t in enumerate(refined)))
print("sustained kept up with, per run (on_*/s): " + ", ".join("%.0f" % x for x in sust))
print()
print("CPU seconds per 1,000 requests, by stage (latency run, median):")
per = {}
for r in range(1, runs + 1):
    name = "r%d-latency" % r
    for k, v in stage_cpu(name, load(name)["sent"]).items():
        per.setdefault(k, []).append(v)
gen = med([load("r%d-latency" % r)["cpu_run_s"] * 1000.0 / load("r%d-latency" % r)["sent"] for r in range(1, runs + 1)])
for k in sorted(per):
    print("  %-28s %.3f" % (k, med(per[k])))
print("  %-28s %.3f (the timed run; signing before it and verifying after it not counted)" % ("(ondc-bench itself)", gen))
ft0, ft1 = (int(x) for x in open(os.path.join(d, "floor.cpu")).read().split())
print("  %-28s %.3f (its bursts: verify, parse, ACK)" % ("(the floor server)", (ft1 - ft0) / tick * 1000.0 /
      max(sum(load("floor-%d" % r)["acked"] for r in range(1, floor_runs + 1)), 1)))
mach = med([cpu("r%d-latency" % r)["busy_s"] * 1000.0 / load("r%d-latency" % r)["sent"] for r in range(1, runs + 1)])
print("  %-28s %.3f (busy %.0f%%, stolen by the host %.1f%%)" % ("(the whole machine)", mach,
      colc("latency", "busy_pct"), colc("latency", "steal_pct")))
# LMDB has one writer at a time across the fleet: how long each stage's
# write transactions waited for the lock, and how long its commits took
def hsum(path, name):
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path):
        if line.startswith(name + "_sum") or line.startswith(name + "_count"):
            key, val = line.rsplit(" ", 1)
            inst = key.split('instance="')[1].split('"')[0]
            kind = "sum" if key.startswith(name + "_sum") else "count"
            out.setdefault(inst, {"sum": 0.0, "count": 0.0})[kind] += float(val)
    return out
def hdelta(run, name):
    a, b = hsum(os.path.join(d, run + ".m0"), name), hsum(os.path.join(d, run + ".m1"), name)
    res = {}
    for inst, v in b.items():
        n = v["count"] - a.get(inst, {}).get("count", 0)
        if n > 0:
            res[inst] = (n, (v["sum"] - a.get(inst, {}).get("sum", 0)) * 1000.0 / n)
    return res
print()
print("LMDB write transactions, by process (latency run, median): per second, ms waiting for the write lock, ms committing")
waits, commits = {}, {}
for r in range(1, runs + 1):
    name = "r%d-latency" % r
    secs = max(load(name)["seconds"], 1e-9)
    for inst, (n, avg) in hdelta(name, "ondc_store_lock_wait_seconds").items():
        waits.setdefault(inst, []).append((n / secs, avg))
    for inst, (n, avg) in hdelta(name, "ondc_store_commit_seconds").items():
        commits.setdefault(inst, []).append(avg)
for inst in sorted(waits):
    print("  %-28s %7.0f/s %7.2f %7.2f" % (inst, med([x[0] for x in waits[inst]]),
                                        med([x[1] for x in waits[inst]]), med(commits.get(inst, [0]))))
# worker search time from the ondc_search_seconds histogram (bucket bounds)
def hist(path):
    b = {}
    for line in open(path):
        if line.startswith("ondc_search_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            b[le] = b.get(le, 0) + float(line.rsplit(" ", 1)[1])
    return b
h0, h1 = hist(os.path.join(d, "search.m0")), hist(os.path.join(d, "search.m1"))
les = sorted((float(k) if k != "+Inf" else float("inf"), h1[k] - h0.get(k, 0)) for k in h1)
total = les[-1][1] if les else 0
def q(p):
    for le, c in les:
        if total and c >= p * total:
            return le * 1000
    return float("nan")
s10 = load("search10k")
print()
print("search of a 10,000-item catalog, city-wide, %.0f searches: worker time p50 <= %.0f ms, "
      "p99 <= %.0f ms (histogram bounds); first on_search page p50 %.0f ms, p99 %.0f ms after the request" %
      (total, q(0.5), q(0.99), s10["roundtrip_p50_ms"], s10["roundtrip_p99_ms"]))
idle, end = snap(os.path.join(d, "idle.snap")), snap(os.path.join(d, "end.snap"))
print()
# a process's RSS counts every LMDB file page it has touched: one shared,
# clean mapping of the page cache, the same pages in every process. The
# fleet's figure is therefore the sum of PSS (each shared page divided among
# the processes that map it, so counted once); the sum of RSS, which counts
# them once per process, and the heap (anon) are printed beside it.
print("memory by process, MB: RSS idle, peak RSS (incl. mapped LMDB pages), PSS and heap (anon) after the runs")
for k in sorted(end):
    print("  %-28s %6.1f %6.1f %6.1f %6.1f" % (k, idle.get(k, [0, 0, 0, 0, 0])[1] / 1024.0,
                                             end[k][2] / 1024.0, end[k][4] / 1024.0, end[k][3] / 1024.0))
idle_mb = sum(v[1] for v in idle.values()) / 1024.0
idle_pss = sum(v[4] for v in idle.values()) / 1024.0
load_mb = sum(v[4] for v in end.values()) / 1024.0
print("  (LMDB data file after the runs: %.0f MB)" % (os.path.getsize(os.path.join(d, "data", "data.mdb")) / 1048576.0))
print()
print("roundtrip_per_s %.0f" % med(sust))
print("ack_p99_ms %.2f" % col("latency", "ack_p99_ms"))
print("roundtrip_p99_ms %.2f" % col("latency", "roundtrip_p99_ms"))
print("burst_acked_per_s %.0f" % col("burst", "acked_per_s"))
# the seed init's TTL is PT30S: every burst on_* must arrive within it
print("burst_roundtrip_max_ms %.0f" % max(load("r%d-burst" % r)["roundtrip_max_ms"] for r in range(1, runs + 1)))
print("burst_lost %.0f" % max(load("r%d-burst" % r)["lost"] + load("r%d-burst" % r)["sent"] - load("r%d-burst" % r)["acked"] for r in range(1, runs + 1)))
print("idle_rss_mb %.1f" % idle_mb)
print("idle_pss_mb %.1f" % idle_pss)
print("load_rss_mb %.1f" % load_mb)
print("load_rss_sum_mb %.1f" % (sum(v[2] for v in end.values()) / 1024.0))
print("load_anon_mb %.1f" % (sum(v[3] for v in end.values()) / 1024.0))
print("latency_steal_pct %.1f" % colc("latency", "steal_pct"))
print("search10k_worker_p50_ms %.0f" % q(0.5))
print("search10k_worker_p99_ms %.0f" % q(0.99))
# the floor and the node's figures as shares of it (issue "fast on any day")
samples = [tuple(int(x) for x in l.split()) for l in open(os.path.join(d, "mem.samples"))
           if len(l.split()) == 3]
peak_pss = max([p for p, _, _ in samples] + [0]) / 1024.0
peak_rss = max([r for _, r, _ in samples] + [0]) / 1024.0
# the processes' own memory (heap, stacks, their share of the libraries):
# the PSS without the data file's mapped pages, and those pages apart
peak_own = max([p - m for p, _, m in samples] + [0]) / 1024.0
peak_store = max([m for _, _, m in samples] + [0]) / 1024.0
rt_ratio = med(sust) / floor
burst_rate = col("burst", "acked_per_s")
burst_ratio = burst_rate / floor
burst_max = max(load("r%d-burst" % r)["roundtrip_max_ms"] for r in range(1, runs + 1))
burst_lost = max(load("r%d-burst" % r)["lost"] + load("r%d-burst" % r)["sent"] - load("r%d-burst" % r)["acked"]
                 for r in range(1, runs + 1))
ack99, rt99 = col("latency", "ack_p99_ms"), col("latency", "roundtrip_p99_ms")
ft0, ft1 = (int(x) for x in open(os.path.join(d, "floor.cpu")).read().split())
floor_cpu = (ft1 - ft0) / tick * 1000.0 / max(sum(o["acked"] for o in fl), 1)
burst_deliv = col("burst", "delivered_per_s")
print("floor_req_per_s %.0f" % floor)
print("floor_cpu_ms_per_req %.3f" % floor_cpu)
print("roundtrip_floor_per_s %.0f" % rtfloor)
print("roundtrip_floor_ratio %.2f" % (rtfloor / floor))
print("roundtrip_floor_runs %s" % " ".join("%.0f" % o["delivered_per_s"] for o in rtf))
rt0, rt1 = (int(x) for x in open(os.path.join(d, "rtfloor.cpu")).read().split())
print("roundtrip_floor_cpu_ms_per_req %.3f" % ((rt1 - rt0) / tick * 1000.0 /
                                               max(sum(o["callbacks"] for o in rtf), 1)))
print("roundtrip_vs_roundtrip_floor %.2f" % (med(sust) / max(rtfloor, 1)))
print("burst_delivered_per_s %.0f" % burst_deliv)
print("burst_delivered_vs_roundtrip_floor %.2f" % (burst_deliv / max(rtfloor, 1)))
print("floor_runs %s" % " ".join("%.0f" % o["acked_per_s"] for o in fl))
print("latency_rate_per_s %d" % lat_rate)
print("roundtrip_ratio %.2f" % rt_ratio)
print("burst_ratio %.2f" % burst_ratio)
print("load_peak_pss_mb %.1f" % peak_pss)
print("load_peak_rss_sum_mb %.1f" % peak_rss)
print("load_peak_own_mb %.1f" % peak_own)
print("load_peak_store_mapped_mb %.1f" % peak_store)
print()
print("targets, as shares of this run's floor (%.0f/s):" % floor)
def target(ok, what, figure):
    print("  %-4s %-58s %s" % ("pass" if ok else "FAIL", what, figure))
target(rt_ratio >= 0.50, "sustained round trips >= 0.50 x floor", "%.2f (%.0f/s; the round-trip floor "
       "delivered %.2f x floor, %.0f/s)" % (rt_ratio, med(sust), rtfloor / floor, rtfloor))
target(burst_ratio >= 0.80 and burst_lost == 0 and burst_max < 30000,
       "burst ACKed >= 0.80 x floor, 0 lost, every on_* within its TTL (30 s)",
       "%.2f (%.0f/s), %.0f lost, slowest on_* %.0f ms" % (burst_ratio, burst_rate, burst_lost, burst_max))
target(ack99 < 10, "at 0.4 x floor (%d/s), ACK p99 < 10 ms" % lat_rate, "%.2f ms" % ack99)
target(rt99 < 50, "at 0.4 x floor (%d/s), round-trip p99 < 50 ms" % lat_rate, "%.2f ms" % rt99)
target(idle_pss < 64, "fleet idle < 64 MB (sum of PSS)", "%.1f MB (sum of RSS %.1f MB)" % (idle_pss, idle_mb))
target(peak_own < 256, "fleet at load < 256 MB (peak sum of PSS, store's mapped pages apart)",
       "%.1f MB (with the data file's mapped pages %.1f MB, of which those pages %.1f MB; "
       "peak sum of RSS %.1f MB)" % (peak_own, peak_pss, peak_store, peak_rss))
PY

# the store on disk: bytes per delivered request at rest and after a
# retention pass, then the data file's size under a steady load with
# retention_s at its minimum (scripts/bench-disk.py; BENCH_DISK=0 leaves it
# out, BENCH_DISK_MINUTES shortens the steady part)
if [ "${BENCH_DISK:-1}" != 0 ]; then
  echo
  delivered=$(cat "$dir"/*.out | awk '$1 == "acked" {a += $2} $1 == "lost" {l += $2} END {print a - l}')
  ONDC_BIN=$BIN python3 "$top/scripts/bench-disk.py" at-rest "$dir/ondc.json" "$delivered"
  BENCH_DISK_FLOOR=${BENCH_DISK_FLOOR:-$FLOOR} ONDC_BIN=$BIN python3 "$top/scripts/bench-disk.py" steady
fi

# what a well-behaved buyer app sees under attack: slow-loris, buyer apps
# whose hosts never answer, a registry lookup flood (scripts/bench-abuse.py;
# BENCH_ABUSE=0 leaves it out)
if [ "${BENCH_ABUSE:-1}" != 0 ]; then
  echo
  ONDC_BIN=$BIN python3 "$top/scripts/bench-abuse.py"
fi

# the buyer side: client API search fanned out through a gateway to N
# sellers, every on_search collected; client API init -> on_init
# (scripts/bench-buyer.py; BENCH_BUYER=0 leaves it out)
if [ "${BENCH_BUYER:-1}" != 0 ]; then
  echo
  ONDC_BIN=$BIN python3 "$top/scripts/bench-buyer.py"
fi
