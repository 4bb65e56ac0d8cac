"""Trust end to end: signatures on every request, registry lookups over
HTTP, replays, onboarding.

One fleet whose local registry file lists the node, the buyer app and a
gateway (type BG), and whose registry.url points at a fake ONDC registry
run by this test (a Python http.server answering /v2.0/lookup). The fake
registry checks the node's own Authorization on each lookup with
`ondcctl verify` against the node's public key, counts hits per key, and can
be made slow, hanging or failing.

Refused here, each with 401 + 30016 and never processed (no journal row, no
callback): a forged signature, a tampered body, an expired header, a future
`created`, an unknown subscriber (locally and at the registry, then from the
negative cache), a keyId that is not the sender, a missing and a garbled
header, an invalid X-Gateway-Authorization, a registry record that is not
SUBSCRIBED. Accepted: spaces after the commas and another field order, a
valid X-Gateway-Authorization from a BG. Registry: a key fetched once and
then cached, one lookup in flight for many requests, a registry that hangs
or fails answered 503 within registry.timeout_ms while other requests are
served. Replays with signatures. /on_subscribe with ONDC.md's known answer,
the site verification page, and ondcctl sign/verify with ONDC.md's vectors.
"""
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

from harness import BIN, BUYER, FIXTURES, SAN_SLOWDOWN, Fleet, Runner, check, eq, free_port, load_fixture

F = None
REG = None
GW = "gateway.test.local"
GW_KEYS = None
REMOTE_KEYS = None
TIMEOUT_MS = 800 * SAN_SLOWDOWN  # the fake registry verifies with ondcctl, a process a lookup
REQUEST_ID = "trust-e2e-request-id-" + uuid.uuid4().hex[:8]
KAT_PRIV = "MC4CAQAwBQYDK2VuBCIEIOgl3rf3arbk1PvIe0C9TZp7ImR71NSQdvuSu+zzY6xo"
KAT_PUB = "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8="
KAT_CHALLENGE = "CrwN248HS4CIYsUvxtrK0pWCBaoyZh4LnWtGqeH7Mpc="
KAT_ANSWER = "ONDC is a Great Initiative!"
REFUSED = []  # message ids of refused requests: none may ever be processed


def ctl(*args):
    return subprocess.run([os.path.join(BIN, "ondcctl")] + list(args), capture_output=True,
                          text=True)


class FakeRegistry:
    """POST /v2.0/lookup: answers the records it holds for the asked key.

    mode: "ok", "hang" (never answers in time), "500". delay: seconds before
    an "ok" answer. hits: (subscriber, ukId, our Authorization verified)."""

    def __init__(self, node_pub):
        self.port = free_port()
        self.records = {}
        self.mode = "ok"
        self.delay = 0.0
        self.hits = []
        self.stalled = 0
        self.lock = threading.Lock()
        self.node_pub = node_pub
        self.tmp = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                if b'"stall-' in raw:  # a lookup never answered in time
                    with outer.lock:
                        outer.stalled += 1
                    time.sleep(TIMEOUT_MS / 1000.0 + 2)
                    return
                verified = outer.verify(raw, self.headers.get("Authorization", ""))
                try:
                    q = json.loads(raw)
                except ValueError:
                    q = {}
                with outer.lock:
                    outer.hits.append((q.get("subscriber_id"), q.get("ukId"), verified, q))
                mode, delay = outer.mode, outer.delay
                if mode == "hang":
                    time.sleep(TIMEOUT_MS / 1000.0 + 4)
                    return
                if delay:
                    time.sleep(delay)
                if self.path != "/v2.0/lookup":
                    code, body = 404, b'{"error":"no such path"}'
                elif not verified:
                    code, body = 401, b'{"error":"bad signature"}'
                elif mode == "500":
                    code, body = 500, b'{"error":"down"}'
                else:
                    recs = outer.records.get((q.get("subscriber_id"), q.get("ukId")), [])
                    code, body = 200, json.dumps(recs).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 512  # many lookups connect at once

            def handle_error(self, request, client_address):
                pass  # a lookup the node gave up on: its connection is gone

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def verify(self, raw, auth):
        p = os.path.join(self.tmp, "lookup-%s.body" % uuid.uuid4().hex)
        with open(p, "wb") as f:
            f.write(raw)
        r = ctl("verify", "--public-key", self.node_pub, "--header", auth, p)
        os.unlink(p)
        return r.returncode == 0

    def add(self, sub, keys, status="SUBSCRIBED", typ="BAP"):
        self.records[(sub, "k1")] = [{
            "subscriber_id": sub, "ukId": "k1", "subscriber_url": F.bap.uri, "type": typ,
            "domain": "nic2004:52110", "city": "std:080", "country": "IND",
            "signing_public_key": keys["signing_public_key"],
            "encr_public_key": keys["encr_public_key"],
            "valid_from": "2024-01-01T00:00:00.000Z", "valid_until": "2035-01-01T00:00:00.000Z",
            "status": status}]

    def count(self, sub):
        with self.lock:
            return len([h for h in self.hits if h[0] == sub])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---- helpers ----

