"""Nothing ACKed is lost: the journal before the ACK (group commit), 503
when it cannot be written, exactly-once effect across a worker's death,
outbox delivery with retries, dead letters and their retry, a hung buyer app
that holds up no one else, recovery of pending callbacks at start, and the
operator's tools (journal list/show, replay in place and into a side fleet,
outbox list/show/retry, dead list/retry), and the janitor's retention.

Bad inputs and failures tried here: a store too small for the requests
(MDB_MAP_FULL: 503, and every ACK has its journal row), a backlog past
backlog_limit (503 "overloaded"), a worker stopped and one killed while
requests arrive, a buyer app answering 500 then ACK, one answering NACK, one
that hangs, a buyer app URL where nothing listens, a TTL that runs out, the
callback process stopped while on_* wait, replay of a row that does not exist.

Tests run in name order on one shared fleet F (plus a few fleets of their
own); the last one (test_99_janitor) needs rows older than retention_s (60 s,
the smallest allowed) and waits for them if the others were quicker.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import types
import urllib.request
import uuid

from harness import BIN, BUYER, Fleet, Runner, check, eq, free_port, load_fixture, wait_until

F = None
T0 = time.time()
FIRST = []  # message ids of the first requests of the run (for the janitor)


class HangBuyerApp:
    """A second buyer app whose answers can hang until release()."""

    def __init__(self):
        self.port = free_port()
        self.calls = []
        self.mode = "ack"
        self.cond = threading.Condition()
        self.released = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mode = outer.mode
                with outer.cond:
                    outer.calls.append({"raw": raw, "t": time.time(), "mode": mode})
                    outer.cond.notify_all()
                if mode == "hang":
                    outer.released.wait(60)
                body = b'{"message":{"ack":{"status":"ACK"}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # the caller gave up: fine
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def uri(self):
        return "http://127.0.0.1:%d/ondc/1.0/" % self.port

    def release(self):
        self.mode = "ack"
        self.released.set()

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


# ---- helpers ----

def sup(fleet, *args):
    conf = os.path.join(fleet.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True,
                          text=True).stdout


def ctl(fleet, *args, check_rc=True):
    return fleet.ctl("--config", fleet.config, *args, check=check_rc)


def ctl_err(fleet, *args):
    """ondcctl that must fail: its stderr."""
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", fleet.config] + list(args),
                       capture_output=True, text=True)
    check(r.returncode != 0, "ondcctl %s must fail: %s" % (args, r.stdout))
    return r.stderr


def table(text):
    """TSV with a header line -> list of dicts."""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return []
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:]]


def journal(fleet, *filters):
    return table(ctl(fleet, "journal", "list", *filters))


def outbox(fleet, *args):
    return table(ctl(fleet, *(args or ("outbox", "list"))))


def show(text):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(": ")
        if k and k not in out:
            out[k] = v
    return out


def init_req(fleet, bap_uri=None, ttl=None, txn=None):
    req = fleet.make(load_fixture("seed-init-request.json"))
    if bap_uri:
        req["context"]["bap_uri"] = bap_uri
    if ttl:
        req["context"]["ttl"] = ttl
    if txn:
        req["context"]["transaction_id"] = txn
    return req


def send(fleet, req):
    status, ans, _ = fleet.post("/protocol/v1/init", req)
    return status, ans


def load(fleet, count, rate=1000, concurrency=64, bap_uri=None, template=None, timeout_ms=10000):
    """ondcctl load: COUNT signed init requests; returns the result lines."""
    tmpl = os.path.join(fleet.dir, "tmpl-%s.json" % uuid.uuid4().hex)
    with open(tmpl, "w") as f:
        json.dump(template or init_req(fleet, bap_uri=bap_uri), f)
    out = tmpl + ".out"
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", fleet.config, "load", "--url",
                        "http://127.0.0.1:%d/protocol/v1/init" % fleet.port, "--count", str(count),
                        "--rate", str(rate), "--concurrency", str(concurrency), "--timeout-ms",
                        str(timeout_ms), "--key", fleet.buyer_key, "--subscriber", BUYER, "--out",
                        out, tmpl], capture_output=True, text=True)
    check(r.returncode == 0, "ondcctl load: " + r.stderr)
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]


def calls_for(bap, mid, action="on_init"):
    return [c for c in list(bap.calls) if bap.by_message(mid, action)(c)]


def rows_gauge(fleet, state):
    """ondc_callback_rows{state=STATE} from the fleet's /metrics (the sum
    over the callback processes)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % fleet.admin_port, timeout=5) as r:
        text = r.read().decode()
    n = 0
    for line in text.splitlines():
        if line.startswith("ondc_callback_rows{") and 'state="%s"' % state in line:
            n += int(float(line.rsplit(" ", 1)[1]))
    return n


