"""The buyer role and the gateway role on a whole local network
(tests/e2e/network.py): a buyer fleet (client API, on_* received), a gateway
fleet and two seller fleets with different catalogs, one registry file.

Tried: a search through the gateway reaching both sellers and both
catalogs coming back merged; select, a changed cart, init, confirm; the
sellers' order desk moving the order to delivered, each unsolicited
on_status seen by GET, by the event stream and by the webhook (HMAC
checked); a cancel; an on_* with a tampered body (NACK 401, never shown),
one for a message never sent, one from a seller for another seller's
request (NACK 400); a seller that is down (retried, then dead, the buyer
app sees it); the client API's bad input (no token, bad JSON, no domain,
unknown transaction) answered with the path at fault.
"""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Runner, check, eq, load_fixture, now_ts  # noqa: E402
from network import CITY, DOMAIN, Network  # noqa: E402

NET = None


def msg(action):
    return load_fixture(os.path.join("retail", action + ".json"))["message"]


def wait_answers(action, mid, n=1, wait_ms=8000):
    s, a = NET.buyer.client("GET", "/buyer/v1/on_%s?messageId=%s&wait_ms=%d&seen=%d"
                            % (action, mid, wait_ms, n - 1))
    eq(s, 200, "GET on_%s" % action)
    check(wait_ms == 0 or len(a["answers"]) >= n, "on_%s came: %r" % (action, a))
    return a


def search_all():
    s, a = NET.buyer.client("POST", "/buyer/v1/search",
                            {"context": {"domain": DOMAIN, "city": CITY}, "message": msg("search")})
    eq(s, 200, "search accepted: %r" % (a,))
    check(a["transaction_id"] and a["message_id"], "ids given")
    end = time.time() + 15
    while time.time() < end:
        st = wait_answers("search", a["message_id"], 1, 2000)
        if len(st["sellers"]) == 2:
            return a, st
        time.sleep(0.2)
    raise AssertionError("both sellers answered: %r" % (st,))


def test_search_through_gateway_merged():
    a, st = search_all()
    eq(st["sent"][0]["to"], NET.gateway.uri, "sent to the gateway")
    end = time.time() + 5
    while st["sent"][0]["state"] != "delivered" and time.time() < end:
        time.sleep(0.1)  # the delivered mark is written a little later
        st = wait_answers("search", a["message_id"], 1, 0)
    eq(st["sent"][0]["state"], "delivered", "the gateway ACKed")
    by = {s["bpp_id"]: s for s in st["sellers"]}
    eq(sorted(by), ["seller0.test.local", "seller1.test.local"], "both sellers")
    p0 = [p["id"] for p in by["seller0.test.local"]["catalog"]["bpp/providers"]]
    p1 = [p["id"] for p in by["seller1.test.local"]["catalog"]["bpp/providers"]]
    check("111863" in p0 and "B111863" in p1, "each seller's own catalog: %r %r" % (p0, p1))
    # the gateway counted its fan-out
    s, m = NET.gateway._http(NET.gateway.admin_port, "GET", "/metrics", token=NET.gateway.token)
    check("ondc_gateway_copies_total" in str(m), "fan-out in /metrics")
    # the seller saw both signatures: the buyer app's and the gateway's
    log = NET.sellers[0].logs("ingress-0.log")
    check(a["message_id"] in log, "seller 0 took the search")


def order_to_confirm():
    a, st = search_all()
    tid = a["transaction_id"]
    sel = msg("select")
    ctx = {"transaction_id": tid, "bpp_id": "seller0.test.local"}
    s, r = NET.buyer.client("POST", "/buyer/v1/select", {"context": ctx, "message": sel})
    eq(s, 200, "select: %r" % (r,))
    on = wait_answers("select", r["message_id"])
    eq(on["sent"][0]["to"], NET.sellers[0].uri, "bpp_uri from the on_search")
    q1 = on["answers"][0]["body"]["message"]["order"]["quote"]
    # a changed cart: two of the item
    sel["order"]["items"][0]["quantity"]["count"] = 2
    s, r = NET.buyer.client("POST", "/buyer/v1/select", {"context": {"transaction_id": tid},
                                                        "message": sel})
    eq(s, 200, "select again (changed cart): %r" % (r,))
    on = wait_answers("select", r["message_id"])
    q2 = on["answers"][0]["body"]["message"]["order"]["quote"]
    check(q1["price"]["value"] != q2["price"]["value"], "the quote follows the cart")
    ini = msg("init")
    ini["order"]["items"][0]["quantity"]["count"] = 2
    s, r = NET.buyer.client("POST", "/buyer/v1/init", {"context": {"transaction_id": tid},
                                                      "message": ini})
    eq(s, 200, "init")
    on = wait_answers("init", r["message_id"])
    o = on["answers"][0]["body"]["message"]["order"]
    check("error" not in on["answers"][0]["body"], "on_init without error: %r" % on["answers"][0]["body"].get("error"))
    conf = msg("confirm")
    conf["order"]["items"][0]["quantity"]["count"] = 2
    conf["order"]["quote"] = o["quote"]
    conf["order"]["id"] = "B" + tid.replace("-", "")[:20]
    conf["order"]["state"] = "Created"
    conf["order"]["created_at"] = conf["order"]["updated_at"] = now_ts()
    s, r = NET.buyer.client("POST", "/buyer/v1/confirm", {"context": {"transaction_id": tid},
                                                         "message": conf})
    eq(s, 200, "confirm")
    on = wait_answers("confirm", r["message_id"])
    body = on["answers"][0]["body"]
    check("error" not in body, "on_confirm: %r" % body.get("error"))
    return tid, body["message"]["order"]["id"]


