"""After the order, end to end: status, track, cancel, update (part cancel,
returns), rating, support, and the seller's order desk driving the order
from confirm to delivered, each change reaching the buyer app.

Bad inputs tried here: a status for an order that does not exist (30018),
a track before tracking is set (40005), a buyer cancel with a seller's
reason code (30012), a buyer cancel after pick-up (50001), an illegal desk
transition (packed after delivered, delivered before pick-up), an agent
without a phone, a return of an order not yet delivered (50002), a return
reason that does not exist (30005), a return of more units than ordered,
a rating category nobody knows (50003), a rating of 7 (30015), an update
that is neither a return nor refund details (50002).
"""
import json
import sys
import uuid

from harness import Fleet, Runner, check, eq, load_fixture, now_ts

F = None


def money(v):
    r, _, p = str(v).partition(".")
    sign = -1 if r.startswith("-") else 1
    return sign * (abs(int(r)) * 100 + int((p + "00")[:2]))


def call(req, action, message=None):
    r = json.loads(json.dumps(req))
    r["context"]["action"] = action
    r["context"]["message_id"] = str(uuid.uuid4())
    r["context"]["timestamp"] = now_ts()
    seen_ids.add(r["context"]["message_id"])
    if message is not None:
        r["message"] = message
    s, a, _ = F.post("/protocol/v1/" + action, r)
    eq(s, 200, "%s ACKed: %r" % (action, a))
    calls = F.bap.wait_for(F.bap.by_message(r["context"]["message_id"], "on_" + action))
    check(calls, "on_%s arrived" % action)
    ok, why = F.verify_callback(calls[0])
    check(ok, "signed: " + why)
    return json.loads(calls[0]["raw"])


def confirmed(items, accept=True):
    req = F.make(load_fixture("seed-init-request.json"))
    o = req["message"]["order"]
    o["items"] = [{"id": i, "quantity": {"count": n}, "fulfillment_id": "1"} for i, n in items]
    ini = call(req, "init")
    check("error" not in ini, "init: %r" % ini.get("error"))
    o["quote"] = ini["message"]["order"]["quote"]
    o["payment"] = dict(ini["message"]["order"]["payment"], status="PAID")
    o["id"] = "A" + req["context"]["transaction_id"].replace("-", "")[:20]
    o["created_at"] = o["updated_at"] = now_ts()
    c = call(req, "confirm")
    check("error" not in c, "confirm: %r" % c.get("error"))
    oid = c["message"]["order"]["id"]
    if accept:
        eq(F.admin("POST", "/seller/v1/orders/%s/accept" % oid)[0], 200, "accepted")
        pushed(req, 1)
    return req, oid


def pushed(req, n, action=None):
    """The Nth unsolicited message on REQ's transaction (1-based)."""
    tid = req["context"]["transaction_id"]

    def pred(c):
        b = json.loads(c["raw"])
        return b["context"]["transaction_id"] == tid and (
            b["context"]["message_id"] not in seen_ids) and b["context"]["action"] in (
            "on_status", "on_cancel", "on_update")
    calls = F.bap.wait_for(pred, count=n)
    check(len(calls) >= n, "unsolicited message %d arrived" % n)
    b = json.loads(calls[n - 1]["raw"])
    ok, why = F.verify_callback(calls[n - 1])
    check(ok, "signed: " + why)
    if action:
        eq(b["context"]["action"], action, "action")
    return b


seen_ids = set()


def desk(oid, verb, body=None, want=200):
    s, a = F.admin("POST", "/seller/v1/orders/%s/%s" % (oid, verb), body)
    eq(s, want, "desk %s: %r" % (verb, a))
    return a


def stock(iid):
    return F.admin("PATCH", "/seller/v1/items/" + iid, {})[1]["stock"]


def test_confirm_to_delivered_with_every_on_status():
    req, oid = confirmed([("42602097", 1)])
    st = call(req, "status", {"order_id": oid})
    eq(st["message"]["order"]["state"], "Accepted", "status: Accepted")
    eq(call(req, "track", {"order_id": oid})["error"]["code"], "40005", "not tracked yet")
    desk(oid, "tracking", {"url": "https://track.example/o/1", "gps": "12.974002,77.613458"})
    steps = [("packed", "Packed", "In-progress"),
             ("agent-assigned", "Agent-assigned", "In-progress"),
             ("picked-up", "Order-picked-up", "In-progress"),
             ("out-for-delivery", "Out-for-delivery", "In-progress"),
             ("delivered", "Order-delivered", "Completed")]
    desk(oid, "agent-assigned", {"name": "Ravi"}, want=400)
    desk(oid, "delivered", want=409)
    n = 2
    for verb, fstate, ostate in steps:
        body = {"name": "Ravi Kumar", "phone": "9886012345"} if verb == "agent-assigned" else None
        desk(oid, verb, body)
        b = pushed(req, n, "on_status")
        n += 1
        o = b["message"]["order"]
        f = o["fulfillments"][0]
        eq(f["state"]["descriptor"]["code"], fstate, "fulfillment " + fstate)
        eq(o["state"], ostate, "order " + ostate)
        eq(o["updated_at"], b["context"]["timestamp"], "updated_at is the push's timestamp")
        if verb == "agent-assigned":
            eq(f["agent"], {"name": "Ravi Kumar", "phone": "9886012345"}, "agent")
            t = call(req, "track", {"order_id": oid})["message"]["tracking"]
            eq((t["url"], t["status"]), ("https://track.example/o/1", "active"), "tracked")
            eq(t["location"]["gps"], "12.974002,77.613458", "gps")
        if verb == "picked-up":
            check(f["start"]["time"]["timestamp"], "pick-up time")
        if verb == "delivered":
            check(f["end"]["time"]["timestamp"], "delivery time")
            eq(o["payment"]["status"], "PAID", "paid")
    desk(oid, "packed", want=409)
    eq(call(req, "status", {"order_id": oid})["message"]["order"]["state"], "Completed", "status: Completed")
    eq(call(req, "status", {"order_id": "no-such-order"})["error"]["code"], "30018", "unknown order")


