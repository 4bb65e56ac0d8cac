#!/usr/bin/env python3
"""bench-abuse.py - what a well-behaved buyer app sees while the node is
attacked (part of make bench; loopback only, each attack bounded in time).

  slowloris   attackers on ABUSE_ADDRS (40) loopback addresses try to hold
              ABUSE_SLOW (4,500) connections, each sending a request line
              and then a byte a second, reopening whatever the node closes;
              a buyer app sends 10 init a second, each on a new connection.
  dead-hosts  1,000 registered buyer apps whose hosts accept and never
              answer each have 2 on_init to deliver; 5 other buyer apps
              send 10 init a second between them.
  lookups     40 addresses send requests naming made-up subscribers
              (garbage signatures, so every one would need a registry
              lookup; the fake registry answers in 100 ms); a new buyer app,
              known to the registry and not to the node, arrives every half
              second from its own address.
For each, the same well-behaved load first runs alone for ABUSE_BASE
seconds (the baseline), then for ABUSE_SECONDS (default 20) under the
attack. Prints one line per figure: ACK (or callback) p50/p99/max in ms,
baseline and attacked, and what the attack achieved.
"""
import http.client
import http.server
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.request
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from harness import BUYER, FakeBuyerApp, Fleet, load_fixture  # noqa: E402

SECONDS = float(os.environ.get("ABUSE_SECONDS", "20"))
BASE = float(os.environ.get("ABUSE_BASE", "8"))
N_SLOW = int(os.environ.get("ABUSE_SLOW", "4500"))
N_ADDRS = int(os.environ.get("ABUSE_ADDRS", "40"))
N_DEAD = int(os.environ.get("ABUSE_DEAD", "1000"))
ONLY = os.environ.get("ABUSE_ONLY", "")


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def fmt(xs):
    return "p50 %.1f p99 %.1f max %.1f ms (n %d)" % (pct(xs, 50), pct(xs, 99), max(xs or [0]), len(xs))


def metric(F, name, labels=""):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % F.admin_port, timeout=10) as r:
        text = r.read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if (l.startswith(name + "{") or l.startswith(name + " ")) and labels in l)


def post(port, raw, auth, source=None, timeout=20):
    """One request on a new connection; (status, seconds)."""
    t0 = time.time()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                       source_address=(source, 0) if source else None)
        c.request("POST", "/protocol/v1/init", body=raw,
                  headers={"Content-Type": "application/json", "Authorization": auth})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, time.time() - t0
    except OSError:
        return 0, time.time() - t0


def paced(seconds, per_s, fn):
    """Call FN(i) PER_S times a second for SECONDS, each in its own thread."""
    ts, i, t0 = [], 0, time.time()
    while time.time() - t0 < seconds:
        t = threading.Thread(target=fn, args=(i,), daemon=True)
        t.start()
        ts.append(t)
        i += 1
        time.sleep(max(0.0, t0 + i / per_s - time.time()))
    for t in ts:
        t.join(30)


def init_raw(F, bap_id, bap_uri):
    req = F.make(load_fixture("seed-init-request.json"))
    req["context"]["bap_id"], req["context"]["bap_uri"] = bap_id, bap_uri
    return req, json.dumps(req, separators=(",", ":")).encode()


# ---- slow-loris -------------------------------------------------------------