def test_order_flow_unsolicited_status_get_sse_webhook():
    tid, oid = order_to_confirm()
    events = []

    def listen():
        req = urllib.request.Request(
            "http://127.0.0.1:%d/buyer/v1/events?transactionId=%s&timeout_ms=20000"
            % (NET.buyer.client_port, tid), headers={"Authorization": "Bearer " + NET.buyer.token})
        with urllib.request.urlopen(req, timeout=30) as r:
            ev = {}
            for line in r:
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    ev["event"] = line[7:]
                elif line.startswith("data: "):
                    ev["data"] = json.loads(line[6:])
                elif line == "" and ev:
                    events.append(ev)
                    ev = {}
                    if sum(1 for e in events if e["event"] == "on_status") >= 5:
                        return
    th = threading.Thread(target=listen, daemon=True)
    th.start()
    for verb in ("accept", "packed", "picked-up", "out-for-delivery", "delivered"):
        s, a = NET.sellers[0].admin("POST", "/seller/v1/orders/%s/%s" % (oid, verb))
        eq(s, 200, "order desk: %s %r" % (verb, a))
    end = time.time() + 15
    while time.time() < end:
        s, o = NET.buyer.client("GET", "/buyer/v1/orders/" + oid)
        if s == 200 and o["order"].get("state") == "Completed":
            break
        time.sleep(0.2)
    eq(o["order"]["state"], "Completed", "the buyer app's view of the order")
    states = [u["state"] for u in o["updates"] if u["action"] == "on_status"]
    eq(states[-1], "Completed", "the last unsolicited on_status: %r" % states)
    check(len(states) >= 4, "each unsolicited on_status kept, in order: %r" % states)
    th.join(20)
    got = [e["data"]["body"]["message"]["order"]["state"] for e in events if e["event"] == "on_status"]
    eq(got[-1], "Completed", "the event stream: %r" % got)
    hooks = NET.hook.wait_for(lambda c: json.loads(c["raw"]).get("transaction_id") == tid
                              and json.loads(c["raw"])["event"] == "on_status", count=5)
    check(len(hooks) >= 5, "the webhook got every on_status (%d)" % len(hooks))
    for c in hooks:
        mac = hmac.new(NET.hook_secret.encode(), c["raw"], hashlib.sha256).hexdigest()
        eq(c["headers"].get("X-ONDC-Webhook-Signature"), "sha256=" + mac, "webhook HMAC")


def test_cancel():
    tid, oid = order_to_confirm()
    c = msg("cancel")
    c["order_id"] = oid
    s, r = NET.buyer.client("POST", "/buyer/v1/cancel", {"context": {"transaction_id": tid},
                                                        "message": c})
    eq(s, 200, "cancel")
    on = wait_answers("cancel", r["message_id"])
    eq(on["answers"][0]["body"]["message"]["order"]["state"], "Cancelled", "cancelled")
    s, o = NET.buyer.client("GET", "/buyer/v1/orders/" + oid)
    eq(o["order"]["state"], "Cancelled", "the order as the seller last described it")


def on_select_for(tid, mid, seller):
    body = {"context": {"domain": DOMAIN, "action": "on_select", "country": "IND", "city": CITY,
                        "core_version": "1.2.0", "bap_id": NET.buyer.sub,
                        "bap_uri": NET.buyer.uri, "bpp_id": seller.sub, "bpp_uri": seller.uri,
                        "transaction_id": tid, "message_id": mid, "timestamp": now_ts()},
            "message": {"order": {"provider": {"id": "forged"}, "items": []}}}
    return json.dumps(body, separators=(",", ":")).encode()


