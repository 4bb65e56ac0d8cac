"""The retail domains besides grocery that make conformance plays, held
without ONDC's validator: the F&B (RET11) and beauty (RET13) stores of
tests/fixtures/catalog-ret11.json and catalog-ret13.json import beside the
demo grocers, each domain's search sees its own store with what ONDC asks
of it (RET11: the FSSAI licence, the custom menu its items name), and the
retail 1.2.x rules the validator found on these stores: no
@ondc/org/return_window in the payment (each item's is in the catalog;
F&B's schema refuses it), @ondc/org/category Immediate Delivery up to
two hours and Standard Delivery beyond (no Same Day at 1.2.x).

Bad input tried here: a RET13 search on a node that does not serve RET13
(a CONTEXT-ERROR NACK naming context.domain, nothing answered).
"""
import json
import os
import sys
import tempfile
import uuid

from harness import FIXTURES, Fleet, Runner, check, eq, now_ts

F = None
DROP = {"gps": "12.974002,77.613458",
        "address": {"name": "Flat 12", "building": "Sunrise Apartments", "locality": "MG Road",
                    "city": "Bengaluru", "state": "Karnataka", "country": "IND", "area_code": "560001"}}
FEE = {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"}
STORES = {"ONDC:RET11": ("P-R11", "L-R11-1"), "ONDC:RET13": ("P-R13", "L-R13-1")}


def catalog():
    with open(os.path.join(FIXTURES, "catalog-demo.json")) as fh:
        cat = json.load(fh)
    for name in ("catalog-ret11.json", "catalog-ret13.json"):
        with open(os.path.join(FIXTURES, name)) as fh:
            cat["bpp/providers"] += json.load(fh)["bpp/providers"]
    path = os.path.join(tempfile.mkdtemp(prefix="ondc-domains-"), "catalog.json")
    with open(path, "w") as fh:
        json.dump(cat, fh)
    return path


class Txn:
    def __init__(self, domain, version="1.2.5"):
        self.domain, self.version = domain, version
        self.tid = str(uuid.uuid4())
        self.provider, self.location = STORES.get(domain, ("111863", "148273"))

    def ctx(self, action):
        return {"domain": self.domain, "action": action, "country": "IND", "city": "std:080",
                "core_version": self.version, "transaction_id": self.tid,
                "message_id": str(uuid.uuid4()), "timestamp": now_ts(), "ttl": "PT30S"}

    def body(self, action, message):
        return F.make({"context": self.ctx(action), "message": message}, fresh=False)

    def call(self, action, message):
        b = self.body(action, message)
        s, a, _ = F.post("/protocol/v1/" + action, b)
        eq(s, 200, "%s ACKed: %r" % (action, a))
        got = F.bap.wait_for(F.bap.by_message(b["context"]["message_id"], "on_" + action))
        check(got, "on_%s arrived" % action)
        ans = json.loads(got[0]["raw"])
        check("error" not in ans, "on_%s: %r" % (action, ans.get("error")))
        return ans

    def select(self, cart):
        return self.call("select", {"order": {
            "provider": {"id": self.provider, "locations": [{"id": self.location}]},
            "items": [{"id": i, "location_id": self.location, "quantity": {"count": n}} for i, n in cart],
            "fulfillments": [{"end": {"location": {"gps": DROP["gps"], "address": {"area_code": "560001"}}}}],
            "payment": dict(FEE, type="ON-ORDER")}})

    def init(self, cart):
        t0 = now_ts()
        return self.call("init", {"order": {
            "provider": {"id": self.provider, "locations": [{"id": self.location}]},
            "items": [{"id": i, "fulfillment_id": "1", "quantity": {"count": n}} for i, n in cart],
            "billing": {"name": "Asha Rao", "phone": "9886012345", "email": "asha@example.com",
                        "address": dict(DROP["address"]), "created_at": t0, "updated_at": t0},
            "fulfillments": [{"id": "1", "type": "Delivery", "end": {
                "location": json.loads(json.dumps(DROP)),
                "contact": {"phone": "9886012345", "email": "asha@example.com"}}}],
            "payment": dict(FEE, type="ON-ORDER", collected_by="BAP")}})


def test_each_domain_sees_its_store():
    for domain, (pid, _) in STORES.items():
        t = Txn(domain, "1.2.0")
        b = t.body("search", {"intent": {"fulfillment": {"type": "Delivery", "end": {"location": {
            "gps": DROP["gps"], "address": {"area_code": "560001"}}}}, "payment": dict(FEE)}})
        s, a, _ = F.post("/protocol/v1/search", b)
        eq(s, 200, "%s search ACKed: %r" % (domain, a))
        got = F.bap.wait_for(F.bap.by_message(b["context"]["message_id"], "on_search"))
        check(got, "%s on_search" % domain)
        provs = json.loads(got[0]["raw"])["message"]["catalog"]["bpp/providers"]
        eq([p["id"] for p in provs], [pid], "%s sees its own store only" % domain)
        if domain == "ONDC:RET11":
            p = provs[0]
            eq(p.get("@ondc/org/fssai_license_no"), "11224999000123", "the restaurant's FSSAI licence")
            menus = [c["id"] for c in p["categories"]
                     if {"code": "type", "value": "custom_menu"} in c["tags"][0]["list"]]
            eq(menus, ["1"], "its custom menu")
            for it in p["items"]:
                check(it.get("category_ids") and it["category_ids"][0].split(":")[0] in menus,
                      "%s is on the menu: %r" % (it["id"], it.get("category_ids")))
                check(any(tg["code"] == "veg_nonveg" for tg in it["tags"]), "%s says veg or not" % it["id"])


def test_category_and_payment_at_retail_12x():
    for version in ("1.2.0", "1.2.5"):
        # a restaurant's dosa: PT30M to cook, PT30M to deliver
        t = Txn("ONDC:RET11", version)
        f = t.select([("R11-DOSA", 1)])["message"]["order"]["fulfillments"][0]
        eq((f["@ondc/org/TAT"], f["@ondc/org/category"]), ("PT60M", "Immediate Delivery"),
           "%s: within two hours" % version)
        pay = t.init([("R11-DOSA", 1)])["message"]["order"]["payment"]
        check("@ondc/org/return_window" not in pay, "%s: no return window in the payment: %r" % (version, pay))
        check(pay.get("@ondc/org/settlement_window", "").startswith("P"), "the settlement window stays")
        # soap: PT2H to ship and PT30M to deliver, beyond two hours
        t = Txn("ONDC:RET13", version)
        f = t.select([("R13-SOAP", 1)])["message"]["order"]["fulfillments"][0]
        eq((f["@ondc/org/TAT"], f["@ondc/org/category"]), ("PT150M", "Standard Delivery"),
           "%s: beyond two hours is Standard (no Same Day at retail 1.2.x)" % version)
        q = t.init([("R13-SOAP", 1)])["message"]["order"]["quote"]
        eq([r["@ondc/org/title_type"] for r in q["breakup"] if r["@ondc/org/title_type"] == "tax"], [],
           "a store at MRP adds no tax rows")


def test_a_domain_not_served():
    G = Fleet(catalog=None, extra={"domains": ["ONDC:RET10"]}).start()
    try:
        t = Txn("ONDC:RET13", "1.2.0")
        b = G.make({"context": t.ctx("search"), "message": {"intent": {"payment": dict(FEE)}}}, fresh=False)
        s, a, _ = G.post("/protocol/v1/search", b)
        eq((s, a["error"]["path"]), (400, "context.domain"), "RET13 where only RET10 is served")
        check(not G.bap.wait_for(G.bap.by_message(b["context"]["message_id"], "on_search"), timeout=1),
              "nothing answered")
    finally:
        G.close()


if __name__ == "__main__":
    F = Fleet(catalog=catalog(), extra={"domains": ["nic2004:52110", "ONDC:RET10", "ONDC:RET11",
                                                    "ONDC:RET13"]}).start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
