"""The catalog as ONDC retail requires it, end to end: the mandatory
attributes refused at import (ondcctl and PUT /seller/v1/catalog) with the
field named and nothing written, the retail on_search shape, and the
incremental catalog (catalog_inc) pulled for a time window and pushed to
subscribed buyer apps.

Bad inputs tried here, each on a copy of the demo catalog: an item
without descriptor.code, with an EAN of the wrong length, without
quantity.unitized, without @ondc/org/seller_pickup_return, without an
origin tag, a grocery category ONDC does not list, a "Dairy and Cheese"
item without its prepackaged-food statutory block, a provider without
categories (variant groups), a category id with spaces, a location without
its circle, a fulfillment with a 7-digit phone, a parent_item_id naming no
variant group, an unknown domain; a fashion (RET12) item without its
mandatory attributes and with an EAN where an HSN is due, an electronics
(RET14) item with an EAN where a GTIN is due; a catalog_inc tag with an
unknown mode and with a window that ends before it starts.
"""
import copy
import json
import os
import subprocess
import sys
import time

from harness import BIN, BUYER, Fleet, Runner, check, eq, load_fixture, now_ts

F = None
B = None  # a second buyer app, never subscribed


def demo():
    return load_fixture("catalog-demo.json")


def item(cat, pid, iid):
    for p in cat["bpp/providers"]:
        if p["id"] == pid:
            for it in p["items"]:
                if it["id"] == iid:
                    return it
    raise KeyError(iid)


def search(intent=None, buyer=None, **ctx):
    who = buyer or F
    req = who.make(load_fixture("search-request.json"))
    if intent is not None:
        # the buyer app's finder fee is part of every retail search
        req["message"]["intent"] = dict(intent, payment=req["message"]["intent"]["payment"])
    req["context"].update(ctx)
    status, ans, _ = who.post("/protocol/v1/search", req)
    eq(status, 200, "search ACKed: %r" % (ans,))
    return req


def calls_of(app, pred):
    out = []
    for c in list(app.calls):
        b = json.loads(c["raw"])
        if pred(b["context"]):
            out.append(b)
    return out


def answers(req, expect=True):
    mid = req["context"]["message_id"]
    if expect:
        got = F.bap.wait_for(F.bap.by_message(mid, "on_search"), timeout=15)
        check(got, "on_search arrived")
        time.sleep(0.3)
    else:
        time.sleep(1.5)
    return calls_of(F.bap, lambda c: c["message_id"] == mid)


def inc_search(tags, buyer=None, txn=None):
    who = buyer or F
    req = who.make(load_fixture("search-request.json"))
    req["context"]["city"] = "*"
    if txn:
        req["context"]["transaction_id"] = txn
    req["message"]["intent"].pop("fulfillment", None)
    req["message"]["intent"]["tags"] = [{"code": "catalog_inc", "list": tags}]
    status, ans, _ = who.post("/protocol/v1/search", req)
    eq(status, 200, "catalog_inc search ACKed: %r" % (ans,))
    return req


def refused(mutate, field, what):
    """MUTATE a copy of the demo catalog; PUT and ondcctl import both refuse
    it naming FIELD, and the catalog stays as it was."""
    cat = demo()
    mutate(cat)
    before = answers(search({"item": {"descriptor": {"name": "butter"}}}))
    s, a = F.admin("PUT", "/seller/v1/catalog", cat)
    eq(s, 400, "%s: PUT refused (%r)" % (what, a))
    eq(a["error"].get("field"), field, "%s: field named" % what)
    path = os.path.join(F.dir, "bad-catalog.json")
    with open(path, "w") as f:
        json.dump(cat, f)
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", F.config, "catalog", "import", path],
                       capture_output=True, text=True)
    check(r.returncode != 0, "%s: ondcctl import refused" % what)
    check(field in r.stderr, "%s: ondcctl names %s: %s" % (what, field, r.stderr.strip()[-300:]))
    after = answers(search({"item": {"descriptor": {"name": "butter"}}}))
    eq([b["message"] for b in after], [b["message"] for b in before], "%s: nothing written" % what)