def test_tampered_unknown_and_foreign_on_star_nacked():
    a, st = search_all()
    tid = a["transaction_id"]
    s, r = NET.buyer.client("POST", "/buyer/v1/select",
                            {"context": {"transaction_id": tid, "bpp_id": "seller0.test.local"},
                             "message": msg("select")})
    mid = r["message_id"]
    wait_answers("select", mid)
    seller = NET.sellers[0]
    raw = on_select_for(tid, mid, seller)
    auth = seller.sign(raw)
    tampered = raw.replace(b'"forged"', b'"forgex"')
    s, ans = NET.buyer.post("/protocol/v1/on_select", tampered, {"Authorization": auth})
    eq(s, 401, "tampered: %r" % (ans,))
    eq(ans["message"]["ack"]["status"], "NACK", "NACK")
    # a message never sent
    raw = on_select_for(tid, "never-sent-0000", seller)
    s, ans = NET.buyer.post("/protocol/v1/on_select", raw, {"Authorization": seller.sign(raw)})
    eq(s, 400, "never sent: %r" % (ans,))
    eq(ans["error"]["path"], "context.message_id", "path")
    # the other seller answering a request sent to seller 0
    other = NET.sellers[1]
    raw = on_select_for(tid, mid, other)
    s, ans = NET.buyer.post("/protocol/v1/on_select", raw, {"Authorization": other.sign(raw)})
    eq(s, 400, "another seller's request: %r" % (ans,))
    eq(ans["error"]["path"], "context.bpp_id", "path")
    time.sleep(0.5)
    got = wait_answers("select", mid, 1, 0)
    eq(len(got["answers"]), 1, "only the seller's own on_select is shown")
    check("forged" not in json.dumps(got), "nothing of the refused ones")


def test_client_api_bad_input():
    eq(NET.buyer.client("POST", "/buyer/v1/search", {}, token=False)[0], 401, "no token")
    s, a = NET.buyer._http(NET.buyer.client_port, "POST", "/buyer/v1/search", raw=b"{bad",
                           token=NET.buyer.token)
    eq(s, 400, "bad JSON")
    s, a = NET.buyer.client("POST", "/buyer/v1/search", {"context": {"city": CITY}, "message": {}})
    eq((s, a["error"]["path"]), (400, "context.domain"), "no domain")
    s, a = NET.buyer.client("POST", "/buyer/v1/init", {"context": {"transaction_id": "nope"},
                                                       "message": {}})
    eq((s, a["error"]["path"]), (404, "context.transaction_id"), "unknown transaction")
    s, a = NET.buyer.client("POST", "/buyer/v1/select", {"context": {}, "message": {}})
    eq((s, a["error"]["path"]), (400, "context.transaction_id"), "no transaction")
    s, a = NET.buyer.client("POST", "/buyer/v1/search", {"context": {"domain": DOMAIN, "city": CITY},
                                                         "message": 5})
    eq((s, a["error"]["path"]), (400, "message"), "message not an object")
    eq(NET.buyer.client("GET", "/buyer/v1/on_search?messageId=unknown")[0], 404, "unknown message")


def test_seller_down_retried_then_dead():
    a, st = search_all()
    tid = a["transaction_id"]
    down = NET.sellers[1]
    down.stop()
    try:
        s, r = NET.buyer.client("POST", "/buyer/v1/select",
                                {"context": {"transaction_id": tid, "bpp_id": down.sub},
                                 "message": msg("select")})
        eq(s, 200, "select accepted")
        end = time.time() + 20
        while time.time() < end:
            st = wait_answers("select", r["message_id"], 1, 0)
            if st["sent"][0]["state"] == "dead":
                break
            time.sleep(0.5)
        one = st["sent"][0]
        eq(one["state"], "dead", "given up after the TTL: %r" % one)
        check(one["attempts"] >= 2, "retried: %r" % one)
        eq(st["answers"], [], "no answer")
    finally:
        down.start()


def main():
    global NET
    NET = Network(sellers=2)
    # a short TTL, so that a seller that is down is given up on quickly
    NET.buyer.cfg["buyer"]["ttl_s"] = 4
    NET.buyer.write()
    NET.start()
    try:
        return Runner().run(globals())
    finally:
        NET.close()


if __name__ == "__main__":
    sys.exit(main())