def commits(fleet):
    out = []
    for l in fleet.logs("ingress-0.log").splitlines():
        if '"journal.commit"' in l:
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
    return out


# ---- 1. the journal before the ACK ----

def test_01_many_requests_share_one_commit():
    before = len(commits(F))
    T_FIRST[0] = time.time()
    res = load(F, 200, rate=100000, concurrency=100)
    FIRST.extend(r["message_id"] for r in res[:5])
    eq(sorted(set(r["result"] for r in res)), ["ack"], "all 200 ACKed")
    cs = commits(F)[before:]
    sizes = [int(c["requests"]) for c in cs]
    check(sum(int(c["journaled"]) for c in cs) >= 200, "every request journaled in a commit")
    check(max(sizes) >= 2, "some commit took more than one request: %r" % sizes[:40])
    check(len(cs) < 200, "%d commits for 200 requests" % len(cs))
    # exactly one on_init each, and one outbox row per journal row
    mids = set(r["message_id"] for r in res)
    F.bap.wait_for(lambda c: json.loads(c["raw"])["context"]["message_id"] in mids, timeout=30,
                   count=200)
    got = {}
    for c in list(F.bap.calls):
        m = json.loads(c["raw"])["context"]["message_id"]
        if m in mids:
            got[m] = got.get(m, 0) + 1
    eq(len(got), 200, "an on_init for each")
    eq(set(got.values()), {1}, "exactly one each")
    rows = [r for r in journal(F, "--action", "init") if r["message_id"] in mids]
    eq(len(rows), 200, "200 journal rows")
    eq(set(r["state"] for r in rows), {"done"}, "all done")
    ob = [r for r in outbox(F) if r["message_id"] in mids]
    eq(len(ob), 200, "one outbox row per journal row")


def test_02_map_full_is_503_and_every_ack_is_journaled():
    # 16 MiB of store, ~1 MB requests: the journal fills up within ~20
    G = Fleet(extra={"lmdb_map_size_mb": 16, "max_body_bytes": 1200000})
    try:
        G.start()
        pid = sup(G, "pid", "ondc:ingress").strip()
        tmpl = init_req(G)
        # random text: the journal compresses bodies, and this one must not shrink
        tmpl["message"]["pad"] = base64.b64encode(os.urandom(750000)).decode()
        res = load(G, 24, rate=1000, concurrency=6, template=tmpl, timeout_ms=20000)
        acked = [r["message_id"] for r in res if r["result"] == "ack"]
        busy = [r for r in res if r["http"] == 503]
        check(busy, "a full store answers 503: %r" % [(r["http"], r["result"]) for r in res])
        check(all(r["result"] in ("ack", "nack") for r in res), "every request answered")
        check(acked, "some fit before the store filled")
        rows = set(r["message_id"] for r in journal(G))
        missing = [m for m in acked if m not in rows]
        eq(missing, [], "every ACKed request has its journal row")
        for m in acked:  # the workers' small writes still find room
            check(G.bap.wait_for(G.bap.by_message(m, "on_init"), timeout=10), "on_init " + m)
        check('"journal.append_failed"' in G.logs("ingress-0.log") or
              '"store.commit"' in G.logs("ingress-0.log"), "the failure is logged")
        # ingress lives on (the same process: supervisord may not have
        # called it RUNNING yet, startsecs is 1 s) and answers
        check(sup(G, "status", "ondc:ingress").split()[1] in ("STARTING", "RUNNING"),
              "ingress still up")
        eq(sup(G, "pid", "ondc:ingress").strip(), pid, "the same ingress process")
        s, _ = G.post("/protocol/v1/init", G.make(init_req(G)))[:2]
        check(s in (200, 503), "ingress answers: %s" % s)
    finally:
        G.close()


