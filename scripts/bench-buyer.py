#!/usr/bin/env python3
"""bench-buyer.py - the buyer side of `make bench` (scripts/bench.sh runs it
after the seller side; BENCH_BUYER=0 leaves it out).

A whole network on loopback (tests/e2e/network.py: a buyer fleet, a
gateway fleet and BENCH_BUYER_SELLERS seller fleets, default 3, each a
real fleet with a durable journal), driven through the buyer fleet's
client API by BENCH_BUYER_CONC threads (default 16), each on its own
keep-alive connection, for BENCH_BUYER_SECONDS (default BENCH_SECONDS,
else 10) per run, BENCH_BUYER_RUNS runs (default BENCH_RUNS, else 3):

  search  POST /buyer/v1/search (to the gateway, multicast to every
          seller), then GET /buyer/v1/on_search long-polled until every
          seller's on_search is in: searches completed a second, the
          client API's answer time, and the time until the last seller's
          catalog was collected (p50, p99)
  init    on a fresh transaction each round (a select straight to a
          seller, its on_select): POST /buyer/v1/init, then GET
          /buyer/v1/on_init long-polled until the on_init is in: init
          round trips a second (the selects between them included in the
          time), p50 and p99 from the POST to the on_init

Prints one line per figure (the median over the runs), as bench.sh does.
"""
import http.client
import json
import os
import statistics
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from network import CITY, DOMAIN, Network  # noqa: E402

SELLERS = int(os.environ.get("BENCH_BUYER_SELLERS", "3"))
CONC = int(os.environ.get("BENCH_BUYER_CONC", "16"))
SECONDS = float(os.environ.get("BENCH_BUYER_SECONDS", os.environ.get("BENCH_SECONDS", "10")))
RUNS = int(os.environ.get("BENCH_BUYER_RUNS", os.environ.get("BENCH_RUNS", "3")))


def fixture(action):
    return json.load(open(os.path.join(TOP, "tests", "fixtures", "retail", action + ".json")))["message"]


class Client:
    """One keep-alive connection to the client API."""

    def __init__(self, node):
        self.node = node
        self.conn = http.client.HTTPConnection("127.0.0.1", node.client_port, timeout=60)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        h = {"Authorization": "Bearer " + self.node.token, "Content-Type": "application/json"}
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                return r.status, json.loads(r.read() or b"null")
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.node.client_port, timeout=60)
                if attempt:
                    raise

    def wait(self, action, mid, done):
        """Long-poll on_ACTION of MID until DONE(status) holds."""
        seen = 0
        while True:
            s, st = self.call("GET", "/buyer/v1/on_%s?messageId=%s&wait_ms=10000&seen=%d"
                              % (action, mid, seen))
            if s != 200:
                raise RuntimeError("GET on_%s: %s %r" % (action, s, st))
            if done(st):
                return st
            seen = len(st["answers"])


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run_search(net, seconds):
    accept, full, errors = [], [], [0]
    lock = threading.Lock()
    until = time.time() + seconds

    def one():
        c = Client(net.buyer)
        body = {"context": {"domain": DOMAIN, "city": CITY}, "message": fixture("search")}
        while time.time() < until:
            t0 = time.perf_counter()
            try:
                s, a = c.call("POST", "/buyer/v1/search", body)
                t1 = time.perf_counter()
                if s != 200:
                    raise RuntimeError("search %s %r" % (s, a))
                c.wait("search", a["message_id"], lambda st: len(st["sellers"]) >= SELLERS)
                t2 = time.perf_counter()
            except Exception:  # noqa: BLE001 - counted
                with lock:
                    errors[0] += 1
                continue
            with lock:
                accept.append((t1 - t0) * 1000)
                full.append((t2 - t0) * 1000)

    ths = [threading.Thread(target=one) for _ in range(CONC)]
    t0 = time.time()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    took = time.time() - t0
    return {"per_s": len(full) / took, "accept_p50": pct(accept, .5), "accept_p99": pct(accept, .99),
            "all_p50": pct(full, .5), "all_p99": pct(full, .99), "errors": errors[0], "n": len(full)}


