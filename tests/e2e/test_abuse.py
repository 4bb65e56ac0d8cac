"""Abuse that cannot take the node down (bounded, loopback only).

Bad inputs tried here, each answered with a NACK and the right code, and
nothing stored: an oversized body (413), JSON nested 100 deep, a truncated
body, a wrong Content-Type (415), duplicated JSON keys, a NUL byte and
invalid UTF-8 inside a field, huge numbers, an items array past
max_array_items, a flood past the per-sender rate limit (429). Then 500
slow-loris connections from another loopback address while a well-behaved
buyer app still gets every ACK, and a flood of forged signatures that costs
no more signature checks than the rate limit allows while valid requests
keep flowing.
"""
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from harness import BUYER, Fleet, Runner, check, eq, load_fixture

F = None
ATTACKER = "127.0.0.2"


def journal_rows():
    out = F.ctl("--config", F.config, "journal", "list")
    return [l for l in out.splitlines()[1:] if l.strip()]


def raw_post(body, headers=None, source=None, path="/protocol/v1/init"):
    c = http.client.HTTPConnection("127.0.0.1", F.port, timeout=10,
                                   source_address=(source, 0) if source else None)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request("POST", path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except Exception:
        return r.status, data


def nack(status, ans, want_status, code="30000"):
    eq(status, want_status, "status")
    eq(ans["message"]["ack"]["status"], "NACK", "NACK")
    eq(ans["error"]["code"], code, "code")


def test_headers_past_max_header_bytes_are_refused():
    # max_header_bytes is 16384. 19 KB of headers (60 of 300 bytes): 431
    # NACK, nothing journaled (libmicrohttpd's pool took them, the limit
    # did not); 32 KB in one header: past the pool, 431 from
    # libmicrohttpd itself; 12 KB: ACK
    before = len(journal_rows())
    req = F.make(load_fixture("seed-init-request.json"))
    body = json.dumps(req).encode()
    headers = dict(("X-Pad-%03d" % i, "y" * 300) for i in range(60))
    s, a = raw_post(body, dict(headers, Authorization=F.sign(body)))
    nack(s, a, 431)
    check("headers larger than 16384" in a["error"]["message"], "says why: %r" % a)
    req = F.make(load_fixture("seed-init-request.json"))
    body = json.dumps(req).encode()
    s, a = raw_post(body, {"X-Pad": "x" * 32000, "Authorization": F.sign(body)})
    eq(s, 431, "32 KB of headers")
    eq(len(journal_rows()), before, "nothing journaled")
    req = F.make(load_fixture("seed-init-request.json"))
    body = json.dumps(req).encode()
    s, a = raw_post(body, {"X-Pad": "z" * 12000, "Authorization": F.sign(body)})
    eq((s, a), (200, {"message": {"ack": {"status": "ACK"}}}), "12 KB of headers: ACK")


def test_hostile_bodies_are_nacked_and_nothing_is_stored():
    before = len(journal_rows())
    good = json.dumps(F.make(load_fixture("seed-init-request.json")), separators=(",", ":"))
    nested = '{"context":' + '{"a":' * 100 + '1' + '}' * 100 + '}'
    dup = good.replace('"context":{', '"context":{"domain":"ONDC:RET10",', 1)
    nul = good.replace('"name":"Test"', '"name":"Te\\u0000st"', 1)
    cases = {
        "nested": (nested.encode(), {}, 400),
        "truncated": (good[: len(good) // 2].encode(), {}, 400),
        "duplicate keys": (dup.encode(), {}, 400),
        "NUL in a field": (nul.encode(), {}, 400),
        "raw NUL byte": (good.replace('"Test"', '"Te\x00st"', 1).encode(), {}, 400),
        "invalid UTF-8": (good.replace('"Test"', '"Te\xffst"', 1).encode("latin-1"), {}, 400),
        "huge integer": (good.replace('"count":1', '"count":123456789012345678901234567890', 1).encode(), {}, 400),
        "huge real": (good.replace('"count":1', '"count":1e400', 1).encode(), {}, 400),
        "wrong content type": (good.encode(), {"Content-Type": "text/plain"}, 415),
        "oversized": (b'{"a":"' + b"x" * (2 * 1024 * 1024) + b'"}', {}, 413),
    }
    for name, (body, headers, want) in cases.items():
        if "Authorization" not in headers and want != 413:
            headers = dict(headers, Authorization=F.sign(body))
        s, a = raw_post(body, headers)
        try:
            nack(s, a, want)
        except AssertionError as e:
            raise AssertionError("%s: %s (%r)" % (name, e, a))
    # too many items
    req = F.make(load_fixture("seed-init-request.json"))
    item = req["message"]["order"]["items"][0]
    req["message"]["order"]["items"] = [item] * 300
    s, a, _ = F.post("/protocol/v1/init", req)
    nack(s, a, 400)
    eq(a["error"]["path"], "message.order.items", "path of the long array")
    eq(len(journal_rows()), before, "nothing journaled")


def test_rate_limit_answers_429():
    # The fleet runs with rate_limit 20/s, burst 40. Requests are signed first
    # and then sent by 8 threads, until one is answered 429 (at most 150), so
    # the test holds however slow the machine is: whatever the elapsed time,
    # the bucket can admit at most burst + rate * elapsed.
    rate, burst = 20, 40
    bodies = []
    for i in range(150):
        raw = json.dumps(F.make(load_fixture("seed-init-request.json")),
                         separators=(",", ":")).encode()
        bodies.append((raw, F.sign(raw)))
    results = []
    lock = threading.Lock()
    seen_429 = threading.Event()
    nxt = [0]

    def sender():
        while not seen_429.is_set():
            with lock:
                if nxt[0] >= len(bodies):
                    return
                raw, auth = bodies[nxt[0]]
                nxt[0] += 1
            r = raw_post(raw, {"Authorization": auth}, source="127.0.0.3")
            with lock:
                results.append(r)
            if r[0] == 429:
                seen_429.set()

    t0 = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    codes = [s for s, _ in results]
    check(codes.count(429) > 0, "some answered 429 (%d sent in %.1fs)" % (len(codes), elapsed))
    check(set(codes) <= {200, 429}, "only ACK or 429: %s" % sorted(set(codes)))
    admitted = codes.count(200)
    check(admitted >= burst, "the burst got through: %d" % admitted)
    check(admitted <= burst + rate * elapsed + 1,
          "admitted %d in %.1fs is within burst + rate * t" % (admitted, elapsed))
    for s, a in results:
        if s == 429:
            nack(s, a, 429)
    time.sleep(1.5)
    req = F.make(load_fixture("seed-init-request.json"))
    raw = json.dumps(req, separators=(",", ":")).encode()
    eq(raw_post(raw, {"Authorization": F.sign(raw)}, source="127.0.0.3")[0], 200, "tokens refill")


def metric(name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % F.admin_port, timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_slow_loris_cannot_starve_a_buyer_app():
    socks = []
    stop = threading.Event()
    for _ in range(500):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind((ATTACKER, 0))
            s.connect(("127.0.0.1", F.port))
            s.send(b"POST /protocol/v1/init HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            s.close()
    check(len(socks) >= 100, "opened slow connections: %d" % len(socks))

    def drip():
        while not stop.is_set():
            for s in socks:
                try:
                    s.send(b"X")
                except OSError:
                    pass
            stop.wait(1.0)

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    try:
        acks = 0
        for i in range(30):
            req = F.make(load_fixture("seed-init-request.json"))
            t0 = time.time()
            s, a, _ = F.post("/protocol/v1/init", req, timeout=5)
            check(time.time() - t0 < 3, "answered promptly under the slow-loris")
            acks += s == 200
        eq(acks, 30, "every well-behaved request ACKed")
    finally:
        stop.set()
        for s in socks:
            s.close()


def test_forged_signature_flood_is_bounded_by_the_rate_limit():
    other = F.dir + "/keys/forger"
    F.ctl("keygen", "--dir", other)
    before = metric("ondc_signature_failures_total")
    t0 = time.time()
    forged = 0
    for i in range(200):
        req = F.make(load_fixture("seed-init-request.json"))
        raw = json.dumps(req, separators=(",", ":")).encode()
        s, a = raw_post(raw, {"Authorization": F.sign(raw, key=other + "/signing.key")}, source=ATTACKER)
        forged += s in (401, 429)
        if i % 20 == 0:  # a valid buyer app keeps flowing meanwhile
            good = F.make(load_fixture("seed-init-request.json"))
            eq(F.post("/protocol/v1/init", good)[0], 200, "valid request during the flood")
    elapsed = time.time() - t0
    eq(forged, 200, "every forgery refused")
    spent = metric("ondc_signature_failures_total") - before
    allowed = 40 + 20 * elapsed + 5
    check(spent <= allowed, "signature checks %d within the rate limit %.0f" % (spent, allowed))


def test_secrets_readable_by_others_stop_the_start():
    import os
    import shutil
    from harness import BIN, free_port
    # the signing key is the ingress's, the admin token ondc-admin's
    for secret, binary in [("keys/signing.key", "ondc-ingress"), ("keys/admin.token", "ondc-admin")]:
        d = F.dir + "/secret-check"
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        shutil.copytree(F.dir + "/keys", d + "/keys")
        shutil.copy(F.registry, d + "/registry.json")
        cfg = dict(F.cfg, listen="127.0.0.1:%d" % free_port(), admin_listen="127.0.0.1:%d" % free_port(),
                   data_dir="data", run_dir="run")
        json.dump(cfg, open(d + "/ondc.json", "w"))
        os.chmod(d + "/" + secret, 0o644)
        r = subprocess.run([BIN + "/" + binary, "--config", d + "/ondc.json"], capture_output=True,
                           text=True, timeout=20)
        check(r.returncode != 0, "%s refuses to start with %s mode 0644" % (binary, secret))
        check("readable by group or others" in r.stderr or "group/others may access" in r.stderr,
              "says why: %r" % r.stderr[-300:])
        secret_text = open(d + "/" + secret).read().strip()
        check(secret_text not in r.stderr + r.stdout, "the secret is not printed")
    # and not on a non-loopback admin address without a token file
    cfg = dict(F.cfg, listen="127.0.0.1:%d" % free_port(), admin_listen="0.0.0.0:%d" % free_port(),
               admin_token_file="", data_dir="data", run_dir="run")
    json.dump(cfg, open(d + "/ondc.json", "w"))
    os.chmod(d + "/keys/signing.key", 0o600)
    os.chmod(d + "/keys/admin.token", 0o600)
    r = subprocess.run([BIN + "/ondc-admin", "--config", d + "/ondc.json"], capture_output=True,
                       text=True, timeout=20)
    check(r.returncode != 0, "no admin token on a public address: refused")
    check("admin.no_token" in r.stderr, "says why: %r" % r.stderr[-300:])


if __name__ == "__main__":
    F = Fleet(extra={"rate_limit": {"per_s": 20, "burst": 40}, "connection_timeout_s": 3,
                     "max_connections_per_ip": 200}).start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
