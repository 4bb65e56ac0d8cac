"""The order family end to end: select -> init -> confirm, seller acceptance,
rejection and the automatic rejection after the acceptance window.

Bad inputs tried here: an item out of stock (40002, the on_select still
quoting what can be had), over the maximum per order (40009), an unknown
item (30004), a drop-off no store serves (30009, Non-serviceable, no
delivery row), cash on delivery for an item that does not allow it
(40004), a confirm whose quote differs from on_init's (40008), an order id
reused by another transaction, a retried confirm (no second order), two
confirms racing for the last unit (one order, one 40002), accepting an
order twice, a seller reason code that is not the seller's.
"""
import json
import sys
import threading
import time

from harness import Fleet, Runner, check, eq, load_fixture, now_ts

F = None
FAR = "13.098300,77.393700"  # 30 km out of Bengaluru


def money(v):
    r, _, p = str(v).partition(".")
    sign = -1 if r.startswith("-") else 1
    return sign * (abs(int(r)) * 100 + int((p + "00")[:2]))


def cart(items, provider="111863", gps=None, pay="ON-ORDER"):
    req = F.make(load_fixture("seed-init-request.json"))
    o = req["message"]["order"]
    o["provider"] = {"id": provider, "locations": [{"id": "148273" if provider == "111863" else "L-KORA-1"}]}
    o["items"] = [{"id": i, "quantity": {"count": n}, "fulfillment_id": "1"} for i, n in items]
    if gps:
        o["fulfillments"][0]["end"]["location"]["gps"] = gps
    o["payment"]["type"] = pay
    o["payment"]["collected_by"] = "BPP" if pay == "ON-FULFILLMENT" else "BAP"
    return req


def call(req, action):
    req["context"]["action"] = action
    req["context"]["message_id"] = str(__import__("uuid").uuid4())
    req["context"]["timestamp"] = now_ts()
    s, a, _ = F.post("/protocol/v1/" + action, req)
    eq(s, 200, "%s ACKed: %r" % (action, a))
    calls = F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_" + action))
    check(calls, "on_%s arrived" % action)
    ok, why = F.verify_callback(calls[0])
    check(ok, "signed: " + why)
    return json.loads(calls[0]["raw"])


def sums(quote):
    eq(sum(money(r["price"]["value"]) for r in quote["breakup"]), money(quote["price"]["value"]),
       "breakup sums exactly to quote.price")


def unsolicited(tid, action, after=0, timeout=10):
    def pred(c):
        b = json.loads(c["raw"])
        return (b["context"]["transaction_id"] == tid and b["context"]["action"] == action)
    calls = F.bap.wait_for(pred, timeout=timeout, count=after + 1)
    check(len(calls) > after, "%s reached the buyer app" % action)
    ok, why = F.verify_callback(calls[after])
    check(ok, "signed: " + why)
    return json.loads(calls[after]["raw"])


def order_flow(items, provider="111863", pay="ON-ORDER"):
    req = cart(items, provider, pay=pay)
    sel = call(req, "select")
    check("error" not in sel, "select ok: %r" % sel.get("error"))
    ini = call(req, "init")
    check("error" not in ini, "init ok: %r" % ini.get("error"))
    req["message"]["order"]["quote"] = ini["message"]["order"]["quote"]
    req["message"]["order"]["payment"] = ini["message"]["order"]["payment"]
    req["message"]["order"]["payment"]["status"] = "PAID"
    req["message"]["order"]["id"] = "O" + req["context"]["transaction_id"].replace("-", "")[:20]
    req["message"]["order"]["state"] = "Created"
    ts = now_ts()
    req["message"]["order"]["created_at"] = ts
    req["message"]["order"]["updated_at"] = ts
    return req, call(req, "confirm")


def test_select_quotes_serviceable_fulfillment():
    body = call(cart([("42602097", 2), ("42602101", 3)]), "select")
    check("error" not in body, "no error")
    o = body["message"]["order"]
    q = o["quote"]
    eq([r["@ondc/org/title_type"] for r in q["breakup"]], ["item", "item", "delivery", "packing"], "rows")
    eq(q["price"]["value"], "327.00", "2 x 99 + 3 x 27 + 23 + 25")
    sums(q)
    eq(q["ttl"], "P1D", "quote.ttl")
    row = q["breakup"][0]
    eq(row["@ondc/org/item_quantity"], {"count": "2"}, "quantity")
    eq(row["item"]["price"]["value"], "99.00", "unit price")
    eq(row["item"]["quantity"]["maximum"], {"count": "100"}, "maximum")
    f = o["fulfillments"][0]
    eq(f["state"]["descriptor"]["code"], "Serviceable", "serviceable")
    eq(f["@ondc/org/TAT"], "PT75M", "TAT: 45 min to ship + 30 min to deliver")
    eq(f["@ondc/org/category"], "Immediate Delivery", "category")
    eq(f["@ondc/org/provider_name"], "Amul Parlour Indiranagar", "provider name")
    eq(o["items"], [{"id": "42602097", "fulfillment_id": "1"}, {"id": "42602101", "fulfillment_id": "1"}],
       "items without quantity")