def test_03_nosync_backlog_limit_and_max_age():
    G = Fleet(extra={"journal_sync": "nosync", "backlog_limit": 10, "journal_lease_ms": 1000,
                     "journal_max_attempts": 2,
                     "callback": {"backoff_ms": 100, "max_age_s": 2, "timeout_ms": 400}})
    H = HangBuyerApp()
    H.mode = "hang"
    SLOW = G.add_buyer("slow.buyer.example", app=H)
    # a buyer app whose registered address has nobody listening
    GONE = G.add_buyer("gone.buyer.example",
                       app=types.SimpleNamespace(uri="http://127.0.0.1:%d/x/" % free_port(),
                                                 close=lambda: None))
    try:
        G.start()
        # nosync works and survives a process crash (kill -9 of every process)
        res = load(G, 8, rate=100)
        eq([r["result"] for r in res], ["ack"] * 8, "nosync fleet ACKs")
        for r in res:
            check(G.bap.wait_for(G.bap.by_message(r["message_id"], "on_init"), timeout=10),
                  "on_init (nosync)")
        sup(G, "signal", "KILL", "ondc:*")
        time.sleep(0.5)
        wait_until(lambda: "RUNNING" in sup(G, "status", "ondc:ingress"), 10)
        rows = set(r["message_id"] for r in journal(G))
        check(all(r["message_id"] in rows for r in res), "rows survive kill -9 with nosync")
        # backlog past backlog_limit: 503 "overloaded", nothing lost
        sup(G, "stop", "ondc:worker-order-0")
        res = load(G, 14, rate=100, concurrency=1)
        acked = [r for r in res if r["result"] == "ack"]
        over = [r for r in res if r["http"] == 503]
        eq(len(acked), 10, "ACK up to the backlog limit")
        eq(len(over), 4, "503 past it")
        eq(over[0]["code"], "31001", "an internal-error NACK")
        # while no worker takes them, leases run out (1 s) more often than
        # journal_max_attempts (2): that must not make the rows dead
        time.sleep(3.5)
        check(not journal(G, "--state", "dead"), "no row dead for want of a worker")
        sup(G, "start", "ondc:worker-order-0")
        for r in acked:
            check(G.bap.wait_for(G.bap.by_message(r["message_id"], "on_init"), timeout=15),
                  "a backlogged request is handled once the worker is back")
        eq(wait_until(lambda: load(G, 1)[0]["result"] == "ack", 5), True,
           "ACK again once the backlog drained")
        # callback.max_age_s caps the TTL: a buyer app that is not there,
        # and one that does not answer within callback.timeout_ms
        req = GONE.make(init_req(G, ttl="PT30S"), fresh=False)
        slow = SLOW.make(init_req(G, ttl="PT30S"), fresh=False)
        eq(GONE.post("/protocol/v1/init", req)[0], 200, "ACK")
        eq(SLOW.post("/protocol/v1/init", slow)[0], 200, "ACK")
        for r, why in ((req, "onnect"), (slow, "imeout")):
            mid = r["context"]["message_id"]
            dead = wait_until(lambda: [o for o in outbox(G, "dead", "list")
                                       if o["message_id"] == mid], 8)
            check(dead, "dead letter after max_age_s (2 s) although the TTL is 30 s")
            check(int(dead[0]["attempts"]) >= 2, "retried before: %r" % dead[0])
            info = show(ctl(G, "outbox", "show", dead[0]["id"]))
            check(why in info["answer"], "%s recorded: %r" % (why, info["answer"]))
        check(len(H.calls) >= 2, "the slow buyer app was tried again after a timeout")
    finally:
        H.close()
        G.close()


# ---- 2. exactly-once effect across a worker's death ----