def init_req(bap_id=BUYER):
    req = F.make(load_fixture("seed-init-request.json"))
    req["context"]["bap_id"] = bap_id
    return req


def search_req():
    req = F.make(load_fixture("seed-init-request.json"), action="search")
    for k in ("bpp_id", "bpp_uri"):
        req["context"].pop(k, None)
    req["message"] = {"intent": {"item": {"descriptor": {"name": "Butter"}},
                                 "fulfillment": {"end": {"location": {"gps": "12.9,77.6"}}}}}
    return req


def raw_of(req):
    return json.dumps(req, separators=(",", ":")).encode()


def post_raw(raw, auth=None, path="/protocol/v1/init", headers=None, timeout=10):
    h = dict(headers or {})
    if auth is not None:
        h["Authorization"] = auth
    return F.post(path, None, raw=raw, sign=False, headers=h, timeout=timeout)


def journal_rows(mid):
    out = F.ctl("--config", F.config, "journal", "list", "--message", mid)
    return [line for line in out.splitlines()[1:] if line.strip()]


def refused(resp, req, status=401, code="30016", why=None):
    """RESP is a NACK STATUS/CODE and REQ left no journal row."""
    s, a, h = resp
    mid = req["context"]["message_id"]
    eq(s, status, "HTTP status (%r)" % (a,))
    eq(a["message"]["ack"]["status"], "NACK", "NACK")
    eq(a["error"]["code"], code, "error code")
    if status == 401:
        eq(a["error"]["type"], "POLICY-ERROR", "error type")
        www = h.get("WWW-Authenticate", "")
        eq(www, 'Signature realm="%s",headers="(created) (expires) digest"' % F.subscriber,
           "WWW-Authenticate")
    if why:
        check(why in a["error"]["message"], "message %r mentions %r" % (a["error"]["message"], why))
    eq(journal_rows(mid), [], "no journal row for a refused request")
    REFUSED.append(mid)
    return a


def acked(resp, req):
    s, a, _ = resp
    eq((s, a), (200, {"message": {"ack": {"status": "ACK"}}}), "ACK")
    eq(len(journal_rows(req["context"]["message_id"])), 1, "one journal row")


def reorder(header):
    """HEADER with its fields in another order and a space after each comma."""
    body = header[len("Signature "):]
    fields = re.findall(r'(\w+)="([^"]*)"', body)
    check(len(fields) == 6, "six fields in %r" % header)
    fields.reverse()
    return "Signature " + ", ".join('%s="%s"' % kv for kv in fields)


def remote_sub():
    return "remote-%s.test" % uuid.uuid4().hex[:10]


# ---- refusals ----