def run_init(net, seconds):
    """Each round a fresh transaction: a select straight to seller 0 (its
    bpp_uri from the registry), its on_select, then the init timed until
    its on_init is in (a transaction's answers are few, as in real use)."""
    rtt, errors = [], [0]
    lock = threading.Lock()
    until = time.time() + seconds

    def one(k):
        c = Client(net.buyer)
        n = 0
        while time.time() < until:
            n += 1
            tid = "bench-%d-%d-%d" % (os.getpid(), k, n) + "-%x" % int(time.time() * 1000)
            try:
                s, a = c.call("POST", "/buyer/v1/select", {
                    "context": {"domain": DOMAIN, "city": CITY, "transaction_id": tid,
                                "bpp_id": net.sellers[0].sub}, "message": fixture("select")})
                if s != 200:
                    raise RuntimeError("select %s %r" % (s, a))
                c.wait("select", a["message_id"], lambda st: len(st["answers"]) >= 1)
                t0 = time.perf_counter()
                s, a = c.call("POST", "/buyer/v1/init", {"context": {"transaction_id": tid},
                                                         "message": fixture("init")})
                if s != 200:
                    raise RuntimeError("init %s %r" % (s, a))
                c.wait("init", a["message_id"], lambda st: len(st["answers"]) >= 1)
            except Exception:  # noqa: BLE001 - counted
                with lock:
                    errors[0] += 1
                continue
            with lock:
                rtt.append((time.perf_counter() - t0) * 1000)

    ths = [threading.Thread(target=one, args=(k,)) for k in range(CONC)]
    t0 = time.time()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    took = time.time() - t0
    return {"per_s": len(rtt) / took, "p50": pct(rtt, .5), "p99": pct(rtt, .99),
            "errors": errors[0], "n": len(rtt)}


def main():
    net = Network(sellers=SELLERS, gateway=True, webhook=False)
    for n in net.nodes:
        n.cfg["log_level"] = "info"
        n.cfg["rate_limit"] = {"per_s": 0}
        n.write()
    print("buyer side: %d sellers through a gateway, %d client connections, %d runs of %.0f s"
          % (SELLERS, CONC, RUNS, SECONDS), flush=True)
    net.start()
    try:
        searches, inits = [], []
        for r in range(RUNS):
            s = run_search(net, SECONDS)
            i = run_init(net, SECONDS)
            searches.append(s)
            inits.append(i)
            print("  run %d: search %.1f/s (all %d on_search in p50 %.0f ms, p99 %.0f ms; answered "
                  "p50 %.1f ms), %d errors; init->on_init %.1f/s (p50 %.0f ms, p99 %.0f ms), %d errors"
                  % (r + 1, s["per_s"], SELLERS, s["all_p50"], s["all_p99"], s["accept_p50"],
                     s["errors"], i["per_s"], i["p50"], i["p99"], i["errors"]), flush=True)
    finally:
        net.close()

    def med(rows, k):
        return statistics.median(x[k] for x in rows)

    print("buyer_search_fanout_sellers %d" % SELLERS)
    print("buyer_search_complete_per_s %.1f" % med(searches, "per_s"))
    print("buyer_search_all_on_search_p50_ms %.0f" % med(searches, "all_p50"))
    print("buyer_search_all_on_search_p99_ms %.0f" % med(searches, "all_p99"))
    print("buyer_search_client_answer_p50_ms %.1f" % med(searches, "accept_p50"))
    print("buyer_search_client_answer_p99_ms %.1f" % med(searches, "accept_p99"))
    print("buyer_init_roundtrip_per_s %.1f" % med(inits, "per_s"))
    print("buyer_init_roundtrip_p50_ms %.0f" % med(inits, "p50"))
    print("buyer_init_roundtrip_p99_ms %.0f" % med(inits, "p99"))
    print("buyer_errors %d" % sum(x["errors"] for x in searches + inits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