def test_buyer_cancel_before_and_after_it_is_allowed():
    before = stock("42602101")
    req, oid = confirmed([("42602101", 2)])
    eq(call(req, "cancel", {"order_id": oid, "cancellation_reason_id": "005"})["error"]["code"], "30012",
       "005 is the seller's code")
    b = call(req, "cancel", {"order_id": oid, "cancellation_reason_id": "003"})
    o = b["message"]["order"]
    eq(o["state"], "Cancelled", "cancelled")
    eq(o["cancellation"], {"cancelled_by": "carecommerce.in", "reason": {"id": "003"}}, "by the buyer app")
    f = o["fulfillments"][0]
    eq(f["state"]["descriptor"]["code"], "Cancelled", "fulfillment Cancelled")
    eq([t["code"] for t in f["tags"]][-2:], ["cancel_request", "precancel_state"], "cancel tags")
    eq(o["quote"]["price"]["value"], "0.00", "nothing to pay")
    eq(stock("42602101"), before, "stock released")
    req, oid = confirmed([("42602101", 1)])
    desk(oid, "packed")
    desk(oid, "picked-up")
    eq(call(req, "cancel", {"order_id": oid, "cancellation_reason_id": "003"})["error"]["code"], "50001",
       "after pick-up: not possible")


def test_stock_and_amounts_are_bounded():
    # tried: a stock of 2^63 - 1, of 10^9 + 1, negative, "+5", "1e3"; a
    # price as a JSON number; then an order cancelled on a stock at the
    # bound: the stock stays at the bound, never wraps
    for bad in (9223372036854775807, 1000000001, -1, "+5", "1e3", 2.5):
        s, a = F.admin("PATCH", "/seller/v1/items/42602101", {"stock": bad})
        eq(s, 400, "stock %r refused: %r" % (bad, a))
    for bad in (29.5, 30, {"value": 30}):
        s, a = F.admin("PATCH", "/seller/v1/items/42602101", {"price": bad})
        eq(s, 400, "price %r refused: %r" % (bad, a))
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock": 1000000000})[0], 200, "the bound itself")
    req, oid = confirmed([("42602101", 2)])
    eq(stock("42602101"), 999999998, "two taken")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock": 1000000000})[0], 200, "topped up")
    b = call(req, "cancel", {"order_id": oid, "cancellation_reason_id": "003"})
    eq(b["message"]["order"]["state"], "Cancelled", "cancelled")
    eq(stock("42602101"), 1000000000, "released into a full shelf: held at the bound")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock": 100})[0], 200, "back to normal")
    # a delta adds to what orders left, instead of overwriting it
    req, oid = confirmed([("42602101", 3)])
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock_delta": 10})[1]["stock"], 107, "97 + 10")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock_delta": -107})[1]["stock"], 0, "all taken")
    for bad in ({"stock_delta": -1}, {"stock_delta": "5"}, {"stock_delta": 1000000001},
                {"stock": 5, "stock_delta": 1}):
        s, a = F.admin("PATCH", "/seller/v1/items/42602101", bad)
        eq(s, 400, "%r refused: %r" % (bad, a))
    eq(stock("42602101"), 0, "nothing written by a refused PATCH")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock": 100})[0], 200, "restocked")