def test_forged_signature():
    req = init_req()
    raw = raw_of(req)
    gw_key = os.path.join(F.dir, "keys", "gateway", "signing.key")
    refused(post_raw(raw, F.sign(raw, key=gw_key)), req, why="signature mismatch")


def test_tampered_body():
    req = init_req()
    raw = raw_of(req)
    auth = F.sign(raw)
    i = raw.index(b'"name":"Test"') + len(b'"name":"')  # the billing name
    tampered = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]
    check(tampered != raw and len(tampered) == len(raw), "one byte changed")
    json.loads(tampered)
    refused(post_raw(tampered, auth), req, why="signature mismatch")


def test_expired_header():
    req = init_req()
    raw = raw_of(req)
    now = int(time.time())
    refused(post_raw(raw, F.sign(raw, created=now - 1000, expires=now - 600)), req, why="expired")


def test_future_created():
    req = init_req()
    raw = raw_of(req)
    now = int(time.time())
    refused(post_raw(raw, F.sign(raw, created=now + 600, expires=now + 900)), req, why="future")


def test_within_skew_is_accepted():
    req = init_req()
    raw = raw_of(req)
    now = int(time.time())
    acked(post_raw(raw, F.sign(raw, created=now - 400, expires=now - 60)), req)


def test_unknown_subscriber_then_negative_cache():
    sub = remote_sub()
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    for attempt in range(2):
        req = init_req(bap_id=sub)
        raw = raw_of(req)
        refused(post_raw(raw, F.sign(raw, subscriber=sub, key=key)), req, why="unknown subscriber")
        eq(REG.count(sub), 1, "registry asked once (attempt %d: negative cache)" % attempt)


def test_keyid_not_the_sender():
    req = init_req()
    raw = raw_of(req)
    node_key = os.path.join(F.dir, "keys", "signing.key")
    a = refused(post_raw(raw, F.sign(raw, subscriber=F.subscriber, key=node_key)), req)
    eq(a["error"]["path"], "context.bap_id", "path")


def test_missing_and_garbled_header():
    req = init_req()
    refused(post_raw(raw_of(req)), req, why="required")
    req = init_req()
    refused(post_raw(raw_of(req), "Signature garbage"), req)
    req = init_req()
    raw = raw_of(req)
    good = F.sign(raw)
    refused(post_raw(raw, good.replace('algorithm="ed25519"', 'algorithm="rsa"')), req)


def test_not_subscribed_at_the_registry():
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS, status="INACTIVE")
    req = init_req(bap_id=sub)
    raw = raw_of(req)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    refused(post_raw(raw, F.sign(raw, subscriber=sub, key=key)), req, why="SUBSCRIBED")


# ---- accepted shapes ----

def test_spaces_after_commas_and_other_field_order():
    req = init_req()
    raw = raw_of(req)
    auth = reorder(F.sign(raw))
    check(", " in auth and auth.index("signature=") < auth.index("keyId="), "reordered: " + auth)
    acked(post_raw(raw, auth), req)


# ---- X-Gateway-Authorization ----

def test_gateway_authorization_valid():
    req = search_req()
    raw = raw_of(req)
    gw_key = os.path.join(F.dir, "keys", "gateway", "signing.key")
    gw = F.sign(raw, subscriber=GW, key=gw_key)
    acked(post_raw(raw, F.sign(raw), path="/protocol/v1/search",
                   headers={"X-Gateway-Authorization": gw}), req)


def test_gateway_authorization_invalid():
    req = search_req()
    raw = raw_of(req)
    # the gateway's keyId, signed with the buyer's key
    gw = F.sign(raw, subscriber=GW)
    refused(post_raw(raw, F.sign(raw), path="/protocol/v1/search",
                     headers={"X-Gateway-Authorization": gw}), req, why="X-Gateway-Authorization")
    req = search_req()
    raw = raw_of(req)
    refused(post_raw(raw, F.sign(raw), path="/protocol/v1/search",
                     headers={"X-Gateway-Authorization": "Signature nonsense"}), req,
            why="X-Gateway-Authorization")


