"""The per-sender rate limit holds across copies of the ingress: two copies
(ingress_copies 2, SO_REUSEPORT) share one table of buckets
(run_dir/rate.shm), so a buyer app whose connections land on both still has
one allowance of rate_limit.burst + rate_limit.per_s a second, not two.

Bad inputs tried here: a flood of signed requests from one address over new
connections (spread over both copies by the kernel), past the limit; each
refused one is a 429 NACK and nothing of it is journaled.
"""
import concurrent.futures
import http.client
import json
import sys
import threading
import time

from harness import Fleet, Runner, check, eq, load_fixture

F = None
RATE, BURST = 20, 40
SOURCE = "127.0.0.5"


def post(body, auth):
    c = http.client.HTTPConnection("127.0.0.1", F.port, timeout=10, source_address=(SOURCE, 0))
    c.request("POST", "/protocol/v1/init", body=body,
              headers={"Content-Type": "application/json", "Authorization": auth})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data)


def journal_mids():
    out = F.ctl("--config", F.config, "journal", "list")
    return {l.split("\t")[6] for l in out.splitlines()[1:] if len(l.split("\t")) >= 7}


def test_both_copies_spend_one_allowance():
    # signed first, then sent as fast as 8 threads can: with a table per
    # copy about twice burst + rate * t would be admitted
    n = 200

    def signed(_):
        req = F.make(load_fixture("seed-init-request.json"))
        raw = json.dumps(req, separators=(",", ":")).encode()
        return req["context"]["message_id"], raw, F.sign(raw)
    # signed on 8 threads (each signature is an ondcctl process), so the
    # first are still fresh when the last is made
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(signed, range(n)))
    results = []
    lock = threading.Lock()
    nxt = [0]

    def sender():
        while True:
            with lock:
                if nxt[0] >= n:
                    return
                mid, raw, auth = bodies[nxt[0]]
                nxt[0] += 1
            s, a = post(raw, auth)
            with lock:
                results.append((mid, s, a))

    t0 = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    codes = [s for _, s, _ in results]
    eq(len(codes), n, "every request answered")
    check(set(codes) <= {200, 429}, "only ACK or 429: %s %r" % (
        sorted(set(codes)), [a for _, c, a in results if c not in (200, 429)][:2]))
    admitted = codes.count(200)
    check(admitted >= BURST, "the burst got through: %d" % admitted)
    check(admitted <= BURST + RATE * elapsed + 1,
          "admitted %d in %.1fs over two copies is within one burst + rate * t (%.0f)"
          % (admitted, elapsed, BURST + RATE * elapsed + 1))
    for _, s, a in results:
        if s == 429:
            eq(a["message"]["ack"]["status"], "NACK", "429 is a NACK")
            eq(a["error"]["type"], "POLICY-ERROR", "error type")
    # both copies answered some of them (each logs request.ack / nack)
    per_copy = []
    for i in (0, 1):
        per_copy.append(sum(1 for l in F.logs("ingress-%d.log" % i).splitlines()
                            if '"request.' in l))
    check(per_copy[0] > 0 and per_copy[1] > 0, "connections spread over both copies: %s" % per_copy)
    # what was refused is not journaled; what was ACKed is
    mids = journal_mids()
    for mid, s, _ in results:
        check((mid in mids) == (s == 200), "%s journaled iff ACKed (%d)" % (mid, s))


def test_the_shared_allowance_refills():
    time.sleep(BURST / RATE + 0.5)
    req = F.make(load_fixture("seed-init-request.json"))
    raw = json.dumps(req, separators=(",", ":")).encode()
    eq(post(raw, F.sign(raw))[0], 200, "tokens refill")


if __name__ == "__main__":
    F = Fleet(extra={"ingress_copies": 2, "rate_limit": {"per_s": RATE, "burst": BURST}}).start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