def slowloris():
    F = Fleet(extra={"rate_limit": {"per_s": 0}}).start()
    try:
        def legit(lat, fails):
            def go(i):
                _, raw = init_raw(F, BUYER, F.bap.uri)
                s, dt = post(F.port, raw, F.sign(raw))
                (lat.append(dt * 1000) if s == 200 else fails.append(s))
            return go
        base, bfail = [], []
        paced(BASE, 10, legit(base, bfail))
        addrs = ["127.0.1.%d" % (i + 1) for i in range(N_ADDRS)]
        socks, stop = {}, threading.Event()
        held = []

        def opener(k):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.settimeout(1)
            try:
                s.bind((addrs[k % len(addrs)], 0))
                s.connect(("127.0.0.1", F.port))
                s.send(b"POST /protocol/v1/init HTTP/1.1\r\nHost: x\r\n")
                s.setblocking(False)
                return s
            except OSError:
                s.close()
                return None

        def attacker():
            for k in range(N_SLOW):
                socks[k] = opener(k)
            while not stop.is_set():
                t0, alive, reopened = time.time(), 0, 0
                for k in range(N_SLOW):
                    s = socks[k]
                    ok = False
                    if s is not None:
                        try:
                            ok = s.recv(1) != b""
                        except BlockingIOError:
                            ok = True
                        except OSError:
                            ok = False
                        if ok:
                            try:
                                s.send(b"X")
                            except OSError:
                                ok = False
                    if ok:
                        alive += 1
                    else:
                        if s is not None:
                            s.close()
                        socks[k] = opener(k) if reopened < 400 else None
                        reopened += 1
                held.append(alive)
                stop.wait(max(0.0, 1.0 - (time.time() - t0)))
            for s in socks.values():
                if s is not None:
                    s.close()

        shed0 = {w: metric(F, "ondc_connections_shed_total", 'why="%s"' % w)
                 for w in ("header_deadline", "listener_full", "address_share")}
        at = threading.Thread(target=attacker, daemon=True)
        at.start()
        time.sleep(5)  # the slow connections opened
        lat, fails = [], []
        paced(SECONDS, 10, legit(lat, fails))
        stop.set()
        at.join(30)
        shed = {w: int(metric(F, "ondc_connections_shed_total", 'why="%s"' % w) - shed0[w]) for w in shed0}
        print("abuse slowloris: %d slow connections tried from %d addresses, held by the attacker "
              "median %d max %d; buyer ACK baseline %s; under attack %s, %d failed; closed by the node: %s"
              % (N_SLOW, N_ADDRS, pct(held[5:] or held, 50), max(held or [0]), fmt(base), fmt(lat),
                 len(fails), ", ".join("%s %d" % kv for kv in shed.items())), flush=True)
    finally:
        F.close()


# ---- dead hosts ---------------------------------------------------------------

class Tarpit:
    """N listening ports that accept and never answer."""

    def __init__(self, n):
        self.socks, self.held, self.stop = [], [], threading.Event()
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(64)
            s.setblocking(False)
            self.socks.append(s)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        import selectors
        sel = selectors.DefaultSelector()
        for s in self.socks:
            sel.register(s, selectors.EVENT_READ)
        while not self.stop.is_set():
            for key, _ in sel.select(0.2):
                try:
                    c, _ = key.fileobj.accept()
                    self.held.append(c)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        for s in self.socks + self.held:
            s.close()