def test_select_errors():
    b = call(cart([("FM-BANANA-1DZ", 1), ("FM-RICE-5KG", 1)], provider="P2-KORA"), "select")
    eq((b["error"]["type"], b["error"]["code"]), ("DOMAIN-ERROR", "40002"), "out of stock")
    eq(json.loads(b["error"]["message"]), [{"item_id": "FM-BANANA-1DZ", "error": "40002"}], "listed")
    q = b["message"]["order"]["quote"]
    eq(q["breakup"][0]["@ondc/org/item_quantity"], {"count": "0"}, "none quoted")
    eq(q["breakup"][0]["price"]["value"], "0.00", "at 0")
    eq(q["breakup"][0]["item"]["quantity"], {"available": {"count": "0"}, "maximum": {"count": "0"}}, "0 and 0")
    sums(q)
    b = call(cart([("42602101", 11)]), "select")
    eq(b["error"]["code"], "40009", "over the maximum")
    eq(b["message"]["order"]["quote"]["breakup"][0]["@ondc/org/item_quantity"], {"count": "10"}, "the maximum quoted")
    b = call(cart([("NOPE", 1)]), "select")
    eq(b["error"]["code"], "30004", "unknown item")
    b = call(cart([("42602097", 1)], gps=FAR), "select")
    eq(b["error"]["code"], "30009", "not serviceable")
    f = b["message"]["order"]["fulfillments"][0]
    eq(f["state"]["descriptor"]["code"], "Non-serviceable", "Non-serviceable")
    eq((f["@ondc/org/TAT"], f["@ondc/org/category"]), ("", ""), "no TAT")
    types = [r["@ondc/org/title_type"] for r in b["message"]["order"]["quote"]["breakup"]]
    check("delivery" not in types, "no delivery row: %r" % types)
    sums(b["message"]["order"]["quote"])


def test_init_payment_types():
    b = call(cart([("42602105", 1)], pay="ON-FULFILLMENT"), "init")
    eq(b["error"]["code"], "40004", "butter is not for cash on delivery")
    b = call(cart([("42602097", 1)], pay="ON-FULFILLMENT"), "init")
    check("error" not in b, "buttermilk is")
    p = b["message"]["order"]["payment"]
    eq((p["type"], p["collected_by"]), ("ON-FULFILLMENT", "BPP"), "COD collected by the seller app")
    b = call(cart([("FM-RICE-5KG", 1)], provider="P2-KORA", pay="ON-FULFILLMENT"), "init")
    eq(b["error"]["code"], "40004", "Fresh Mart takes prepaid only")


def test_select_init_confirm_then_accept():
    req, body = order_flow([("42602101", 2)])
    check("error" not in body, "confirmed: %r" % body.get("error"))
    o = body["message"]["order"]
    eq(o["id"], req["message"]["order"]["id"], "the buyer app's order id")
    eq(o["state"], "Created", "Created")
    eq(o["created_at"], req["message"]["order"]["created_at"], "created_at from the confirm")
    eq(o["updated_at"], body["context"]["timestamp"], "updated_at = on_confirm timestamp")
    f = o["fulfillments"][0]
    eq(f["state"]["descriptor"]["code"], "Pending", "fulfillment Pending")
    eq(f["start"]["location"]["id"], "148273", "start location")
    eq(f["start"]["location"]["descriptor"]["name"], "Amul Parlour Indiranagar", "store name")
    eq(o["quote"], req["message"]["order"]["quote"], "the on_init quote")
    sums(o["quote"])
    s, a = F.admin("GET", "/seller/v1/orders?state=Created")
    check(o["id"] in [x["id"] for x in a["orders"]], "listed as Created")
    s, a = F.admin("POST", "/seller/v1/orders/%s/accept" % o["id"])
    eq(s, 200, "accepted: %r" % (a,))
    st = unsolicited(req["context"]["transaction_id"], "on_status")
    eq(st["message"]["order"]["state"], "Accepted", "on_status says Accepted")
    check(st["context"]["message_id"] != req["context"]["message_id"], "a new message_id")
    eq(st["message"]["order"]["fulfillments"][0]["state"]["descriptor"]["code"], "Pending", "still Pending")
    s, a = F.admin("POST", "/seller/v1/orders/%s/accept" % o["id"])
    eq(s, 409, "accepting twice is refused")