def _run_load_while(action, count=60, rate=30):
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("res", load(F, count, rate=rate)))
    th.start()
    action()
    th.join(60)
    return out["res"]


def _exactly_once(res):
    acked = [r for r in res if r["result"] == "ack"]
    mids = set(r["message_id"] for r in acked)
    F.bap.wait_for(lambda c: json.loads(c["raw"])["context"]["message_id"] in mids, timeout=30,
                   count=len(mids))
    time.sleep(0.5)
    seen = {}
    for c in list(F.bap.calls):
        m = json.loads(c["raw"])["context"]["message_id"]
        if m in mids:
            seen[m] = seen.get(m, 0) + 1
    eq(len(seen), len(mids), "an on_init for every ACKed request")
    eq(set(seen.values()), {1}, "exactly one on_init each")
    ob = {}
    for r in outbox(F):
        if r["message_id"] in mids:
            ob[r["message_id"]] = ob.get(r["message_id"], 0) + 1
    eq(len(ob), len(mids), "an outbox row for each")
    eq(set(ob.values()), {1}, "exactly one outbox row per journal row")
    return acked


def test_04_worker_stopped_and_killed_while_requests_arrive():
    def stop_start():
        time.sleep(0.7)
        sup(F, "stop", "ondc:worker-order-0")
        time.sleep(1.0)
        sup(F, "start", "ondc:worker-order-0")
    acked = _exactly_once(_run_load_while(stop_start))
    eq(len(acked), 60, "every request ACKed while the worker was away")

    def kill():
        for _ in range(2):
            time.sleep(0.6)
            sup(F, "signal", "KILL", "ondc:worker-order-0")
    _exactly_once(_run_load_while(kill))
    check('"journal.redispatch"' in F.logs("dispatcher-0.log") or
          '"journal.recovered"' in F.logs("dispatcher-0.log"), "the lease scan re-sent rows")


def test_05_dispatcher_killed_rows_are_recovered():
    def kill():
        time.sleep(0.8)
        sup(F, "signal", "KILL", "ondc:dispatcher")
    _exactly_once(_run_load_while(kill, count=40, rate=20))


# ---- 3. outbox delivery ----

def test_06_500_then_ack_is_retried_with_backoff():
    F.bap.mode = "500"
    try:
        req = init_req(F)
        mid = req["context"]["message_id"]
        eq(send(F, req)[0], 200, "ACK")
        tries = F.bap.wait_for(F.bap.by_message(mid, "on_init"), timeout=15, count=5)
        check(len(tries) >= 5, "retried: %d tries" % len(tries))
        row = [r for r in outbox(F) if r["message_id"] == mid][0]
        info = show(ctl(F, "outbox", "show", row["id"]))
        eq(info["status"], "pending", "pending between tries")
        eq(info["answer"], "HTTP 500", "the answer is recorded")
        # between tries the row is parked: its bytes let go, read again when due
        check(wait_until(lambda: rows_gauge(F, "parked") >= 1, 5),
              "a row waiting for its retry is parked: %r" % rows_gauge(F, "parked"))
    finally:
        F.bap.mode = "ack"
    ok = wait_until(lambda: [c for c in calls_for(F.bap, mid) if c["mode"] == "ack"], 15)
    check(ok, "delivered once the buyer app is back")
    tries = calls_for(F.bap, mid)
    eq(len(set(c["raw"] for c in tries)), 1, "every try (parked in between) sends the same bytes")
    good, why = F.verify_callback(tries[-1])
    check(good, "the last try's signature verifies: " + why)
    ts = [c["t"] for c in calls_for(F.bap, mid)]
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    check(max(gaps[2:]) > min(gaps[:2]), "backoff grows: %r" % gaps)
    # a "delivered" mark is written within callback.state_flush_ms (200 ms)
    wait_until(lambda: show(ctl(F, "outbox", "show", row["id"]))["status"] == "delivered", 3)
    info = show(ctl(F, "outbox", "show", row["id"]))
    eq(info["status"], "delivered", "delivered")
    check(int(info["attempts"]) == len(ts), "attempts recorded: %s vs %d" % (info["attempts"], len(ts)))


