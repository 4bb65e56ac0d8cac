"""The buyer and gateway roles asking the ONDC registry (registry.url,
POST /v2.0/lookup) for the sellers of a domain and city and for a
seller's bpp_uri, and caching the answers (buyer/buyer_registry.c).

The network (tests/e2e/network.py) with a fake registry in front: the
buyer fleet and the gateway fleet have a registry file that lists no
seller and registry.url pointing at the fake, which answers from every
node's record and logs each lookup. The buyer searches straight (no
gateway).

Tried: a select naming a seller by bpp_id alone, on a new transaction
(its bpp_uri asked by subscriber_id, the on_select comes back); one naming
a seller the registry does not know (400 at context.bpp_id, asked once,
then remembered); a search reaching both sellers through a lookup by
domain, city and type BPP, and a second one served from the cache; a
search for a city the registry cannot be asked about while it answers 500
(503, the reason given, nothing sent); a buyer app's signed search to the
gateway fanned out to the sellers the registry listed (the lookup signed
by the gateway).
"""
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Runner, check, eq, load_fixture, now_ts  # noqa: E402
from network import CITY, DOMAIN, Network  # noqa: E402

NET = None
REG = None


class FakeRegistry:
    """/v2.0/lookup over RECORDS, filtered by what the query names."""

    def __init__(self, records):
        self.records = records
        self.queries = []
        self.fail = False
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                q = json.loads(raw or b"{}")
                outer.queries.append({"q": q, "auth": self.headers.get("Authorization", "")})
                if outer.fail:
                    out, code = b'{"error":"down"}', 500
                else:
                    keys = ("subscriber_id", "ukId", "domain", "city", "type")
                    out = json.dumps([r for r in outer.records
                                      if all(r.get(k) == q[k] for k in keys if k in q)]).encode()
                    code = 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def lists(self, signer=None):
        """The lookups by city (seller lists), by SIGNER's key if given."""
        return [x for x in self.queries if "city" in x["q"] and
                (signer is None or 'keyId="%s|' % signer in x["auth"])]

    def by_id(self, sub):
        return [x for x in self.queries if x["q"].get("subscriber_id") == sub]


def msg(action):
    return load_fixture(os.path.join("retail", action + ".json"))["message"]


def answers(action, mid, n=1, wait_ms=10000):
    s, a = NET.buyer.client("GET", "/buyer/v1/on_%s?messageId=%s&wait_ms=%d&seen=%d"
                            % (action, mid, wait_ms, n - 1))
    eq(s, 200, "GET on_%s" % action)
    return a


def test_a_select_by_bpp_id_asks_the_registry():
    s, r = NET.buyer.client("POST", "/buyer/v1/select", {
        "context": {"domain": DOMAIN, "city": CITY, "transaction_id": "reg-sel-1",
                    "bpp_id": NET.sellers[0].sub}, "message": msg("select")})
    eq(s, 200, "select with bpp_id only: %r" % (r,))
    check(REG.by_id(NET.sellers[0].sub), "the registry was asked for the seller")
    st = answers("select", r["message_id"])
    eq(st["sent"][0]["to"], NET.sellers[0].uri, "sent to the registered subscriber_url")
    check(st["answers"], "on_select came back: %r" % st)


def test_b_unknown_seller_refused_and_remembered():
    body = {"context": {"domain": DOMAIN, "city": CITY, "transaction_id": "reg-sel-2",
                        "bpp_id": "nobody.test.local"}, "message": msg("select")}
    s, a = NET.buyer.client("POST", "/buyer/v1/select", body)
    eq((s, a["error"]["path"]), (400, "context.bpp_id"), "unknown seller: %r" % (a,))
    eq(len(REG.by_id("nobody.test.local")), 1, "asked once")
    s, a = NET.buyer.client("POST", "/buyer/v1/select", body)
    eq(s, 400, "again")
    eq(len(REG.by_id("nobody.test.local")), 1, "remembered as unknown, not asked again")


def test_c_search_through_registry_then_cache():
    before = len(REG.lists())
    s, a = NET.buyer.client("POST", "/buyer/v1/search",
                            {"context": {"domain": DOMAIN, "city": CITY}, "message": msg("search")})
    eq(s, 200, "search: %r" % (a,))
    eq(a["sent_to"], 2, "both sellers the registry listed")
    got = REG.lists(NET.buyer.sub)[before:]
    eq(len(got), 1, "one list lookup, signed by the buyer")
    eq((got[0]["q"]["domain"], got[0]["q"]["city"], got[0]["q"]["type"]), (DOMAIN, CITY, "BPP"),
       "by domain, city and type")
    end = time.time() + 15
    while time.time() < end:
        st = answers("search", a["message_id"], 1, 2000)
        if len(st["sellers"]) == 2:
            break
        time.sleep(0.2)
    eq(sorted(x["bpp_id"] for x in st["sellers"]), sorted(n.sub for n in NET.sellers),
       "both sellers answered")
    s, a = NET.buyer.client("POST", "/buyer/v1/search",
                            {"context": {"domain": DOMAIN, "city": CITY}, "message": msg("search")})
    eq((s, a["sent_to"]), (200, 2), "second search")
    eq(len(REG.lists()), before + 1, "served from the cache: the registry not asked again")


def test_d_registry_down_503():
    REG.fail = True
    try:
        s, a = NET.buyer.client("POST", "/buyer/v1/search",
                                {"context": {"domain": DOMAIN, "city": "std:011"},
                                 "message": msg("search")})
        eq(s, 503, "registry down: %r" % (a,))
        check("registry" in a["error"]["message"], "says why: %r" % a)
    finally:
        REG.fail = False


def test_e_gateway_asks_the_registry():
    before = len(REG.lists(NET.gateway.sub))
    body = load_fixture(os.path.join("retail", "search.json"))
    ctx = body["context"]
    ctx.update(domain=DOMAIN, city=CITY, bap_id=NET.buyer.sub, bap_uri=NET.buyer.uri,
               transaction_id="reg-gw-1", message_id="reg-gw-m1", timestamp=now_ts(), ttl="PT30S")
    ctx.pop("bpp_id", None)
    ctx.pop("bpp_uri", None)
    raw = json.dumps(body, separators=(",", ":")).encode()
    s, ans = NET.gateway.post("/search", raw, {"Authorization": NET.buyer.sign(raw)})
    eq(s, 200, "the gateway ACKed: %r" % (ans,))
    end = time.time() + 15
    while time.time() < end and not all("reg-gw-m1" in n.logs("ingress-0.log") for n in NET.sellers):
        time.sleep(0.2)
    for n in NET.sellers:
        check("reg-gw-m1" in n.logs("ingress-0.log"), "%s got the search" % n.name)
    eq(len(REG.lists(NET.gateway.sub)), before + 1, "the gateway asked the registry, signed")


def main():
    global NET, REG
    NET = Network(sellers=2, gateway=True, webhook=False)
    records = json.load(open(NET.registry))
    REG = FakeRegistry(records)
    small = os.path.join(NET.dir, "registry-no-sellers.json")
    with open(small, "w") as f:
        json.dump([r for r in records if r["type"] != "BPP"], f)
    for node in (NET.buyer, NET.gateway):
        node.cfg["registry"] = {"file": small, "url": REG.url}
        node.cfg.setdefault("buyer", {}).pop("gateway_uri", None)
        node.write()
    NET.start()
    try:
        return Runner().run(globals())
    finally:
        NET.close()


if __name__ == "__main__":
    sys.exit(main())