def test_mandatory_attributes_refused_with_the_field_named():
    P0 = "bpp/providers[0]"
    cases = [
        (lambda c: item(c, "111863", "42602101")["descriptor"].pop("code"),
         P0 + ".items[1].descriptor.code", "no descriptor.code"),
        (lambda c: item(c, "111863", "42602101")["descriptor"].update(code="1:890126201011"),
         P0 + ".items[1].descriptor.code", "EAN of 12 digits"),
        (lambda c: item(c, "111863", "42602110")["quantity"].pop("unitized"),
         P0 + ".items[3].quantity.unitized.measure", "no quantity.unitized"),
        (lambda c: item(c, "111863", "42602097").pop("@ondc/org/seller_pickup_return"),
         P0 + ".items[0].@ondc/org/seller_pickup_return", "no seller_pickup_return"),
        (lambda c: item(c, "P2-KORA", "FM-BANANA-1DZ").update(tags=[]),
         "bpp/providers[1].items[2].tags", "no origin tag"),
        (lambda c: item(c, "P2-KORA", "FM-RICE-5KG").update(category_id="Foodgrains"),
         "bpp/providers[1].items[0].category_id", "a category ONDC does not list"),
        (lambda c: item(c, "111863", "42602105").pop("@ondc/org/statutory_reqs_prepackaged_food"),
         P0 + ".items[2].@ondc/org/statutory_reqs_prepackaged_food", "no statutory block"),
        (lambda c: c["bpp/providers"][0].pop("categories"), P0 + ".categories", "no categories"),
        (lambda c: c["bpp/providers"][0]["categories"][0].update(id="Amul Butter"),
         P0 + ".categories[0].id", "a category id with spaces"),
        (lambda c: c["bpp/providers"][1]["locations"][0].pop("circle"),
         "bpp/providers[1].locations[0].circle", "a location without its circle"),
        (lambda c: c["bpp/providers"][1]["fulfillments"][0]["contact"].update(phone="9845098"),
         "bpp/providers[1].fulfillments[0].contact.phone", "a 7-digit phone"),
        (lambda c: item(c, "111863", "42602097").update(parent_item_id="VG-NONE"),
         P0 + ".items[0].parent_item_id", "an unknown variant group"),
        (lambda c: c.update(domain="ONDC:RET99"), P0 + ".seller.domain", "an unknown domain"),
    ]
    for mutate, field, what in cases:
        refused(mutate, field, what)


def fashion_provider(cat, domain, code, attrs):
    """P2-KORA turned into a DOMAIN store selling one T-shirt."""
    p = copy.deepcopy(cat["bpp/providers"][1])
    p["id"] = "P3-" + domain[-2:]
    p["seller"]["domain"] = "ONDC:" + domain
    p["tags"] = []
    it = p["items"][0]
    it["descriptor"]["code"] = code
    it.pop("@ondc/org/statutory_reqs_packaged_commodities", None)
    it["quantity"]["unitized"] = {"measure": {"unit": "unit", "value": "1"}}
    it["tags"] = [{"code": "origin", "list": [{"code": "country", "value": "IND"}]}]
    if attrs is not None:
        it["tags"].append({"code": "attribute", "list": [{"code": k, "value": v} for k, v in attrs.items()]})
    it["category_id"] = "T Shirts" if domain == "RET12" else "Mobile Phone"
    it.pop("parent_item_id", None)
    p["items"] = [it]
    return p


def test_each_domain_checks_its_own_attributes():
    shirt = {"gender": "male", "colour": "#FFFFFF", "size": "M", "brand": "Demo", "size_chart":
             "https://example.com/size.png", "fabric": "cotton", "colour_name": "white"}
    for domain, code, attrs, field, what in [
        ("RET12", "4:61091000", {k: v for k, v in shirt.items() if k != "size"},
         "bpp/providers[2].items[0].tags", "a T-shirt without its size"),
        ("RET12", "1:8901262010016", shirt, "bpp/providers[2].items[0].descriptor.code",
         "an EAN where fashion asks for an HSN"),
        ("RET14", "1:8901262010016", None, "bpp/providers[2].items[0].descriptor.code",
         "an EAN where electronics asks for a GTIN"),
    ]:
        refused(lambda c: c["bpp/providers"].append(fashion_provider(c, domain, code, attrs)), field, what)
    # the complete T-shirt is taken, and a RET12 search sees only its store
    cat = demo()
    cat["bpp/providers"].append(fashion_provider(cat, "RET12", "4:61091000", shirt))
    s, a = F.admin("PUT", "/seller/v1/catalog", cat)
    eq((s, a.get("providers")), (200, 3), "a RET12 store beside the grocers")
    try:
        b = answers(search(None, domain="ONDC:RET12"))
        eq([p["id"] for x in b for p in x["message"]["catalog"]["bpp/providers"]], ["P3-12"],
           "a fashion search sees the fashion store only")
        b = answers(search(None))
        check("P3-12" not in [p["id"] for x in b for p in x["message"]["catalog"]["bpp/providers"]],
              "a grocery search does not see it")
    finally:
        eq(F.admin("PUT", "/seller/v1/catalog", demo())[0], 200, "demo catalog back")