def test_reject_releases_stock_and_tells_the_buyer():
    # the earlier tests' orders left unaccepted are rejected by the 3 s
    # window (releasing their stock): wait for that, so the stock counted
    # here moves by this test's order alone
    end = time.time() + 20
    while time.time() < end and any(o.get("state") == "Created"
                                    for o in F.admin("GET", "/seller/v1/orders")[1]["orders"]):
        time.sleep(0.2)
    before = F.admin("PATCH", "/seller/v1/items/42602097", {})[1]["stock"]
    req, body = order_flow([("42602097", 3)])
    oid = body["message"]["order"]["id"]
    eq(F.admin("PATCH", "/seller/v1/items/42602097", {})[1]["stock"], before - 3, "3 reserved")
    eq(F.admin("POST", "/seller/v1/orders/%s/reject" % oid, {"reason": "001"})[0], 400, "001 is the buyer's")
    s, a = F.admin("POST", "/seller/v1/orders/%s/reject" % oid, {"reason": "005"})
    eq(s, 200, "rejected: %r" % (a,))
    c = unsolicited(req["context"]["transaction_id"], "on_cancel")
    o = c["message"]["order"]
    eq(o["state"], "Cancelled", "Cancelled")
    eq(o["cancellation"], {"cancelled_by": F.subscriber, "reason": {"id": "005"}}, "cancellation")
    kinds = [f.get("type") for f in o["fulfillments"]]
    check("Cancel" in kinds, "a Cancel fulfillment: %r" % kinds)
    trail = [t for f in o["fulfillments"] if f.get("type") == "Cancel" for t in f["tags"]]
    check(all(t["code"] == "quote_trail" for t in trail) and trail, "quote trail")
    eq(sum(money([l["value"] for l in t["list"] if l["code"] == "value"][0]) for t in trail), -(3 * 9900 + 2300 + 2500),
       "the trail refunds every row")
    eq(F.admin("PATCH", "/seller/v1/items/42602097", {})[1]["stock"], before, "stock released")


def test_confirm_retry_quote_mismatch_and_duplicate_id():
    req, body = order_flow([("42602097", 1)])
    oid = body["message"]["order"]["id"]
    again = call(req, "confirm")
    eq(again["message"]["order"]["id"], oid, "the retry gets the same order")
    eq(len([x for x in F.admin("GET", "/seller/v1/orders")[1]["orders"] if x["id"] == oid]), 1, "one order")
    # a quote that is not on_init's
    req2 = cart([("42602097", 1)])
    ini = call(req2, "init")
    req2["message"]["order"]["quote"] = json.loads(json.dumps(ini["message"]["order"]["quote"]))
    req2["message"]["order"]["quote"]["price"]["value"] = "100.00"
    req2["message"]["order"]["id"] = "X" + req2["context"]["transaction_id"][:8]
    b = call(req2, "confirm")
    eq(b["error"]["code"], "40008", "quote mismatch")
    # another transaction reusing an order id
    req3 = cart([("42602097", 1)])
    ini = call(req3, "init")
    req3["message"]["order"]["quote"] = ini["message"]["order"]["quote"]
    req3["message"]["order"]["id"] = oid
    b = call(req3, "confirm")
    eq((b["error"]["code"], b["error"]["path"]), ("30000", "message.order.id"), "order id already used")


def test_two_confirms_race_for_the_last_unit():
    eq(F.admin("PATCH", "/seller/v1/items/42602110", {"stock": 1})[0], 200, "one paneer left")
    reqs = []
    for _ in range(2):
        r = cart([("42602110", 1)])
        ini = call(r, "init")
        r["message"]["order"]["quote"] = ini["message"]["order"]["quote"]
        r["message"]["order"]["id"] = "R" + r["context"]["transaction_id"].replace("-", "")[:16]
        r["context"]["action"] = "confirm"
        r["context"]["message_id"] = str(__import__("uuid").uuid4())
        r["context"]["timestamp"] = now_ts()
        reqs.append(r)
    res = [None, None]

    def go(i):
        res[i] = F.post("/protocol/v1/confirm", reqs[i])[0]
    ts = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    eq(res, [200, 200], "both ACKed")
    bodies = []
    for r in reqs:
        c = F.bap.wait_for(F.bap.by_message(r["context"]["message_id"], "on_confirm"))
        bodies.append(json.loads(c[0]["raw"]))
    codes = sorted(b.get("error", {}).get("code", "ok") for b in bodies)
    eq(codes, ["40002", "ok"], "one order, one 40002")
    eq(F.admin("PATCH", "/seller/v1/items/42602110", {})[1]["stock"], 0, "no unit sold twice")


def test_unaccepted_order_is_rejected_after_the_window():
    F.admin("PATCH", "/seller/v1/items/42602101", {"stock": 50})
    req, body = order_flow([("42602101", 2)])
    check("error" not in body, "confirmed")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {})[1]["stock"], 48, "reserved")
    c = unsolicited(req["context"]["transaction_id"], "on_cancel", timeout=F.cfg["seller"]["accept_window_s"] + 8)
    eq(c["message"]["order"]["state"], "Cancelled", "rejected by the window")
    eq(c["message"]["order"]["cancellation"]["reason"], {"id": "005"}, "seller's reason")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {})[1]["stock"], 50, "stock released")
    s, a = F.admin("GET", "/seller/v1/orders/" + body["message"]["order"]["id"])
    eq(a["order"]["state"], "Cancelled", "the desk shows it Cancelled")


if __name__ == "__main__":
    F = Fleet(extra={"seller": {"accept_window_s": 3}}).start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
