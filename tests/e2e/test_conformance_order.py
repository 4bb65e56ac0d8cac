"""ONDC retail 1.2.0 rules of the order flows, asserted directly, so that CI
holds them without ONDC's log validation utility (make conformance runs
that one): the quote's shapes, the payment and settlement terms, the
bpp_terms, the delivery fulfillment's TAT, windows, timestamps and tags
from on_confirm to delivery, the invoice from pick-up, the buyer's cancel
(no order tags on on_cancel), the return to origin as an RTO fulfillment
(after part cancels too), and refund settlement entries added to the
seller's.

Each flow is played on RET10 1.2.0 as a buyer app would, the seller's side
driven through the order desk. Bad inputs tried here: a finder fee type
the spec does not know (the seller's default is used, as the spec spells
it), a return to origin asked for before pick-up (409, nothing sent).
"""
import json
import re
import sys
import time
import uuid

from harness import Fleet, Runner, check, eq, now_ts

F = None
CART = [("42602097", 1), ("42602101", 2)]
DROP = {"gps": "12.974002,77.613458",
        "address": {"name": "Flat 12", "building": "Sunrise Apartments", "locality": "MG Road",
                    "city": "Bengaluru", "state": "Karnataka", "country": "IND", "area_code": "560001"}}
FEE = {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"}
BASES = {"shipment", "delivery", "return_window_expiry"}
GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
PAN = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")


class Txn:
    """One RET10 1.2.0 transaction of the fake buyer app."""

    def __init__(self, fee=None, version="1.2.0"):
        self.version = version
        self.tid = str(uuid.uuid4())
        self.sent = set()
        self.fee = dict(FEE if fee is None else fee)
        self.oid = None

    def ctx(self, action):
        return {"domain": "ONDC:RET10", "action": action, "country": "IND", "city": "std:080",
                "core_version": self.version, "transaction_id": self.tid,
                "message_id": str(uuid.uuid4()), "timestamp": now_ts(), "ttl": "PT30S"}

    def call(self, action, message, prep=None):
        body = F.make({"context": self.ctx(action), "message": message}, fresh=False)
        if prep:  # PREP(body) stamps what needs the context's own time
            prep(body)
        self.sent.add(body["context"]["message_id"])
        s, a, _ = F.post("/protocol/v1/" + action, body)
        eq(s, 200, "%s ACKed: %r" % (action, a))
        got = F.bap.wait_for(F.bap.by_message(body["context"]["message_id"], "on_" + action))
        check(got, "on_%s arrived" % action)
        ans = json.loads(got[0]["raw"])
        check("error" not in ans, "on_%s: %r" % (action, ans.get("error")))
        return body, ans

    def pushed(self, n, action):
        """The Nth unsolicited message of this transaction (1-based)."""
        def pred(c):
            b = json.loads(c["raw"])["context"]
            return b["transaction_id"] == self.tid and b["message_id"] not in self.sent
        got = F.bap.wait_for(pred, count=n)
        check(len(got) >= n, "unsolicited message %d arrived" % n)
        b = json.loads(got[n - 1]["raw"])
        eq(b["context"]["action"], action, "action")
        return b

    def order(self, cart):
        """The order as init sends it (ONDC's retail schema: billing with its
        times, the drop-off's full address and contact)."""
        t0 = getattr(self, "t0", None) or now_ts()
        self.t0 = t0
        return {"provider": {"id": "111863", "locations": [{"id": "148273"}]},
                "items": [{"id": i, "fulfillment_id": "1", "quantity": {"count": n}} for i, n in cart],
                "billing": {"name": "Asha Rao", "phone": "9886012345", "email": "asha@example.com",
                            "address": dict(DROP["address"]), "created_at": t0, "updated_at": t0},
                "fulfillments": [{"id": "1", "type": "Delivery", "end": {
                    "location": json.loads(json.dumps(DROP)),
                    "contact": {"phone": "9886012345", "email": "asha@example.com"}}}],
                "payment": dict(self.fee, type="ON-ORDER", collected_by="BAP")}

    def to_confirm(self, cart=CART):
        o = self.order(cart)
        _, self.on_select = self.call("select", {"order": {
            "provider": o["provider"],
            "items": [{"id": i, "location_id": "148273", "quantity": {"count": n}} for i, n in cart],
            "fulfillments": [{"end": {"location": {"gps": DROP["gps"], "address": {"area_code": "560001"}}}}],
            "payment": dict(self.fee, type="ON-ORDER")}})
        _, self.on_init = self.call("init", {"order": o})
        oi = self.on_init["message"]["order"]
        o = self.order(cart)
        self.oid = "C-" + self.tid.replace("-", "")[:16]
        # confirm as ONDC's schema has it: the on_init's quote, payment paid
        # (with its params), the person to deliver to, the tracking flag,
        # the seller's terms, the order's times
        o.update({"id": self.oid, "state": "Created", "quote": oi["quote"],
                  "payment": dict(dict(collected_by="BAP"), **oi["payment"], status="PAID", params={
                      "currency": "INR", "amount": oi["quote"]["price"]["value"],
                      "transaction_id": "PAY-" + self.tid[:8]}),
                  "tags": [t for t in oi["tags"] if t["code"] == "bpp_terms"]})
        f = o["fulfillments"][0]
        f["end"]["person"] = {"name": "Asha Rao"}
        f["tracking"] = False

        def stamp(body):  # the order is created at the confirm's time
            bo = body["message"]["order"]
            bo["created_at"] = bo["updated_at"] = body["context"]["timestamp"]
        self.confirm, self.on_confirm = self.call("confirm", {"order": o}, stamp)
        return self.on_confirm

    def desk(self, verb, body=None, want=200):
        s, a = F.admin("POST", "/seller/v1/orders/%s/%s" % (self.oid, verb), body)
        eq(s, want, "desk %s: %r" % (verb, a))
        return a


def delivery(msg):
    fs = [f for f in msg["message"]["order"]["fulfillments"] if f.get("type") == "Delivery"]
    eq(len(fs), 1, "one Delivery fulfillment")
    return fs[0]


def tags_of(f):
    return {t["code"]: {l["code"]: l.get("value") for l in t.get("list", [])} for t in f.get("tags", [])}


def rows(quote):
    return [(r["@ondc/org/title_type"], r["@ondc/org/item_id"], r["title"], r["price"]["value"])
            for r in quote["breakup"]]


def test_quote_shapes_and_payment_terms():
    t = Txn()
    t.to_confirm()
    sel = t.on_select["message"]["order"]
    for r in sel["quote"]["breakup"]:
        if r["@ondc/org/title_type"] == "item":
            check(isinstance(r["@ondc/org/item_quantity"]["count"], int), "item_quantity.count an integer: %r" % r)
            q = r["item"]["quantity"]
            check(q["available"]["count"] in ("99", "0") and q["maximum"]["count"] in ("99", "0"),
                  "available/maximum 99 or 0 on on_select: %r" % q)
    tat = sel["fulfillments"][0]["@ondc/org/TAT"]
    check(tat.startswith("PT"), "a TAT on on_select: %r" % tat)
    ini = t.on_init["message"]["order"]
    for o, name in ((ini, "on_init"), (t.on_confirm["message"]["order"], "on_confirm")):
        for r in o["quote"]["breakup"]:
            check("quantity" not in r.get("item", {}), "no item.quantity on %s: %r" % (name, r))
            if r["@ondc/org/title_type"] == "item":
                check(isinstance(r["@ondc/org/item_quantity"]["count"], int), "integer on " + name)
    eq(rows(ini["quote"]), rows(sel["quote"]), "the same rows on on_init as on on_select")
    eq(rows(t.on_confirm["message"]["order"]["quote"]), rows(sel["quote"]), "and on on_confirm")
    check("provider_location" not in ini, "no provider_location on on_init")
    pay = ini["payment"]
    check(pay["@ondc/org/settlement_basis"] in BASES, "settlement basis: %r" % pay["@ondc/org/settlement_basis"])
    eq((pay["@ondc/org/buyer_app_finder_fee_type"], pay["@ondc/org/buyer_app_finder_fee_amount"]),
       ("percent", "3"), "the buyer app's declared finder fee")
    check(pay["@ondc/org/settlement_window"].startswith("P"), "settlement window a duration")
    eq([x["code"] for x in ini["tags"]], ["bpp_terms"], "on_init's tags are the seller's terms only")
    terms = tags_of(ini)["bpp_terms"]
    eq(terms["np_type"], "MSN", "np_type")
    check(GSTIN.match(terms["tax_number"]), "tax_number a GSTIN: %r" % terms["tax_number"])
    check(PAN.match(terms["provider_tax_number"]), "provider_tax_number a PAN")
    check(terms["tax_number"][2:12] != terms["provider_tax_number"],
          "a marketplace invoices under its own GSTIN, not the provider's")
    oc = t.on_confirm["message"]["order"]
    eq(tags_of(oc)["bpp_terms"], terms, "the same bpp_terms on on_confirm")
    eq(oc["payment"]["@ondc/org/settlement_basis"], pay["@ondc/org/settlement_basis"], "same basis")
    eq(oc["created_at"], t.confirm["context"]["timestamp"], "created_at is the confirm's time")
    # a finder fee type the spec does not know: the seller's default, as the spec spells it
    u = Txn(fee={"@ondc/org/buyer_app_finder_fee_type": "bogus", "@ondc/org/buyer_app_finder_fee_amount": "3"})
    u.to_confirm()
    p = u.on_init["message"]["order"]["payment"]
    eq((p["@ondc/org/buyer_app_finder_fee_type"], p["@ondc/org/buyer_app_finder_fee_amount"]),
       ("amount", "3"), "the store's \"fixed\" 3 as an amount")


def test_fulfillment_from_confirm_to_delivery():
    t = Txn()
    t.to_confirm()
    sel_f = t.on_select["message"]["order"]["fulfillments"][0]
    f0 = delivery(t.on_confirm)
    eq(f0["@ondc/org/TAT"], sel_f["@ondc/org/TAT"], "the TAT of on_select")
    eq(f0["tracking"], sel_f["tracking"], "the tracking flag of on_select")
    ps, pe = f0["start"]["time"]["range"]["start"], f0["start"]["time"]["range"]["end"]
    ds, de = f0["end"]["time"]["range"]["start"], f0["end"]["time"]["range"]["end"]
    check(ps < pe <= ds < de, "pick-up window, then the delivery window: %r" % [ps, pe, ds, de])
    tags = tags_of(f0)
    check(tags["routing"]["type"] in ("P2P", "P2H2P"), "routing: %r" % tags)
    check("tracking" in tags, "a tracking tag")
    check("documents" not in t.on_confirm["message"]["order"], "no invoice before pick-up")
    t.desk("accept")
    t.desk("tracking", {"url": "https://track.example/o/9"})
    steps = [("packed", "Packed"), ("picked-up", "Order-picked-up"),
             ("out-for-delivery", "Out-for-delivery"), ("delivered", "Order-delivered")]
    for n, (verb, state) in enumerate(steps, start=2):
        t.desk(verb)
        b = t.pushed(n, "on_status")
        f = delivery(b)
        eq(f["state"]["descriptor"]["code"], state, "state")
        eq(f["start"]["time"]["range"], f0["start"]["time"]["range"], "the pick-up window stays (%s)" % verb)
        eq(f["end"]["time"]["range"], f0["end"]["time"]["range"], "the delivery window stays (%s)" % verb)
        eq(f["tracking"], f0["tracking"], "tracking never flips (%s)" % verb)
        eq(tags_of(f), tags, "routing and tracking tags stay (%s)" % verb)
        eq(f["@ondc/org/TAT"], f0["@ondc/org/TAT"], "the TAT stays (%s)" % verb)
        o = b["message"]["order"]
        eq(rows(o["quote"]), rows(t.on_confirm["message"]["order"]["quote"]), "the quote stays")
        eq(tags_of(o)["bpp_terms"], tags_of(t.on_confirm["message"]["order"])["bpp_terms"], "bpp_terms")
        eq(o["created_at"], t.confirm["context"]["timestamp"], "created_at stays")
        if n >= 3:  # picked up and after
            check(f["start"]["time"].get("timestamp"), "pick-up timestamp beside the window")
            docs = o.get("documents")
            check(docs and docs[0]["url"].startswith("http") and docs[0]["label"] == "Invoice",
                  "the invoice from pick-up on: %r" % docs)
        else:
            check("documents" not in o, "no invoice before pick-up")
    check(f["end"]["time"].get("timestamp"), "delivery timestamp beside the window")


def test_buyer_cancel_has_no_order_tags():
    t = Txn()
    t.to_confirm()
    _, c = t.call("cancel", {"order_id": t.oid, "cancellation_reason_id": "010"})
    o = c["message"]["order"]
    eq(o["state"], "Cancelled", "Cancelled")
    check("tags" not in o, "no order.tags on on_cancel")
    f = delivery(c)
    eq(f["state"]["descriptor"]["code"], "Cancelled", "the delivery Cancelled")
    tags = tags_of(f)
    eq(sorted(tags), ["cancel_request", "precancel_state"], "the cancellation's tag groups only")
    eq(tags["cancel_request"]["reason_id"], "010", "reason")
    eq(tags["precancel_state"], {"fulfillment_state": "Pending",
                                 "updated_at": t.on_confirm["message"]["order"]["updated_at"]},
       "the state before, as on_confirm said it")
    eq(o["cancellation"]["reason"]["id"], "010", "cancellation reason")


def test_rto_is_its_own_fulfillment():
    t = Txn()
    t.to_confirm()
    t.desk("accept")
    t.desk("rto-initiated", want=409)  # not picked up yet
    for v in ("packed", "picked-up", "out-for-delivery"):
        t.desk(v)
    picked = t.pushed(3, "on_status")
    t.desk("rto-initiated", {"reason": "013"})
    c = t.pushed(5, "on_cancel")
    o = c["message"]["order"]
    eq(o["state"], "Cancelled", "the order Cancelled")
    eq(o["cancellation"], {"cancelled_by": F.subscriber, "reason": {"id": "013"}}, "cancellation")
    check("tags" not in o and "documents" not in o, "no order tags or documents on on_cancel")
    f = delivery(c)
    eq(f["state"]["descriptor"]["code"], "Cancelled", "the delivery Cancelled")
    rto = [x for x in o["fulfillments"] if x.get("type") == "RTO"]
    eq(len(rto), 1, "one RTO fulfillment")
    rto = rto[0]
    tags = tags_of(f)
    eq(sorted(tags), ["cancel_request", "precancel_state"],
       "the cancelled delivery keeps the cancellation's tag groups only (no routing, tracking)")
    eq(tags["cancel_request"]["rto_id"], rto["id"], "cancel_request names the RTO")
    eq(tags["precancel_state"]["fulfillment_state"], "Out-for-delivery", "precancel state")
    eq(rto["state"]["descriptor"]["code"], "RTO-Initiated", "RTO-Initiated")
    eq(rto["start"]["location"], f["end"]["location"], "from the drop-off")
    eq(rto["end"]["location"], f["start"]["location"], "back to the store")
    check(rto["start"]["time"]["timestamp"], "started at")
    eq(f["start"]["time"]["range"], delivery(picked)["start"]["time"]["range"], "the windows stay")
    counts = {(i["id"], i["fulfillment_id"]): i["quantity"]["count"] for i in o["items"]}
    for iid, n in CART:
        eq(counts[(iid, f["id"])], 0, "out of the delivery")
        eq(counts[(iid, rto["id"])], n, "on the RTO")
    eq(o["quote"]["price"]["value"], "0.00", "nothing to pay")
    check(any(x["code"] == "quote_trail" for x in rto["tags"]), "the trail on the RTO")
    t.desk("rto-delivered")
    d = t.pushed(6, "on_status")
    o = d["message"]["order"]
    r = [x for x in o["fulfillments"] if x.get("type") == "RTO"][0]
    eq(r["state"]["descriptor"]["code"], "RTO-Delivered", "RTO-Delivered")
    eq(tags_of(delivery(d)), tags, "the delivery's tags as on_cancel gave them")
    check(r["end"]["time"]["timestamp"], "back at the store at")
    check("tags" not in o and "documents" not in o, "a cancelled order carries no tags or documents")


def test_refund_settlement_joins_the_sellers():
    t = Txn()
    t.to_confirm([("42602101", 3)])
    seller = t.on_confirm["message"]["order"]["payment"]["@ondc/org/settlement_details"]
    t.desk("part-cancel", {"item_id": "42602101", "count": 1, "reason": "002"})
    pc = t.pushed(1, "on_update")
    cancel = [f for f in pc["message"]["order"]["fulfillments"] if f.get("type") == "Cancel"]
    eq(len(cancel), 1, "the part cancel's Cancel fulfillment")
    refund = {"settlement_counterparty": "buyer", "settlement_phase": "refund", "settlement_type": "upi",
              "settlement_amount": "27.00", "settlement_timestamp": now_ts()}
    # as ONDC's examples send it: the fulfillment the refund is for
    _, u = t.call("update", {"update_target": "payment", "order": {
        "id": t.oid, "fulfillments": [{"id": cancel[0]["id"], "type": "Cancel"}],
        "payment": {"@ondc/org/settlement_details": [refund]}}})
    eq(u["message"]["order"]["payment"]["@ondc/org/settlement_details"], seller + [refund],
       "the seller's entries stay, the refund's is added")
    q = u["message"]["order"]["quote"]
    check(all(isinstance(r.get("@ondc/org/item_quantity", {}).get("count", 0), int) for r in q["breakup"]),
          "integer counts after a part cancel")


def test_retail_125_collector_state_times_and_tracking():
    """RET10 1.2.5: on_init names no collector when the buyer app collects
    (it says so on confirm); every change of the delivery's state carries
    @ondc/org/state_updated_at, from on_confirm's Pending on; on_track
    names the order and what is polled; a cancel names the fulfillment."""
    t = Txn(version="1.2.5")
    t.to_confirm()
    check("collected_by" not in t.on_init["message"]["order"]["payment"],
          "no collected_by on on_init when the buyer app collects: %r" % t.on_init["message"]["order"]["payment"])
    eq(t.on_confirm["message"]["order"]["payment"]["collected_by"], "BAP", "the confirm's collector on on_confirm")
    f0 = delivery(t.on_confirm)
    eq(f0["@ondc/org/state_updated_at"], f0["state"]["updated_at"], "Pending stamped at confirm")
    t.desk("accept")
    t.desk("tracking", {"url": "https://track.example/o/7", "gps": "12.974002,77.613458"})
    prev = f0["@ondc/org/state_updated_at"]
    steps = [("packed", None), ("agent-assigned", {"name": "Ravi Kumar", "phone": "9886054321"}),
             ("picked-up", None), ("out-for-delivery", None), ("delivered", None)]
    for n, (verb, body) in enumerate(steps, start=2):
        t.desk(verb, body)
        f = delivery(t.pushed(n, "on_status"))
        at = f.get("@ondc/org/state_updated_at")
        check(at, "@ondc/org/state_updated_at on %s" % verb)
        eq(at, f["state"]["updated_at"], "the state's own time (%s)" % verb)
        check(at >= prev, "state times never go back (%s): %s < %s" % (verb, at, prev))
        prev = at
        if verb == "picked-up":
            _, tr = t.call("track", {"order_id": t.oid})
            tr = tr["message"]["tracking"]
            eq(tr["status"], "active", "tracked while on its way")
            eq(tags_of(tr), {"order": {"id": t.oid},
                             "config": {"attr": "tracking.location.gps", "type": "live_poll"}},
               "on_track's tags")
            check(tr["location"]["gps"] and tr["location"]["time"]["timestamp"], "where the agent is")
    # at 1.2.0 the collector stays on on_init, and no state time is added
    u = Txn()
    u.to_confirm()
    eq(u.on_init["message"]["order"]["payment"]["collected_by"], "BAP", "1.2.0: collected_by echoed")
    check("@ondc/org/state_updated_at" not in delivery(u.on_confirm), "1.2.0: no state_updated_at")
    # a buyer's cancel at 1.2.5: the descriptor names the fulfillment;
    # without it the request is NACKed with the path
    c = Txn(version="1.2.5")
    c.to_confirm()
    body = F.make({"context": c.ctx("cancel"), "message": {"order_id": c.oid, "cancellation_reason_id": "010"}},
                  fresh=False)
    s, a, _ = F.post("/protocol/v1/cancel", body)
    eq((s, a["error"]["path"]), (400, "message.descriptor"), "1.2.5 cancel without its descriptor")
    _, oc = c.call("cancel", {"order_id": c.oid, "cancellation_reason_id": "010",
                              "descriptor": {"name": "fulfillment", "short_desc": "1"}})
    f = delivery(oc)
    eq(f["state"]["descriptor"]["code"], "Cancelled", "Cancelled")
    eq(f["@ondc/org/state_updated_at"], f["state"]["updated_at"], "the cancel's time on the delivery")


def money(v):
    r, _, c = v.lstrip("-").partition(".")
    return (-1 if v.startswith("-") else 1) * (int(r) * 100 + int((c + "00")[:2]))


def trail_sum(f):
    return sum(money(l["value"]) for t in f.get("tags", []) if t["code"] == "quote_trail"
               for l in t["list"] if l["code"] == "value")


def test_part_cancel_then_rto():
    """RET10 1.2.5, as ONDC's flow of a part cancel and then a return to
    origin: a line cancelled whole and one in part before acceptance, then
    the delivery cancelled after pick-up. The RTO takes what was left on
    the delivery, once; the part cancels' rows keep their counts; the
    trails add up to the order's price; precancel_state is the state and
    time on_status gave for out for delivery."""
    t = Txn(version="1.2.5")
    t.to_confirm([("42602101", 2), ("42602097", 1), ("42602105", 2)])
    paid = money(t.on_confirm["message"]["order"]["quote"]["price"]["value"])
    t.desk("part-cancel", {"item_id": "42602097", "count": 1, "reason": "002"})  # the whole line
    t.pushed(1, "on_update")
    t.desk("part-cancel", {"item_id": "42602105", "count": 1, "reason": "002"})  # one of two
    t.pushed(2, "on_update")
    t.desk("accept")
    t.desk("packed")
    t.desk("agent-assigned", {"name": "Ravi Kumar", "phone": "9886054321"})
    aa = t.pushed(5, "on_status")
    fs = {f["type"]: f for f in aa["message"]["order"]["fulfillments"]}
    eq(fs["Delivery"]["state"]["descriptor"]["code"], "Agent-assigned", "the delivery Agent-assigned")
    eq(tags_of(fs["Delivery"])["routing"], {"type": "P2P"}, "the delivery's routing tag")
    eq(fs["Cancel"]["state"]["descriptor"]["code"], "Cancelled", "a part cancel's fulfillment stays Cancelled")
    t.desk("picked-up")
    t.desk("out-for-delivery")
    ofd = t.pushed(7, "on_status")
    t.desk("rto-initiated", {"reason": "013"})
    c = t.pushed(8, "on_cancel")
    t.desk("rto-delivered")
    d = t.pushed(9, "on_status")
    for name, m in (("on_cancel", c), ("RTO-Delivered", d)):
        o = m["message"]["order"]
        f = delivery(m)
        rto = [x for x in o["fulfillments"] if x["type"] == "RTO"]
        cancels = [x for x in o["fulfillments"] if x["type"] == "Cancel"]
        eq((len(rto), len(cancels)), (1, 2), "%s: one RTO, the two part cancels" % name)
        rows_ = [(i["id"], i["fulfillment_id"], i["quantity"]["count"]) for i in o["items"]]
        eq(len(rows_), len(set((i, fid) for i, fid, _ in rows_)), "%s: one row per item and fulfillment" % name)
        by = {(i, fid): n for i, fid, n in rows_}
        for iid in ("42602101", "42602097", "42602105"):
            eq(by[(iid, f["id"])], 0, "%s: %s out of the delivery" % (name, iid))
        eq({i: n for (i, fid), n in by.items() if fid == rto[0]["id"]}, {"42602101": 2, "42602105": 1},
           "%s: the RTO carries what was left on the delivery" % name)
        eq(sorted((i, n) for (i, fid), n in by.items() if fid in [x["id"] for x in cancels]),
           [("42602097", 1), ("42602105", 1)], "%s: the part cancels keep their counts" % name)
        eq(o["quote"]["price"]["value"], "0.00", "%s: nothing to pay" % name)
        eq(-(trail_sum(rto[0]) + sum(trail_sum(x) for x in cancels)), paid,
           "%s: the trails add up to the price at confirm" % name)
        pre = tags_of(f)["precancel_state"]
        eq((pre["fulfillment_state"], pre["updated_at"]),
           (delivery(ofd)["state"]["descriptor"]["code"], ofd["message"]["order"]["updated_at"]),
           "%s: precancel_state is out for delivery's state and time" % name)


if __name__ == "__main__":
    F = Fleet().start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