def test_a_key_signs_only_as_the_role_it_is_registered_for():
    # the seller-typed key of a registered seller app (type BPP, from the
    # remote registry) signing a buyer app's request: refused
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS, typ="BPP")
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    req = init_req(bap_id=sub)
    raw = raw_of(req)
    refused(post_raw(raw, F.sign(raw, subscriber=sub, key=key)), req, why="registered as BPP")
    # a gateway's key signing as a buyer app: refused
    req = init_req(bap_id=GW)
    raw = raw_of(req)
    gw_key = os.path.join(F.dir, "keys", "gateway", "signing.key")
    refused(post_raw(raw, F.sign(raw, subscriber=GW, key=gw_key)), req, why="registered as BG")
    # a buyer app's key (type BAP) as X-Gateway-Authorization: refused
    req = search_req()
    raw = raw_of(req)
    refused(post_raw(raw, F.sign(raw), path="/protocol/v1/search",
                     headers={"X-Gateway-Authorization": F.sign(raw)}), req, why="not as a BG")


# ---- registry over HTTP ----

def test_registry_key_fetched_once_then_cached():
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    for attempt in range(3):
        req = init_req(bap_id=sub)
        raw = raw_of(req)
        acked(post_raw(raw, F.sign(raw, subscriber=sub, key=key)), req)
        eq(REG.count(sub), 1, "registry asked once (attempt %d)" % attempt)
    hit = [h for h in REG.hits if h[0] == sub][0]
    check(hit[2], "our lookup carried a valid Authorization")
    eq(hit[3], {"country": "IND", "domain": req["context"]["domain"], "subscriber_id": sub,
                "ukId": "k1"}, "lookup body")
    calls = F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_init"))
    check(calls, "the request from a fetched key was processed")