def test_07_ttl_runs_out_dead_letter_then_dead_retry():
    F.bap.mode = "500"
    try:
        req = init_req(F, ttl="PT3S")
        mid = req["context"]["message_id"]
        eq(send(F, req)[0], 200, "ACK")
        dead = wait_until(lambda: [r for r in outbox(F, "dead", "list") if r["message_id"] == mid],
                          10)
        check(dead, "a dead letter once the TTL (3 s) ran out")
        n = len(calls_for(F.bap, mid))
        check(n >= 2, "retried before: %d tries" % n)
        eq(dead[0]["status"], "dead", "status dead")
        ts = [c["t"] for c in calls_for(F.bap, mid)]
        check(ts[-1] - ts[0] >= 1.9, "the last try comes just before the deadline, not a "
              "backoff early: %r" % [round(t - ts[0], 2) for t in ts])
        time.sleep(1.0)
        eq(len(calls_for(F.bap, mid)), n, "no try after the deadline")
    finally:
        F.bap.mode = "ack"
    # a dead letter is retried on the operator's word
    bad = ctl_err(F, "dead", "retry", "999999")
    check("no outbox row" in bad, "retry of a row that does not exist: %r" % bad)
    t = time.time()
    out = ctl(F, "dead", "retry", dead[0]["id"])
    check("pending again" in out, out)
    ok = F.bap.wait_for(lambda c: F.bap.by_message(mid, "on_init")(c) and c["mode"] == "ack", 10)
    check(ok, "delivered after dead retry")
    check(time.time() - t < 2.5, "at once (the callback process was told), %.1f s" % (time.time() - t))
    time.sleep(0.3)
    info = show(ctl(F, "outbox", "show", dead[0]["id"]))
    eq(info["status"], "delivered", "delivered")
    check(not [r for r in outbox(F, "dead", "list") if r["message_id"] == mid], "off the dead list")


def test_07a_request_handled_past_its_ttl_is_not_sent():
    # the buyer app stops waiting TTL after its request: a request worked
    # off from the backlog after that gets no on_* (a dead letter with no
    # attempt), one worked off within it still gets its answer
    sup(F, "stop", "ondc:worker-order-0")
    try:
        late = init_req(F, ttl="PT2S")
        inside = init_req(F, ttl="PT30S")
        eq(send(F, late)[0], 200, "ACK")
        eq(send(F, inside)[0], 200, "ACK")
        time.sleep(3.0)  # past the first one's 2 s while no worker runs
    finally:
        sup(F, "start", "ondc:worker-order-0")
    mid = late["context"]["message_id"]
    check(F.bap.wait_for(F.bap.by_message(inside["context"]["message_id"], "on_init"), 15),
          "the request still inside its TTL is answered")
    dead = wait_until(lambda: [r for r in outbox(F, "dead", "list") if r["message_id"] == mid], 10)
    check(dead, "the request past its TTL is a dead letter")
    info = show(ctl(F, "outbox", "show", dead[0]["id"]))
    eq(info["attempts"], "0", "never sent")
    check("deadline passed" in info["answer"], "why recorded: %r" % info["answer"])
    eq(calls_for(F.bap, mid), [], "the buyer app got nothing for it")
    # a replay asked for now is a fresh request: its on_* counts the TTL
    # from the replay, not from the request's first coming (long past)
    rows = [r for r in journal(F) if r["message_id"] == mid]
    out = ctl(F, "replay", rows[0]["id"])
    check("1 rows replayed" in out, out)
    check(F.bap.wait_for(F.bap.by_message(mid, "on_init"), 10), "the replay's on_init is sent")


def test_08_nack_is_recorded_and_not_retried():
    F.bap.mode = "nack"
    try:
        req = init_req(F)
        mid = req["context"]["message_id"]
        eq(send(F, req)[0], 200, "ACK")
        check(F.bap.wait_for(F.bap.by_message(mid, "on_init")), "on_init tried")
        time.sleep(1.5)
    finally:
        F.bap.mode = "ack"
    eq(len(calls_for(F.bap, mid)), 1, "a NACK is not retried")
    row = [r for r in outbox(F, "outbox", "list", "--status", "nacked") if r["message_id"] == mid]
    check(row, "status nacked")
    eq(row[0]["attempts"], "1", "one attempt")