def test_on_search_has_every_mandatory_attribute():
    b = answers(search(None))
    eq(len(b), 1, "one page")
    cat = b[0]["message"]["catalog"]
    for f in cat["bpp/fulfillments"]:
        check(f.get("id") and f.get("type"), "bpp/fulfillments with ids: %r" % f)
    for k in ("name", "symbol", "short_desc", "long_desc", "images"):
        check(cat["bpp/descriptor"].get(k), "bpp/descriptor." + k)
    for p in cat["bpp/providers"]:
        check("seller" not in p, "the seller's own terms stay home")
        check(p["time"]["label"] == "enable" and p["time"]["timestamp"], "provider time")
        timing = [t for t in p["tags"] if t["code"] == "timing"]
        eq(len(timing), 1, "one timing tag")
        tl = {e["code"]: e["value"] for e in timing[0]["list"]}
        loc = p["locations"][0]
        eq((tl["type"], tl["location"], tl["day_from"], tl["day_to"], tl["time_from"], tl["time_to"]),
           ("All", loc["id"], "1", "7", loc["time"]["range"]["start"], loc["time"]["range"]["end"]),
           "timing derived from the location's time")
        svc = sorted({e["value"] for t in p["tags"] if t["code"] == "serviceability"
                      for e in t["list"] if e["code"] == "category"})
        eq(svc, sorted({it["category_id"] for it in p["items"]}), "one serviceability per category")
        for t in p["tags"]:
            if t["code"] == "serviceability":
                tl = {e["code"]: e["value"] for e in t["list"]}
                eq((tl["type"], tl["val"], tl["unit"]), ("10", loc["circle"]["radius"]["value"], "km"),
                   "serviceability from the circle")
        eq(len(loc["gps"].split(",")[0].split(".")[1]), 6, "gps with six decimals")
        for c in p["categories"]:
            check(c["id"].replace("-", "").isalnum() and len(c["id"]) <= 12, "category id %r" % c["id"])
        for it in p["items"]:
            d = it["descriptor"]
            check(d["code"].startswith("1:") and len(d["code"]) in (10, 15), "EAN code %r" % d["code"])
            for k in ("symbol", "short_desc", "long_desc", "images"):
                check(d.get(k), "%s descriptor.%s" % (it["id"], k))
            check(it["time"]["label"] == "enable" and it["time"]["timestamp"], "item time")
            check(it["quantity"]["unitized"]["measure"]["unit"], "unitized")
            check(it["quantity"]["available"]["count"] in ("99", "0"), "available 99 or 0")
            check(isinstance(it["@ondc/org/seller_pickup_return"], bool), "seller_pickup_return")
            eq(it["tags"][0]["code"], "origin", "origin tag")
            if it["category_id"] == "Dairy and Cheese":
                check(it["@ondc/org/statutory_reqs_prepackaged_food"]["brand_owner_FSSAI_license_no"],
                      "prepackaged food block")
            check(it["fulfillment_id"] in [f["id"] for f in p["fulfillments"]], "fulfillment_id")
    # a name search shows some categories only, and the serviceability of those
    b = answers(search({"item": {"descriptor": {"name": "dal"}}}))
    p = b[0]["message"]["catalog"]["bpp/providers"][0]
    eq([e["value"] for t in p["tags"] if t["code"] == "serviceability" for e in t["list"]
        if e["code"] == "category"], ["Dals and Pulses"], "serviceability of the categories shown")


def test_pull_catalog_inc_answers_what_changed_in_the_window():
    t0 = now_ts(-1)
    time.sleep(0.05)
    eq(F.admin("PATCH", "/seller/v1/items/42602105", {"price": "57.00"})[0], 200, "price changed")
    eq(F.admin("PATCH", "/seller/v1/items/FM-TOOR-1KG", {"stock": 0})[0], 200, "out of stock")
    time.sleep(0.05)
    t1 = now_ts()
    time.sleep(0.05)
    try:
        req = inc_search([{"code": "start_time", "value": t0}, {"code": "end_time", "value": t1}])
        b = answers(req)
        eq(len(b), 1, "one on_search")
        eq(b[0]["context"]["message_id"], req["context"]["message_id"], "the request's message_id")
        eq(b[0]["context"]["city"], "*", "city *")
        cat = b[0]["message"]["catalog"]
        check("bpp/descriptor" not in cat and "bpp/fulfillments" not in cat, "only what changed")
        got = {(p["id"], it["id"]): it for p in cat["bpp/providers"] for it in p.get("items", [])}
        eq(sorted(got), [("111863", "42602105"), ("P2-KORA", "FM-TOOR-1KG")], "the changed items")
        eq(got[("111863", "42602105")]["price"]["value"], "57.00", "new price")
        eq(got[("P2-KORA", "FM-TOOR-1KG")]["quantity"]["available"]["count"], "0", "out of stock")
        for it in got.values():
            check(t0 <= it["time"]["timestamp"] <= t1, "time of the change %s" % it["time"])
            check(it["descriptor"]["code"] and it["tags"], "the whole item")
        # a window before the change: nothing changed, no on_search
        req = inc_search([{"code": "start_time", "value": "2024-01-01T00:00:00.000Z"},
                          {"code": "end_time", "value": "2024-01-02T00:00:00.000Z"}])
        eq(answers(req, expect=False), [], "an empty window gets no on_search")
        # malformed tags: an error naming the path
        for tags, why in [([{"code": "mode", "value": "restart"}], "mode must be start or stop"),
                          ([{"code": "start_time", "value": t1}, {"code": "end_time", "value": t0}],
                           "end_time must be after start_time")]:
            b = answers(inc_search(tags))
            eq(b[0]["error"]["code"], "30000", "refused")
            check(why in b[0]["error"]["message"], "%s: %s" % (why, b[0]["error"]["message"]))
            check(b[0]["error"]["path"].startswith("message.intent.tags[0]"), "path named")
    finally:
        F.admin("PATCH", "/seller/v1/items/42602105", {"price": "58.00"})
        F.admin("PATCH", "/seller/v1/items/FM-TOOR-1KG", {"stock": 60})