def dead_hosts():
    pit = Tarpit(N_DEAD)
    F = Fleet(extra={"rate_limit": {"per_s": 0}})
    good = [F.add_buyer("good%d.buyer.test" % i) for i in range(5)]
    # the dead buyer apps share one key (each its own registry record)
    d = os.path.join(F.dir, "keys", "dead")
    os.makedirs(d, mode=0o700)
    pub = json.loads(F.ctl("keygen", "--dir", d))
    dead = ["dead%d.buyer.test" % i for i in range(N_DEAD)]
    urls = ["http://127.0.0.1:%d/" % s.getsockname()[1] for s in pit.socks]
    F.write_registry(extra=[{
        "subscriber_id": sub, "ukId": "k1", "subscriber_url": url, "type": "BAP",
        "domain": "ONDC:RET10", "city": "std:080", "country": "IND",
        "signing_public_key": pub["signing_public_key"], "encr_public_key": pub["encr_public_key"],
        "valid_from": "2024-01-01T00:00:00.000Z", "valid_until": "2035-01-01T00:00:00.000Z",
        "status": "SUBSCRIBED"} for sub, url in zip(dead, urls)])
    F.start()
    try:
        def legit(lat, missing):
            def go(i):
                b = good[i % len(good)]
                req = b.make(load_fixture("seed-init-request.json"))
                t0 = time.time()
                s, _, _ = b.post("/protocol/v1/init", req)
                if s != 200:
                    missing.append(s)
                    return
                got = b.bap.wait_for(b.bap.by_message(req["context"]["message_id"], "on_init"), timeout=30)
                (lat.append((got[0]["t"] - t0) * 1000) if got else missing.append("none"))
            return go
        # 2 init from each dead buyer app, signed beforehand (8 threads)
        key = os.path.join(d, "signing.key")
        signed, sent = [None] * (2 * N_DEAD), []

        def sign(j):
            for i in range(j, 2 * N_DEAD, 8):
                sub = dead[i % N_DEAD]
                _, raw = init_raw(F, sub, urls[i % N_DEAD] + "ondc/")
                signed[i] = (raw, F.sign(raw, subscriber=sub, key=key))
        ts = [threading.Thread(target=sign, args=(j,), daemon=True) for j in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        base, bmiss = [], []
        paced(BASE, 10, legit(base, bmiss))

        def flood(j):
            for i in range(j, 2 * N_DEAD, 8):
                s, _ = post(F.port, *signed[i])
                sent.append(s)
        ts = [threading.Thread(target=flood, args=(j,), daemon=True) for j in range(8)]
        for t in ts:
            t.start()
        lat, miss = [], []
        paced(SECONDS, 10, legit(lat, miss))
        for t in ts:
            t.join(120)
        print("abuse dead-hosts: %d buyer apps whose hosts never answer, %d of their init ACKed "
              "(%d callback connections held open at the end); other buyer apps' init -> on_init: "
              "baseline %s; under attack %s, %d missing"
              % (N_DEAD, sent.count(200), len(pit.held), fmt(base), fmt(lat), len(miss)), flush=True)
    finally:
        F.close()
        pit.close()


# ---- lookup flood -------------------------------------------------------------

class SlowRegistry:
    """A registry that knows a set of subscribers and answers in 100 ms."""

    def __init__(self):
        self.known, self.asked = {}, 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                q = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                outer.asked += 1
                time.sleep(0.1)
                rec = outer.known.get(q.get("subscriber_id"))
                body = json.dumps([rec] if rec else []).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def lookups():
    reg = SlowRegistry()
    F = Fleet(extra={"rate_limit": {"per_s": 0}, "registry": {"file": "registry.json", "url": reg.url}})
    d = os.path.join(F.dir, "keys", "cold")
    os.makedirs(d, mode=0o700)
    pub = json.loads(F.ctl("keygen", "--dir", d))
    key = os.path.join(d, "signing.key")
    app = FakeBuyerApp()
    F.start()
    try:
        def cold(lat, fails):
            def go(i):
                sub = "cold-%s.buyer.test" % uuid.uuid4().hex[:12]
                reg.known[sub] = {
                    "subscriber_id": sub, "ukId": "k1", "subscriber_url": app.uri, "type": "BAP",
                    "domain": "ONDC:RET10", "city": "std:080", "country": "IND",
                    "signing_public_key": pub["signing_public_key"],
                    "encr_public_key": pub["encr_public_key"], "valid_from": "2024-01-01T00:00:00.000Z",
                    "valid_until": "2035-01-01T00:00:00.000Z", "status": "SUBSCRIBED"}
                _, raw = init_raw(F, sub, app.uri)
                s, dt = post(F.port, raw, F.sign(raw, subscriber=sub, key=key), source="127.0.2.%d" % (1 + i % 200))
                (lat.append(dt * 1000) if s == 200 else fails.append(s))
            return go
        base, bfail = [], []
        paced(BASE, 2, cold(base, bfail))
        stop, codes = threading.Event(), []
        fake = F.sign(b"{}")  # a well-formed header whose signature fits no request

        def flood(j):
            while not stop.is_set():
                sub = "nobody-%s.buyer.test" % uuid.uuid4().hex[:12]
                _, raw = init_raw(F, sub, "https://%s/ondc/" % sub)
                auth = fake.replace(BUYER + "|", sub + "|")
                s, _ = post(F.port, raw, auth, source="127.0.3.%d" % (1 + j), timeout=5)
                codes.append(s)
        asked0 = reg.asked
        ts = [threading.Thread(target=flood, args=(j,), daemon=True) for j in range(N_ADDRS)]
        t0 = time.time()
        for t in ts:
            t.start()
        lat, fails = [], []
        paced(SECONDS, 2, cold(lat, fails))
        stop.set()
        for t in ts:
            t.join(30)
        el = time.time() - t0
        print("abuse lookups: %d requests of unknown subscribers from %d addresses in %.0f s (%d/s; %d reached "
              "the registry, %d answered 429, answers %s); cold buyer apps' ACK baseline %s; under the flood %s, %d refused %s"
              % (len(codes), N_ADDRS, el, len(codes) / el, reg.asked - asked0 - len(lat), codes.count(429),
                 sorted(set(codes)), fmt(base), fmt(lat), len(fails), sorted(set(fails))), flush=True)
    finally:
        F.close()
        app.close()
        reg.close()


if __name__ == "__main__":
    random.seed(1)
    for name, fn in (("slowloris", slowloris), ("dead-hosts", dead_hosts), ("lookups", lookups)):
        if not ONLY or ONLY == name:
            fn()
