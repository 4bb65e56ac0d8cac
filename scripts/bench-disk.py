#!/usr/bin/env python3
"""bench-disk.py - the store's size on disk (part of make bench; BENCH_DISK=0
leaves it out).

  bench-disk.py at-rest CONFIG DELIVERED
      the store of a fleet that has just served DELIVERED requests (the
      benchmark's runs): its bytes per delivered request at rest, counted
      from the store itself (`ondcctl store usage`: the pages of every
      database that holds requests, their outcome or their state - journal,
      its indexes, outbox, delivery states, transactions, orders - not the
      catalog), with the databases that hold them; then the same after a
      retention pass on a copy of the store (mdb_copy; every finished row
      pruned, as the janitor does once retention_s has gone by; the
      running fleet is not touched): what a request leaves for good.
  bench-disk.py steady
      a fleet of its own with retention_s at its minimum (60 s) and the
      signature lifetime at 60 s (a journal row is kept while its
      request's signature could still be replayed, so this bounds the
      journal's retention too) serves init at a fixed rate
      (BENCH_DISK_RATE, default 0.4 x BENCH_DISK_FLOOR: make bench passes
      the floor it measured; alone, 1,000/s)
      for BENCH_DISK_MINUTES (default 10) in runs of 30 s; prints the data
      file's size and the pages in use each minute, and whether the file
      stopped growing (no growth over the last half of the run, once
      the first 2 x retention is past).

Prints "key value" lines like the other parts: disk_bytes_per_request,
disk_bytes_per_request_after_retention, disk_file_mb_minute_N,
disk_file_growth_mb_last_half, disk_file_stopped_growing (1 or 0).
"""
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

print = functools.partial(print, flush=True)  # noqa: A001  (lines as they come)
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import BIN, BUYER, Fleet, free_port, load_fixture  # noqa: E402

# the databases that hold requests, their outcome and their state (not the
# seller's catalog, its stock or the registry cache)
PER_REQUEST = ("journal", "jpending", "jtxn", "seen", "txn", "orders", "outbox", "ostate",
               "opending", "buyer")


def usage(config):
    out = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", config, "store", "usage",
                          "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def per_request(u, delivered):
    dbs = u["databases"]
    total = sum(dbs[n]["bytes"] for n in PER_REQUEST if n in dbs)
    return total, total / max(delivered, 1)


def breakdown(u, delivered):
    dbs = u["databases"]
    parts = sorted(((dbs[n]["bytes"], n) for n in PER_REQUEST if dbs.get(n, {}).get("bytes")),
                   reverse=True)
    return ", ".join("%s %.0f" % (n, b / max(delivered, 1)) for b, n in parts)