def test_registry_one_lookup_in_flight_per_key():
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    REG.delay = 0.5
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    try:
        reqs = [init_req(bap_id=sub) for _ in range(6)]
        signed = [(r, raw_of(r)) for r in reqs]
        signed = [(r, raw, F.sign(raw, subscriber=sub, key=key)) for r, raw in signed]
        results = [None] * len(signed)

        def go(i):
            results[i] = post_raw(signed[i][1], signed[i][2])
        ts = [threading.Thread(target=go, args=(i,)) for i in range(len(signed))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(15)
    finally:
        REG.delay = 0.0
    for (r, _, _), res in zip(signed, results):
        acked(res, r)
    eq(REG.count(sub), 1, "one lookup for six requests")


def test_registry_down_does_not_stall_ingress():
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    REG.mode = "hang"
    try:
        req = init_req(bap_id=sub)
        raw = raw_of(req)
        auth = F.sign(raw, subscriber=sub, key=key)
        box = {}

        def go():
            t0 = time.time()
            box["resp"] = post_raw(raw, auth)
            box["t"] = time.time() - t0
        t = threading.Thread(target=go)
        t.start()
        time.sleep(0.1)
        # meanwhile, requests whose key is in the file are served at once
        for _ in range(3):
            other = init_req()
            t0 = time.time()
            acked(post_raw(raw_of(other), F.sign(raw_of(other))), other)
            check(time.time() - t0 < 0.5 * SAN_SLOWDOWN, "served while the registry hangs")
        t.join(10)
    finally:
        REG.mode = "ok"
    check("resp" in box, "the waiting request was answered")
    check(box["t"] < TIMEOUT_MS / 1000.0 + 1.0,
          "answered in %.2fs, within registry.timeout_ms + 1 s" % box["t"])
    refused(box["resp"], req, status=503, code="31001", why="registry")
    # the registry back: not negatively cached, the same key now works
    req = init_req(bap_id=sub)
    raw = raw_of(req)
    acked(post_raw(raw, F.sign(raw, subscriber=sub, key=key)), req)


def post_from(source, raw, auth, path="/protocol/v1/init", timeout=10):
    """POST RAW from the loopback address SOURCE (127.0.0.N): (status, answer)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", F.port, timeout=timeout, source_address=(source, 0))
    try:
        c.request("POST", path, body=raw, headers={"Content-Type": "application/json",
                                                   "Authorization": auth})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def test_lookup_flood_from_one_address_leaves_room_for_a_cold_buyer():
    # 40 requests at once from 127.0.0.2, each naming a made-up subscriber
    # (garbage signatures: no key needed): at most a burst of them reach
    # the registry (registry.lookup_rate_per_address 4/s, bursts of 16;
    # registry.lookups_per_address 8 in flight), the rest get 429 at once;
    # then a real buyer app whose key is not cached yet, from 127.0.0.3,
    # is served at once
    subs = [remote_sub() for _ in range(40)]
    before = sum(REG.count(s) for s in subs)
    out = []
    lock = threading.Lock()

    def flood(sub):
        req = init_req(bap_id=sub)
        raw = raw_of(req)
        r = post_from("127.0.0.2", raw, F.sign(raw, subscriber=sub))
        with lock:
            out.append(r)

    ts = [threading.Thread(target=flood, args=(s,)) for s in subs]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    # the bucket refills at 4/s while the flood lasts
    allowed = 16 + int(4 * (time.time() - t0)) + 1
    codes = sorted(r[0] for r in out)
    limited = [r for r in out if r[0] == 429]
    check(len(limited) >= 40 - allowed, "the flood is cut at its burst (%d): %r" % (allowed, codes))
    check(all("registry lookups from your address" in r[1]["error"]["message"] for r in limited),
          "429 says why")
    check(set(codes) <= {401, 429, 503}, "the rest are unknown keys (or the registry's time-out): %r"
          % codes)
    looked = sum(REG.count(s) for s in subs) - before
    check(looked <= allowed, "at most a burst of lookups reached the registry: %d" % looked)
    # the cold buyer, from its own address, while 127.0.0.2's bucket is empty
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    req = init_req(bap_id=sub)
    raw = raw_of(req)
    s, a = post_from("127.0.0.3", raw, F.sign(raw, subscriber=sub, key=key))
    eq((s, a), (200, {"message": {"ack": {"status": "ACK"}}}), "the cold buyer is served")


def test_lookup_flood_from_many_addresses_leaves_a_slot_for_a_cold_buyer():
    # 40 addresses (127.0.4.N) send 9 requests each at once, each naming a
    # made-up subscriber whose lookup the registry never answers (each holds
    # its slot for registry.timeout_ms): 320 lookups within the per-address
    # limit of 8, more than the 256 slots. Each address's share shrinks as
    # the slots fill and the last eighth is kept for addresses with none in
    # flight, so no flood request finds every slot taken (503) and a buyer
    # app whose key is not cached, from a 41st address, is served
    fake = F.sign(b"{}")
    out, lock = [], threading.Lock()

    def flood(a, i):
        sub = "stall-%s.test" % uuid.uuid4().hex[:10]
        req = init_req(bap_id=sub)
        r = post_from("127.0.4.%d" % a, raw_of(req), fake.replace(BUYER + "|", sub + "|"))
        with lock:
            out.append(r)

    ts = [threading.Thread(target=flood, args=(a, i)) for a in range(1, 41) for i in range(9)]
    for t in ts:
        t.start()
    time.sleep(0.3)
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    req = init_req(bap_id=sub)
    raw = raw_of(req)
    s, a = post_from("127.0.5.1", raw, F.sign(raw, subscriber=sub, key=key))
    for t in ts:
        t.join()
    eq((s, a), (200, {"message": {"ack": {"status": "ACK"}}}), "the cold buyer is served")
    codes = sorted(set(r[0] for r in out))
    check(503 not in [r[0] for r in out] or all("in flight" not in json.dumps(r[1]) for r in out),
          "no flood request found every slot taken: %r" % codes)
    print("    flood: %d lookups reached the registry, answers %r" % (REG.stalled, [(c, [r[0] for r in out].count(c)) for c in codes]))
    # at least the ninth of each address is past registry.lookups_per_address
    check(sum(1 for r in out if r[0] == 429) >= 40, "the rest refused at once (429): %r" % codes)


def test_registry_error_is_503():
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    REG.mode = "500"
    try:
        req = init_req(bap_id=sub)
        raw = raw_of(req)
        refused(post_raw(raw, F.sign(raw, subscriber=sub, key=key)), req, status=503, code="31001",
                why="HTTP 500")
    finally:
        REG.mode = "ok"


def test_zz_file_keys_never_hit_the_registry():
    eq(REG.count(BUYER), 0, "the buyer app's key is in the file")
    eq(REG.count(GW), 0, "the gateway's key is in the file")
    check(all(h[2] for h in REG.hits), "every lookup was signed with our key")


# ---- replays ----

def test_replay_with_signatures():
    req = init_req()
    raw = raw_of(req)
    mid = req["context"]["message_id"]
    now = int(time.time())
    s1 = post_raw(raw, F.sign(raw))
    # the buyer app's retry: same bytes, a fresh signature
    s2 = post_raw(raw, F.sign(raw, created=now + 1, expires=now + 301))
    s3 = post_raw(raw, F.sign(raw))
    for s in (s1, s2, s3):
        eq(s[0], 200, "ACK")
    eq(len(journal_rows(mid)), 1, "one journal row for three deliveries")
    F.bap.wait_for(F.bap.by_message(mid, "on_init"))
    time.sleep(1.0)
    eq(len(F.bap.wait_for(F.bap.by_message(mid, "on_init"), timeout=0.1, count=2)), 1,
       "processed once")
    # the same message_id with another body, properly signed: refused
    req["message"]["order"]["items"][0]["quantity"]["count"] = 2
    raw2 = raw_of(req)
    s, a, _ = post_raw(raw2, F.sign(raw2))
    eq(s, 400, "reused message_id")
    eq(a["error"]["path"], "context.message_id", "path")
    eq(len(journal_rows(mid)), 1, "still one journal row")
    # a replay with a bad signature is refused before the dedupe
    s, a, _ = post_raw(raw, F.sign(raw, key=os.path.join(F.dir, "keys", "gateway", "signing.key")))
    eq(s, 401, "replay with a forged signature")


def test_long_lived_signatures_and_requests_without_ttl_cannot_be_replayed_later():
    # a signature good for ten years, otherwise valid: refused, so that no
    # signature outlives the dedupe entry that stops its replay
    req = init_req()
    raw = raw_of(req)
    now = int(time.time())
    refused(post_raw(raw, F.sign(raw, created=now, expires=now + 10 * 365 * 86400)), req,
            why="lifetime")
    # exactly the bound (signature_max_lifetime_s, 3600 by default): accepted
    req = init_req()
    raw = raw_of(req)
    acked(post_raw(raw, F.sign(raw, created=now, expires=now + 3600)), req)
    # a request with no context.ttl is held to retail's PT30S: ten minutes
    # old (freshly signed) it is stale
    req = init_req()
    req["context"].pop("ttl", None)
    old = time.gmtime(time.time() - 600)
    req["context"]["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", old)
    raw = raw_of(req)
    s, a, _ = post_raw(raw, F.sign(raw))
    eq(s, 400, "stale without ttl: %r" % (a,))
    eq(a["error"]["path"], "context.timestamp", "path")
    eq(a["error"]["code"], "30022", "stale request")
    eq(journal_rows(req["context"]["message_id"]), [], "no journal row")


# ---- onboarding ----

def test_on_subscribe_known_answer():
    s, a, _ = F.post("/on_subscribe", {"subscriber_id": F.subscriber, "challenge": KAT_CHALLENGE},
                     sign=False)
    eq((s, a), (200, {"answer": KAT_ANSWER}), "challenge answered")
    s, a, _ = F.post("/ondc/on_subscribe", {"challenge": KAT_CHALLENGE}, sign=False)
    eq((s, a), (200, {"answer": KAT_ANSWER}), "under a path prefix, without subscriber_id")
    s, a, _ = F.post("/on_subscribe", {"subscriber_id": "someone.else", "challenge": KAT_CHALLENGE},
                     sign=False)
    eq(s, 400, "another subscriber_id")
    s, a, _ = F.post("/on_subscribe", {"subscriber_id": F.subscriber, "challenge": "not base64!"},
                     sign=False)
    eq(s, 400, "bad challenge")
    eq(a["error"]["path"], "challenge", "path")
    s, a, _ = F.post("/on_subscribe", None, raw=b"[]", sign=False)
    eq(s, 400, "not an object")


def test_site_verification_page():
    url = "http://127.0.0.1:%d/ondc-site-verification.html" % F.port
    with urllib.request.urlopen(url, timeout=5) as r:
        eq(r.status, 200, "page")
        check(r.headers.get("Content-Type", "").startswith("text/html"), "html")
        page = r.read().decode()
    m = re.fullmatch(r'<html><head><meta name="ondc-site-verification" content="([^"]+)" /></head>'
                     r'<body>ONDC Site Verification Page</body></html>', page)
    check(m, "page shape: %r" % page)
    r = ctl("verify", "--public-key", F.node_pub["signing_public_key"], "--signature", m.group(1),
            "--message", REQUEST_ID)
    eq((r.returncode, r.stdout.strip()), (0, "ok"), "the content is our signature of the request_id")
    r = ctl("verify", "--public-key", F.node_pub["signing_public_key"], "--signature", m.group(1),
            "--message", REQUEST_ID + "x")
    eq(r.returncode, 1, "and of nothing else")


def test_ondcctl_known_answers():
    body = os.path.join(FIXTURES, "signing-body.json")
    vectors = [
        ("lP3sHA+9gileOkXYJXh4Jg8tK0gEEMbf9yCPnFpbldhrAY+NErqL9WD+Vav7TE5tyVXGXBle9ONZi2W7o144eQ==",
         "awGPjRK6i/Vg/lWr+0xObclVxlwZXvTjWYtlu6NeOHk=",
         "cjbhP0PFyrlSCNszJM1F/YmHDVAWsZqJUPzojnE/7TJU3fJ/rmIlgaUHEr5E0/2PIyf0tpSnWtT6cyNNlpmoAQ=="),
        ("G0Pme72u8Y1MwxHqvY4iBW+7VPtJ7dsX7SGs6zZ5yvVIzdRAyHR6YkwHG2ufOE+12lsbJRwBF4Hqd7dUEOZZkg==",
         "SM3UQMh0emJMBxtrnzhPtdpbGyUcAReB6ne3VBDmWZI=",
         "fKQWvXhln4UdyZdL87ViXQObdBme0dHnsclD2LvvnHoNxIgcvAwUZOmwAnH5QKi9Upg5tRaxpoGhCFGHD+d+Bw=="),
    ]
    for i, (priv, pub, sig) in enumerate(vectors):
        kf = os.path.join(F.dir, "kat-%d.key" % i)
        fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (priv + "\n").encode())
        os.close(fd)
        r = ctl("sign", "--key", kf, "--subscriber", "buyer-app.ondc.org", "--ukid", "207",
                "--created", "1641287875", "--expires", "1641291475", body)
        eq(r.returncode, 0, "sign")
        hdr = r.stdout.strip()
        check('signature="%s"' % sig in hdr, "known signature %d: %s" % (i, hdr))
        r = ctl("verify", "--public-key", pub, "--header", hdr, "--now", "1641287900", body)
        eq((r.returncode, r.stdout.strip()), (0, "ok buyer-app.ondc.org|207"), "verify %d" % i)
        r = ctl("verify", "--public-key", pub, "--header", hdr, body)
        eq(r.returncode, 1, "expired without --now")
        r = ctl("verify", "--public-key", vectors[1 - i][1], "--header", hdr, "--now", "1641287900",
                body)
        eq(r.returncode, 1, "the other key does not verify it")


# ---- last: nothing refused was ever processed ----

def test_zz_refused_requests_never_reached_a_worker():
    check(REFUSED, "some requests were refused")
    time.sleep(1.0)
    for mid in REFUSED:
        eq(journal_rows(mid), [], "no journal row for %s" % mid)
        eq(F.bap.wait_for(lambda c, m=mid: F.bap.by_message(m)(c), timeout=0.01), [],
           "no callback for %s" % mid)


def test_zzz_drain_answers_a_request_waiting_for_the_registry():
    """Last: stops the fleet. SIGTERM while a request waits on a lookup: the
    drain waits for it (at most registry.timeout_ms) and it is answered."""
    sub = remote_sub()
    REG.add(sub, REMOTE_KEYS)
    key = os.path.join(F.dir, "keys", "remote", "signing.key")
    REG.mode = "hang"
    req = init_req(bap_id=sub)
    raw = raw_of(req)
    auth = F.sign(raw, subscriber=sub, key=key)
    box = {}

    def go():
        try:
            box["resp"] = post_raw(raw, auth)
        except Exception as e:  # noqa: BLE001 - reported below
            box["exc"] = e
    t = threading.Thread(target=go)
    t.start()
    time.sleep(0.2)
    F.stop()
    t.join(10)
    REG.mode = "ok"
    check("resp" in box, "answered before the fleet stopped: %r" % box.get("exc"))
    eq(box["resp"][0], 503, "503: the registry did not answer in time")


def setup():
    global F, REG, GW_KEYS, REMOTE_KEYS
    F = Fleet(extra={"encryption_private_key_file": "keys/kat-encryption.key"})
    keys = os.path.join(F.dir, "keys")
    GW_KEYS = json.loads(F.ctl("keygen", "--dir", os.path.join(keys, "gateway")))
    REMOTE_KEYS = json.loads(F.ctl("keygen", "--dir", os.path.join(keys, "remote")))
    fd = os.open(os.path.join(keys, "kat-encryption.key"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (KAT_PRIV + "\n").encode())
    os.close(fd)
    REG = FakeRegistry(F.node_pub["signing_public_key"])
    REG.tmp = F.dir
    F.write_registry(extra=[{
        "subscriber_id": GW, "ukId": "k1", "subscriber_url": "http://127.0.0.1/gw", "type": "BG",
        "domain": "ONDC:RET10", "city": "*", "country": "IND",
        "signing_public_key": GW_KEYS["signing_public_key"],
        "encr_public_key": GW_KEYS["encr_public_key"],
        "valid_from": "2024-01-01T00:00:00.000Z", "valid_until": "2035-01-01T00:00:00.000Z",
        "status": "SUBSCRIBED"}])
    # registry.url and its knobs (config written by Fleet; rewrite it before start)
    F.cfg["registry"] = {"file": "registry.json", "url": REG.url, "timeout_ms": TIMEOUT_MS,
                         "negative_cache_s": 60, "encr_public_key": KAT_PUB,
                         "request_id": REQUEST_ID}
    with open(F.config, "w") as f:
        json.dump(F.cfg, f, indent=2)
    F.start()


if __name__ == "__main__":
    setup()
    try:
        rc = Runner().run(globals())
    finally:
        F.close(keep=False)
        REG.close()
    sys.exit(rc)