def pushes(app, txn):
    return calls_of(app, lambda c: c["transaction_id"] == txn and c["action"] == "on_search")


def wait_pushes(app, txn, n, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        got = pushes(app, txn)
        if len(got) >= n:
            return got
        time.sleep(0.2)
    return pushes(app, txn)


def test_push_catalog_inc_to_subscribers_only_and_across_a_restart():
    interval = F.cfg["search"]["inc_interval_s"]
    sub = inc_search([{"code": "mode", "value": "start"}])
    txn = sub["context"]["transaction_id"]
    other = inc_search([{"code": "mode", "value": "start"}], buyer=B)  # B subscribes ...
    inc_search([{"code": "mode", "value": "stop"}], buyer=B, txn=other["context"]["transaction_id"])
    # ... and stops; a stop from B with A's transaction changes nothing of A's
    inc_search([{"code": "mode", "value": "stop"}], buyer=B, txn=txn)
    time.sleep(interval + 1.5)
    eq(pushes(F.bap, txn), [], "nothing pushed while nothing changed")
    eq(F.admin("PATCH", "/seller/v1/items/42602110", {"price": "94.00"})[0], 200, "a PATCH")
    got = wait_pushes(F.bap, txn, 1)
    eq(len(got), 1, "one on_search pushed")
    ctx = got[0]["context"]
    check(ctx["message_id"] != sub["context"]["message_id"], "a new message_id")
    eq((ctx["bap_id"], ctx["city"], ctx["domain"]), (BUYER, "*", "ONDC:RET10"), "to the subscriber")
    items = [it for p in got[0]["message"]["catalog"]["bpp/providers"] for it in p.get("items", [])]
    eq([(it["id"], it["price"]["value"]) for it in items], [("42602110", "94.00")], "what changed")
    ok, why = F.verify_callback(F.bap.wait_for(F.bap.by_message(ctx["message_id"]))[0])
    check(ok, "the push is signed: " + why)
    time.sleep(interval + 1.5)
    eq(len(pushes(F.bap, txn)), 1, "no second push: nothing changed since")
    eq(calls_of(B.bap, lambda c: c["action"] == "on_search"), [], "none to a buyer app not subscribed")
    # the subscription is in LMDB: it outlives a restart
    F.stop()
    F.start()
    eq(F.admin("PATCH", "/seller/v1/items/42602110", {"enabled": False})[0], 200, "disabled")
    got = wait_pushes(F.bap, txn, 2)
    eq(len(got), 2, "pushed after the restart")
    it = got[1]["message"]["catalog"]["bpp/providers"][0]["items"][0]
    eq((it["id"], it["time"]["label"]), ("42602110", "disable"), "a disabled item is pushed disabled")
    # stop ends it
    inc_search([{"code": "mode", "value": "stop"}], txn=txn)
    time.sleep(1.0)
    eq(F.admin("PATCH", "/seller/v1/items/42602110", {"enabled": True, "price": "95.50"})[0], 200, "back")
    time.sleep(interval + 2.5)
    eq(len(pushes(F.bap, txn)), 2, "nothing pushed after stop")
    eq(calls_of(B.bap, lambda c: c["action"] == "on_search"), [], "still none to the other buyer app")


if __name__ == "__main__":
    F = Fleet(extra={"search": {"inc_interval_s": 1},
                     "domains": ["nic2004:52110", "ONDC:RET10", "ONDC:RET11", "ONDC:RET12"]})
    B = F.add_buyer("otherbuyer.example")
    F.start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