def test_seller_cancel_and_part_cancel():
    req, oid = confirmed([("42602097", 2), ("42602101", 3)])
    before = stock("42602101")
    desk(oid, "part-cancel", {"item_id": "42602101", "count": 2, "reason": "005"}, want=400)
    a = desk(oid, "part-cancel", {"item_id": "42602101", "count": 2, "reason": "002"})
    b = pushed(req, 2, "on_update")
    o = b["message"]["order"]
    eq(o["quote"]["price"]["value"], "273.00", "327 - 2 x 27")
    eq(sum(money(r["price"]["value"]) for r in o["quote"]["breakup"]), money(o["quote"]["price"]["value"]), "sums")
    c = [f for f in o["fulfillments"] if f.get("type") == "Cancel"][0]
    trail = [t for t in c["tags"] if t["code"] == "quote_trail"]
    eq([{l["code"]: l["value"] for l in t["list"]} for t in trail],
       [{"type": "item", "id": "42602101", "currency": "INR", "value": "-54.00"}], "quote trail")
    counts = sorted((i["id"], i["fulfillment_id"], i["quantity"]["count"]) for i in o["items"])
    eq(counts, sorted([("42602097", "1", 2), ("42602101", "1", 1), ("42602101", c["id"], 2)]), "items re-split")
    eq(stock("42602101"), before + 2, "two back in stock")
    eq(o["state"], "Accepted", "the order goes on")
    desk(oid, "cancel", {"reason": "018"})
    b = pushed(req, 3, "on_cancel")
    eq(b["message"]["order"]["cancellation"]["reason"], {"id": "018"}, "seller's reason")
    eq(b["message"]["order"]["cancellation"]["cancelled_by"], F.subscriber, "by the seller app")


def test_return_through_update():
    req, oid = confirmed([("42602105", 2)])
    ret = {"update_target": "item", "order": {"id": oid, "fulfillments": [{"type": "Return", "tags": [
        {"code": "return_request", "list": [
            {"code": "id", "value": "R1"}, {"code": "item_id", "value": "42602105"},
            {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
            {"code": "reason_desc", "value": "damaged"}, {"code": "ttl_approval", "value": "PT24H"},
            {"code": "ttl_reverseqc", "value": "P3D"}]}]}]}}
    eq(call(req, "update", ret)["error"]["code"], "50002", "not delivered yet")
    for v in ("packed", "picked-up", "out-for-delivery", "delivered"):
        desk(oid, v)
    bad = json.loads(json.dumps(ret))
    bad["order"]["fulfillments"][0]["tags"][0]["list"][3]["value"] = "999"
    eq(call(req, "update", bad)["error"]["code"], "30005", "unknown return reason")
    bad = json.loads(json.dumps(ret))
    bad["order"]["fulfillments"][0]["tags"][0]["list"][2]["value"] = "5"
    eq(call(req, "update", bad)["error"]["code"], "30005", "more than ordered")
    eq(call(req, "update", {"update_target": "billing", "order": {"id": oid}})["error"]["code"], "50002",
       "not an update we take")
    b = call(req, "update", ret)
    r = [f for f in b["message"]["order"]["fulfillments"] if f.get("type") == "Return"][0]
    eq(r["state"]["descriptor"]["code"], "Return_Initiated", "return initiated")
    tags = {l["code"]: l["value"] for l in r["tags"][0]["list"]}
    eq(tags["initiated_by"], "carecommerce.in", "initiated_by")
    before = stock("42602105")
    desk(oid, "return/R1/delivered", want=409)
    desk(oid, "return/R1/approve")
    b = desk(oid, "return/R1/picked")
    o = b["order"]
    eq(o["quote"]["price"]["value"], money_str(2 * 5800 + 2300 + 2500 - 5800), "one butter refunded")
    r = [f for f in o["fulfillments"] if f.get("type") == "Return"][0]
    eq(r["state"]["descriptor"]["code"], "Return_Picked", "picked")
    check(any(t["code"] == "quote_trail" for t in r["tags"]), "quote trail on the return")
    desk(oid, "return/R1/delivered")
    eq(stock("42602105"), before + 1, "the returned unit is back in stock")
    last = pushed(req, 8, "on_update")
    eq([f for f in last["message"]["order"]["fulfillments"] if f.get("type") == "Return"][0]["state"]
       ["descriptor"]["code"], "Return_Delivered", "the buyer app hears of it")


def money_str(p):
    return "%d.%02d" % (p // 100, p % 100)


def test_rating_and_support():
    req, oid = confirmed([("42602097", 1)])
    b = call(req, "rating", {"rating_category": "Provider", "id": "111863", "value": 5})
    eq(b["message"], {"feedback_ack": False, "rating_ack": True}, "rating acked")
    eq(call(req, "rating", {"rating_category": "Weather", "id": "x", "value": 3})["error"]["code"], "50003",
       "unknown category")
    eq(call(req, "rating", {"rating_category": "Item", "id": "42602097", "value": 7})["error"]["code"], "30015",
       "out of range")
    s, a = F.admin("GET", "/seller/v1/orders/" + oid)
    eq(a["ratings"], {"Provider": {"111863": 5}}, "stored per category and id")
    b = call(req, "support", {"ref_id": oid})
    eq(b["message"], {"phone": "9886098860", "email": "care@amulparlour.example",
                      "uri": "https://amulparlour.example/support"}, "the seller's contacts")
    lone = F.make(load_fixture("seed-init-request.json"))
    eq(call(lone, "support", {"ref_id": "nothing"})["error"]["code"], "30018", "no such order")


if __name__ == "__main__":
    F = Fleet().start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