def at_rest(config, delivered):
    delivered = int(float(delivered))
    u = usage(config)
    total, per = per_request(u, delivered)
    print("disk: %d requests delivered; the store holds %.1f MB for them (data file %.1f MB)"
          % (delivered, total / 1e6, u["file_bytes"] / 1e6))
    print("disk: bytes per request by database: " + breakdown(u, delivered))
    print("disk_bytes_per_request %.0f" % per)
    # the retention pass, on a copy
    cfg = json.load(open(config))
    base = os.path.dirname(os.path.abspath(config))
    data = cfg.get("data_dir", "data")
    data = data if os.path.isabs(data) else os.path.join(base, data)
    tmp = tempfile.mkdtemp(prefix="ondc-disk-")
    try:
        os.makedirs(os.path.join(tmp, "data"))
        subprocess.run(["mdb_copy", data, os.path.join(tmp, "data")], check=True)
        c = dict(cfg, data_dir=os.path.join(tmp, "data"), run_dir=os.path.join(tmp, "run"),
                 signature_max_lifetime_s=10, signature_skew_s=0)
        for k in ("signing_private_key_file", "admin_token_file", "encryption_private_key_file"):
            if k in c and not os.path.isabs(c[k]):
                c[k] = os.path.join(base, c[k])
        if isinstance(c.get("registry"), dict) and "file" in c["registry"]:
            f = c["registry"]["file"]
            c["registry"] = dict(c["registry"], file=f if os.path.isabs(f) else os.path.join(base, f))
        cc = os.path.join(tmp, "ondc.json")
        json.dump(c, open(cc, "w"))
        r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", cc, "store", "prune",
                            "--age", "10"], check=True, capture_output=True, text=True)
        print("disk: retention pass: " + r.stdout.strip())
        u2 = usage(cc)
        total2, per2 = per_request(u2, delivered)
        print("disk: after it, bytes per request by database: " + (breakdown(u2, delivered) or "-"))
        print("disk_bytes_per_request_after_retention %.0f" % per2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def steady():
    floor = float(os.environ.get("BENCH_DISK_FLOOR", "1000"))
    rate = float(os.environ.get("BENCH_DISK_RATE", "%.0f" % (0.4 * floor)))
    minutes = float(os.environ.get("BENCH_DISK_MINUTES", "10"))
    chunk = 30
    sink = free_port()
    F = Fleet(catalog=None, extra={
        "log_level": "warn", "rate_limit": {"per_s": 0}, "backlog_limit": 10000000,
        "max_connections_per_ip": 4096, "lmdb_map_size_mb": 8192, "retention_s": 60,
        "signature_max_lifetime_s": 2 * chunk, "signature_skew_s": 0,
        "domains": ["nic2004:52110"], "callback": {"allow_private_addresses": True}})
    try:
        # the buyer app is ondc-bench: its callbacks go to its sink
        recs = json.load(open(F.registry))
        for r in recs:
            if r["subscriber_id"] == BUYER:
                r["subscriber_url"] = "http://127.0.0.1:%d/" % sink
        json.dump(recs, open(F.registry, "w"))
        F.ctl("--config", F.config, "catalog", "import", os.path.join(TOP, "etc", "demo-catalog.json"))
        init = load_fixture("seed-init-request.json")
        init["context"].update(bpp_id=F.subscriber, bpp_uri=F.cfg["bpp_uri"])
        tmpl = os.path.join(F.dir, "init.json")
        json.dump(init, open(tmpl, "w"))
        F.start()
        data = os.path.join(F.dir, "data", "data.mdb")
        print("disk: steady load: init at %.0f/s for %.0f min, retention_s 60; data file size "
              "each minute:" % (rate, minutes))
        t0 = time.time()
        series, delivered, minute = [], 0, 1
        while time.time() - t0 < minutes * 60:
            out = subprocess.run(
                [os.path.join(BIN, "ondc-bench"), "--url", "http://127.0.0.1:%d/protocol/v1/" % F.port,
                 "--key", F.buyer_key, "--subscriber", BUYER, "--ukid", "k1",
                 "--node-pub", F.node_pub["signing_public_key"], "--sink-port", str(sink),
                 "--template", tmpl, "--rate", str(rate), "--seconds", str(chunk),
                 "--conns", "64", "--wait", "30", "--expires", str(2 * chunk)],
                check=True, capture_output=True, text=True).stdout
            o = dict((l.split()[0], float(l.split()[1])) for l in out.splitlines() if " " in l)
            delivered += o.get("acked", 0) - o.get("lost", 0)
            while time.time() - t0 >= minute * 60 and minute <= minutes:
                u = usage(F.config)
                size = os.path.getsize(data)
                used = (u["last_page"] - u["free_pages"]) * u["page_size"]
                series.append(size)
                print("disk:   minute %2d  file %7.1f MB  pages in use %7.1f MB  free %6d pages  "
                      "(%d delivered)" % (minute, size / 1e6, used / 1e6, u["free_pages"], delivered))
                print("disk_file_mb_minute_%d %.1f" % (minute, size / 1e6))
                minute += 1
        half = series[len(series) // 2:] if len(series) >= 4 else series
        growth = (half[-1] - half[0]) / 1e6 if half else float("nan")
        print("disk_file_growth_mb_last_half %.1f" % growth)
        print("disk_file_stopped_growing %d" % (1 if half and growth <= 0.05 * half[0] / 1e6 else 0))
    finally:
        F.close()


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "at-rest":
        at_rest(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2 and sys.argv[1] == "steady":
        steady()
    else:
        sys.stderr.write("usage: bench-disk.py at-rest CONFIG DELIVERED | steady\n")
        sys.exit(64)


if __name__ == "__main__":
    main()