def test_09_hung_buyer_app_holds_up_no_one_else():
    H = HUNG.bap
    H.mode = "hang"
    try:
        # 2 in flight, 68 in line: the 4 furthest back are parked (a line
        # keeps the bytes of its first 64)
        hung = []
        for _ in range(70):  # each made as it is sent: its timestamp is fresh
            hung.append(HUNG.make(init_req(F), fresh=False))
            s, a = HUNG.post("/protocol/v1/init", hung[-1])[:2]
            eq(s, 200, "ACK (hung buyer app): %r" % (a,))
        check(wait_until(lambda: len(H.calls) >= 2, 10), "two deliveries reach the hung host")
        t = time.time()
        res = load(F, 10, rate=50)
        for r in res:
            check(F.bap.wait_for(F.bap.by_message(r["message_id"], "on_init"), timeout=10),
                  "the healthy buyer app gets its on_init")
        took = time.time() - t
        check(took < 8, "promptly (%.1f s) while the other host hangs" % took)
        eq(len(H.calls), 2, "callback.max_per_host (2) deliveries at once to the hung host")
        check(wait_until(lambda: rows_gauge(F, "parked") >= 4, 5),
              "the rows far back in the hung host's line are parked: %r" % rows_gauge(F, "parked"))
        H.release()
        for r in hung:
            mid = r["context"]["message_id"]
            check(wait_until(lambda: any(json.loads(c["raw"])["context"]["message_id"] == mid
                                         for c in H.calls), 10), "delivered once released")
        got = {}
        for c in list(H.calls):
            got.setdefault(json.loads(c["raw"])["context"]["message_id"], c)
        for r in hung[-4:]:
            body = json.loads(got[r["context"]["message_id"]]["raw"])
            eq(body["context"]["action"], "on_init", "a parked row goes out whole")
            check("quote" in body["message"]["order"], "with its quote")
        check(wait_until(lambda: rows_gauge(F, "parked") == 0, 5), "none left parked")
    finally:
        H.close()


def test_10_pending_callbacks_survive_a_callback_restart():
    sup(F, "stop", "ondc:callback")
    try:
        reqs = [init_req(F) for _ in range(5)]
        for r in reqs:
            eq(send(F, r)[0], 200, "ACK")
        mids = set(r["context"]["message_id"] for r in reqs)

        def pending():
            rows = outbox(F, "outbox", "list", "--status", "pending")
            return len([r for r in rows if r["message_id"] in mids]) == 5
        check(wait_until(pending, 10), "five on_init wait in the outbox")
        time.sleep(0.3)
        check(not any(calls_for(F.bap, m) for m in mids), "none delivered while callback is down")
    finally:
        sup(F, "start", "ondc:callback")
    for m in mids:
        check(F.bap.wait_for(F.bap.by_message(m, "on_init"), timeout=10), "delivered after start")


# ---- 4. the operator's tools ----

def test_11_journal_list_filters_and_show():
    txn = str(uuid.uuid4())
    a = init_req(F, txn=txn)
    eq(send(F, a)[0], 200, "ACK")
    time.sleep(0.05)
    mid_ms = int(time.time() * 1000)
    time.sleep(0.05)
    b = init_req(F, txn=txn)
    eq(send(F, b)[0], 200, "ACK")
    for r in (a, b):
        check(F.bap.wait_for(F.bap.by_message(r["context"]["message_id"], "on_init")), "on_init")
    rows = journal(F, "--transaction", txn)
    eq([r["message_id"] for r in rows], [a["context"]["message_id"], b["context"]["message_id"]],
       "--transaction: both, in order")
    eq(set(r["state"] for r in rows), {"done"}, "done")
    one = journal(F, "--message", b["context"]["message_id"])
    eq(len(one), 1, "--message: one row")
    eq(one[0]["transaction_id"], txn, "its transaction")
    eq(journal(F, "--transaction", txn, "--since", str(mid_ms)), [one[0]], "--since")
    eq([r["message_id"] for r in journal(F, "--transaction", txn, "--until", str(mid_ms))],
       [a["context"]["message_id"]], "--until")
    ts = rows[0]["received"]
    eq(len(journal(F, "--transaction", txn, "--since", ts)), 2, "--since as an RFC 3339 time")
    eq(journal(F, "--transaction", txn, "--action", "search"), [], "--action search: none")
    eq(len(journal(F, "--transaction", txn, "--action", "init")), 2, "--action init")
    eq(len(journal(F, "--transaction", txn, "--state", "done")), 2, "--state done")
    eq(journal(F, "--transaction", txn, "--state", "pending"), [], "--state pending")
    info = show(ctl(F, "journal", "show", one[0]["id"]))
    eq(info["message_id"], b["context"]["message_id"], "show: message_id")
    eq(info["state"], "done", "show: state")
    eq(json.loads(info["body"])["context"]["message_id"], b["context"]["message_id"],
       "show: the raw body")
    bad = ctl_err(F, "journal", "show", "99999999")
    check("no journal row" in bad, "show of a row that does not exist: %r" % bad)


def test_12_replay_in_place_sends_a_fresh_on_star():
    txn = str(uuid.uuid4())
    reqs = [init_req(F, txn=txn) for _ in range(2)]
    for r in reqs:
        eq(send(F, r)[0], 200, "ACK")
        check(F.bap.wait_for(F.bap.by_message(r["context"]["message_id"], "on_init")), "on_init")
    rows = journal(F, "--transaction", txn)
    m0 = reqs[0]["context"]["message_id"]
    out = ctl(F, "replay", rows[0]["id"])
    check("1 rows replayed" in out, out)
    check(len(F.bap.wait_for(F.bap.by_message(m0, "on_init"), count=2)) == 2, "a fresh on_init")
    out = ctl(F, "replay", "--transaction", txn)
    check("2 rows replayed" in out, out)
    check(len(F.bap.wait_for(F.bap.by_message(m0, "on_init"), count=3)) == 3, "replayed again")
    m1 = reqs[1]["context"]["message_id"]
    check(len(F.bap.wait_for(F.bap.by_message(m1, "on_init"), count=2)) == 2, "the second too")
    eq(len([r for r in outbox(F) if r["transaction_id"] == txn]), 5, "outbox rows: 2 + 1 + 2")
    at = rows[0]["received"]  # RFC 3339, to the millisecond: that row alone
    out = ctl(F, "replay", "--since", at, "--until", at)
    check("1 rows replayed" in out and m0 in out, out)
    check(len(F.bap.wait_for(F.bap.by_message(m0, "on_init"), count=4)) == 4, "--since/--until")
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", F.config, "replay", "99999999"],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "no journal row" in r.stderr, "replay of a missing row fails")


def test_13_replay_into_a_side_fleet():
    txn = str(uuid.uuid4())
    req = init_req(F, txn=txn)
    mid = req["context"]["message_id"]
    eq(send(F, req)[0], 200, "ACK")
    check(F.bap.wait_for(F.bap.by_message(mid, "on_init")), "on_init (live)")
    S = Fleet()
    try:
        S.start()
        out = S.ctl("--config", S.config, "replay", "--from", F.config, "--transaction", txn,
                    "--bap-uri", S.bap.uri)
        check("(copied)" in out and "1 rows replayed" in out, out)
        got = S.bap.wait_for(S.bap.by_message(mid, "on_init"), timeout=10)
        check(got, "the side fleet's buyer app gets the on_init")
        body = json.loads(got[0]["raw"])
        eq(body["message"]["order"]["quote"]["price"]["value"], "147.00", "same quote")
        time.sleep(0.5)
        eq(len(calls_for(F.bap, mid)), 1, "nothing more reached the live buyer app")
        eq([r["message_id"] for r in journal(S, "--transaction", txn)], [mid], "copied row")
        eq(len(journal(F, "--transaction", txn)), 1, "the live journal is unchanged")
    finally:
        S.close()


def test_14_outbox_list_show_retry():
    req = init_req(F)
    mid = req["context"]["message_id"]
    eq(send(F, req)[0], 200, "ACK")
    check(F.bap.wait_for(F.bap.by_message(mid, "on_init")), "on_init")
    row = wait_until(lambda: [r for r in outbox(F, "outbox", "list", "--status", "delivered")
                              if r["message_id"] == mid], 5)
    check(row, "listed as delivered")
    row = row[0]
    eq(row["action"], "on_init", "action")
    check(row["url"].endswith("/on_init"), "url")
    info = show(ctl(F, "outbox", "show", row["id"]))
    eq(info["status"], "delivered", "show: status")
    eq(info["attempts"], "1", "show: attempts")
    eq(json.loads(info["answer"]), {"message": {"ack": {"status": "ACK"}}}, "show: the answer")
    eq(json.loads(info["body"])["context"]["message_id"], mid, "show: the body as sent")
    j = journal(F, "--message", mid)[0]
    eq(info["journal_id"], j["id"], "show: its journal row")
    t = time.time()
    ctl(F, "outbox", "retry", row["id"])
    check(len(F.bap.wait_for(F.bap.by_message(mid, "on_init"), count=2, timeout=10)) == 2,
          "delivered again")
    check(time.time() - t < 2.5, "at once, %.1f s" % (time.time() - t))
    bad = ctl_err(F, "dead", "retry", row["id"])
    check("not a dead letter" in bad, "dead retry of a live row is refused: %r" % bad)


# ---- retention ----

def test_99_janitor_prunes_rows_past_retention():
    old = journal(F, "--message", FIRST[0]) if FIRST else []
    if not old:
        # the run's first rows were pruned already (a slow run outlived
        # retention_s): rows of this test's own, then the same wait
        del FIRST[:]
        T_FIRST[0] = time.time()
        res = load(F, 3)
        FIRST.extend(r["message_id"] for r in res)
        for m in FIRST:
            F.bap.wait_for(F.bap.by_message(m, "on_init"))
        old = journal(F, "--message", FIRST[0])
        # the recent row must be well inside retention_s when these are past it
        time.sleep(max(0.0, 30 - (time.time() - T_FIRST[0])))
    check(old, "the first rows are there")
    born = old[0]["received"]
    recent = init_req(F)
    eq(send(F, recent)[0], 200, "ACK")
    # retention_s is 60: wait until the first rows are older than that
    wait = 61.5 - (time.time() - T_FIRST[0])
    if wait > 0:
        time.sleep(wait)
    # the janitor runs at the dispatcher's start, then every minute
    sup(F, "restart", "ondc:dispatcher")
    gone = wait_until(lambda: not journal(F, "--message", FIRST[0]), 10)
    check(gone, "rows older than retention_s pruned (received %s)" % born)
    for m in FIRST:
        eq(journal(F, "--message", m), [], "journal row pruned")
        eq([r for r in outbox(F) if r["message_id"] == m], [], "outbox row pruned")
    check(journal(F, "--message", recent["context"]["message_id"]), "a recent row is kept")
    check('"janitor.pruned"' in F.logs("dispatcher-0.log"), "janitor.pruned logged")


T_FIRST = [time.time()]


if __name__ == "__main__":
    # the janitor keeps a request's dedupe entry until its signature has
    # expired: signatures of at most 30 s (and 5 s of skew) let it prune
    # rows of 60 s (ondcctl load and the node sign for signature_validity_s)
    F = Fleet(extra={"journal_lease_ms": 1500, "retention_s": 60, "signature_max_lifetime_s": 30,
                     "signature_skew_s": 5, "signature_validity_s": 30,
                     "callback": {"backoff_ms": 100, "max_per_host": 2, "timeout_ms": 30000}})
    # a buyer app of its own whose host hangs (test_09)
    HUNG = F.add_buyer("hung.buyer.example", app=HangBuyerApp())
    F.start()
    T_FIRST[0] = time.time()
    try:
        rc = Runner().run(globals())
    finally:
        F.close(keep=False)
    sys.exit(rc)
