"""Variants, customizations and offers end to end: a catalog with a fashion
store whose T-shirt comes in three sizes (RET12 variants), a pizza place
whose pizza has a crust, a size and toppings to choose (RET11
customizations), and offers on the grocer's items (retail 1.2.5); searched,
quoted (every quote summing exactly to its price), ordered, cancelled.

Bad inputs tried here, each refused at import (PUT and ondcctl) with the
field named and nothing written: a parent_item_id naming no variant group,
two variants of one group alike in its attribute, a customization cycle, a
custom group whose min is above its max, an item naming a group the
provider does not have, an offer with no items; a catalog file's own wrong
price range on the pizza is replaced by the node's. Refused in select: a size
chosen without a crust, two sizes, a customization whose count is not its
item's, an option of another group; an offer that has expired, one the
provider does not have, a buy-2 offer for one unit, two non-additive
offers together.
"""
import copy
import json
import os
import subprocess
import sys
import uuid

from harness import BIN, Fleet, Runner, check, eq, load_fixture, now_ts

F = None
DROP = {"gps": "12.936000,77.625000",
        "address": {"name": "Flat 3", "building": "Lake View", "locality": "Koramangala",
                    "city": "Bengaluru", "state": "Karnataka", "country": "IND", "area_code": "560095"}}


def tag(code, **kv):
    return {"code": code, "list": [{"code": k, "value": v} for k, v in kv.items()]}


def offer(oid, code, items, qualifier, benefit, additive="yes", auto="no", when=None):
    o = {"id": oid, "descriptor": {"code": code, "images": ["https://example.com/images/offer.png"]},
         "location_ids": ["L-KORA-1"], "item_ids": items,
         "time": {"label": "valid", "range": when or {"start": "2024-01-01T00:00:00.000Z",
                                                      "end": "2099-01-01T00:00:00.000Z"}},
         "tags": [tag("qualifier", **qualifier), tag("benefit", **benefit),
                  tag("meta", additive=additive, auto=auto)]}
    if not qualifier:
        o["tags"].pop(0)
    return o


OFFERS = [
    offer("FLAT20", "discount", ["FM-RICE-5KG"], {"min_value": "300.00"},
          {"value_type": "amount", "value": "-20.00"}, auto="yes"),
    offer("PCT10", "discount", ["FM-TOOR-1KG"], {}, {"value_type": "percent", "value": "-10.00",
                                                   "value_cap": "-50.00"}),
    offer("FREEDEL", "delivery", ["FM-RICE-5KG", "FM-TOOR-1KG"], {},
          {"value_type": "percent", "value": "-100.00", "value_cap": "-30.00"}, additive="no"),
    offer("B2G1", "buyXgetY", ["FM-TOOR-1KG"], {"item_count": "2"},
          {"item_count": "1", "item_id": "FM-TOOR-1KG", "item_value": "0.00"}, additive="no"),
    offer("OLD", "discount", ["FM-RICE-5KG"], {}, {"value_type": "amount", "value": "-5.00"},
          when={"start": "2020-01-01T00:00:00.000Z", "end": "2021-01-01T00:00:00.000Z"}),
]


# 10% off the pizza (with its options), up to 100.00
PIZZA_OFFER = dict(offer("PZ10", "discount", ["PZ-FARM"], {}, {"value_type": "percent", "value": "-10.00",
                                                            "value_cap": "-100.00"}),
                   location_ids=["L-PIZZA-1"])


def catalog():
    cat = load_fixture("catalog-demo.json")
    cat["bpp/providers"][1]["offers"] = copy.deepcopy(OFFERS)
    cat["bpp/providers"].append(load_fixture("catalog-fashion-provider.json"))
    food = load_fixture("catalog-food-provider.json")
    food["offers"] = [copy.deepcopy(PIZZA_OFFER)]
    # a file's own price range, wrong: the node's replaces it
    food["items"][0]["price"]["tags"] = [tag("range", lower="1.00", upper="2.00")]
    cat["bpp/providers"].append(food)
    return cat


def money(v):
    r, _, p = str(v).partition(".")
    sign = -1 if r.startswith("-") else 1
    return sign * (abs(int(r)) * 100 + int((p + "00")[:2]))


def sums(quote):
    eq(sum(money(r["price"]["value"]) for r in quote["breakup"]), money(quote["price"]["value"]),
       "breakup sums exactly to quote.price")


class Txn:
    """One transaction of the fake buyer app with provider PID."""

    def __init__(self, domain, pid, loc, version="1.2.0"):
        self.domain, self.pid, self.loc, self.version = domain, pid, loc, version
        self.tid = str(uuid.uuid4())

    def ctx(self, action):
        return {"domain": self.domain, "action": action, "country": "IND", "city": "std:080",
                "core_version": self.version, "transaction_id": self.tid,
                "message_id": str(uuid.uuid4()), "timestamp": now_ts(), "ttl": "PT30S"}

    def call(self, action, message, prep=None):
        body = F.make({"context": self.ctx(action), "message": message}, fresh=False)
        if prep:
            prep(body)
        s, a, _ = F.post("/protocol/v1/" + action, body)
        eq(s, 200, "%s ACKed: %r" % (action, a))
        got = F.bap.wait_for(F.bap.by_message(body["context"]["message_id"], "on_" + action))
        check(got, "on_%s arrived" % action)
        return json.loads(got[0]["raw"])

    def items(self, cart):
        out = []
        for c in cart:
            i, n = c[0], c[1]
            it = {"id": i, "location_id": self.loc, "quantity": {"count": n}}
            if len(c) > 2:  # (id, count, instance, group or None)
                it["parent_item_id"] = c[2]
                it["tags"] = [tag("type", type="customization" if c[3] else "item")]
                if c[3]:
                    it["tags"].append(tag("parent", id=c[3]))
            out.append(it)
        return out

    def select(self, cart, offers=None):
        o = {"provider": {"id": self.pid, "locations": [{"id": self.loc}]}, "items": self.items(cart),
             "fulfillments": [{"end": {"location": {"gps": DROP["gps"],
                                                    "address": {"area_code": "560095"}}}}]}
        if offers is not None:
            o["offers"] = offers
        return self.call("select", {"order": o})

    def order(self, cart):
        t0 = now_ts()
        items = self.items(cart)
        for it in items:
            it["fulfillment_id"] = "1"
        return {"provider": {"id": self.pid, "locations": [{"id": self.loc}]}, "items": items,
                "billing": {"name": "Asha Rao", "phone": "9886012345", "email": "asha@example.com",
                            "address": dict(DROP["address"]), "created_at": t0, "updated_at": t0},
                "fulfillments": [{"id": "1", "type": "Delivery", "end": {
                    "location": json.loads(json.dumps(DROP)),
                    "contact": {"phone": "9886012345", "email": "asha@example.com"}}}],
                "payment": {"type": "ON-ORDER", "collected_by": "BAP",
                            "@ondc/org/buyer_app_finder_fee_type": "percent",
                            "@ondc/org/buyer_app_finder_fee_amount": "3"}}

    def init(self, cart, offers=None):
        o = self.order(cart)
        if offers is not None:
            o["offers"] = offers
        return self.call("init", {"order": o})

    def confirm(self, cart, on_init):
        oi = on_init["message"]["order"]
        o = self.order(cart)
        self.oid = "X-" + self.tid.replace("-", "")[:16]
        o.update({"id": self.oid, "state": "Created", "quote": oi["quote"],
                  "payment": dict(oi["payment"], status="PAID", collected_by="BAP", params={
                      "currency": "INR", "amount": oi["quote"]["price"]["value"],
                      "transaction_id": "PAY-" + self.tid[:8]}),
                  "tags": [t for t in oi.get("tags", []) if t["code"] == "bpp_terms"]})
        o["fulfillments"][0]["end"]["person"] = {"name": "Asha Rao"}
        o["fulfillments"][0]["tracking"] = False

        def stamp(body):
            bo = body["message"]["order"]
            bo["created_at"] = bo["updated_at"] = body["context"]["timestamp"]
        return self.call("confirm", {"order": o}, stamp)


def search(intent, domain, version="1.2.0"):
    req = F.retail("search", version, domain)
    req["message"]["intent"].update(intent)
    s, a, _ = F.post("/protocol/v1/search", req)
    eq(s, 200, "search ACKed: %r" % (a,))
    got = F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_search"), timeout=15)
    check(got, "on_search arrived")
    return [json.loads(c["raw"]) for c in got]


def providers(pages, pid):
    return [p for b in pages for p in b["message"]["catalog"]["bpp/providers"] if p["id"] == pid]


def rows(quote, kind):
    return [r for r in quote["breakup"] if r["@ondc/org/title_type"] == kind]


def refused(mutate, field, what):
    cat = catalog()
    mutate(cat)
    before = search({"item": {"descriptor": {"name": "oversized"}}}, "ONDC:RET12")
    s, a = F.admin("PUT", "/seller/v1/catalog", cat)
    eq(s, 400, "%s: PUT refused (%r)" % (what, a))
    eq(a.get("error", {}).get("field"), field, "%s: field named (%s)" % (what, a.get("error")))
    path = os.path.join(F.dir, "bad-catalog.json")
    with open(path, "w") as f:
        json.dump(cat, f)
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", F.config, "catalog", "import", path],
                       capture_output=True, text=True)
    check(r.returncode != 0, "%s: ondcctl import refused" % what)
    check(field in r.stderr, "%s: ondcctl names %s: %s" % (what, field, r.stderr.strip()[-300:]))
    after = search({"item": {"descriptor": {"name": "oversized"}}}, "ONDC:RET12")
    eq([b["message"] for b in after], [b["message"] for b in before], "%s: nothing written" % what)


def item_of(cat, pid, iid):
    for p in cat["bpp/providers"]:
        for it in p["items"]:
            if p["id"] == pid and it["id"] == iid:
                return it
    raise KeyError(iid)


def cat_of(cat, pid, cid):
    for p in cat["bpp/providers"]:
        for c in p["categories"]:
            if p["id"] == pid and c["id"] == cid:
                return c
    raise KeyError(cid)


def test_import_refusals_name_the_field():
    P2, P3, P0 = "bpp/providers[2]", "bpp/providers[3]", "bpp/providers[1]"

    def same_size(c):
        item_of(c, "P-TEES", "TEE-BLK-M")["tags"][1]["list"][2]["value"] = "S"

    def cycle(c):
        item_of(c, "P-PIZZA", "C-MUSH")["tags"].insert(2, tag("child", id="CG-CRUST"))

    def min_above_max(c):
        cat_of(c, "P-PIZZA", "CG-TOP")["tags"][1]["list"][0]["value"] = "3"

    def unknown_group(c):
        item_of(c, "P-PIZZA", "PZ-FARM")["tags"][1]["list"][0]["value"] = "CG-NOPE"

    for mutate, field, what in [
        (lambda c: item_of(c, "P-TEES", "TEE-BLK-S").update(parent_item_id="VG-NOPE"),
         P2 + ".items[0].parent_item_id", "an unknown parent_item_id"),
        (same_size, P2 + ".items[1].tags", "two variants of one size"),
        (cycle, P3 + ".items[5].tags", "a customization cycle"),
        (min_above_max, P3 + ".categories[3].tags", "min above max"),
        (unknown_group, P3 + ".items[0].tags", "an unknown custom group"),
        (lambda c: c["bpp/providers"][1]["offers"][0].update(item_ids=[]), P0 + ".offers[0].item_ids",
         "an offer with no items"),
    ]:
        refused(mutate, field, what)


def test_variants_searched_and_ordered_one_by_one():
    pages = search({"item": {"descriptor": {"name": "black l"}}}, "ONDC:RET12")
    (p,) = providers(pages, "P-TEES")
    eq(sorted(i["id"] for i in p["items"]), ["TEE-BLK-L", "TEE-BLK-M", "TEE-BLK-S"],
       "a search for one size shows its sibling variants")
    vg = [c for c in p["categories"] if c["id"] == "VG-TEE"][0]
    eq(vg["tags"][0]["list"][0]["value"], "variant_group", "the variant group in categories[]")
    eq(vg["tags"][1]["list"][0]["value"], "item.tags.attribute.size", "its attribute")
    for it in p["items"]:
        eq(it["parent_item_id"], "VG-TEE", "parent_item_id on each variant")
    avail = {i["id"]: i["quantity"]["available"]["count"] for i in p["items"]}
    eq(avail, {"TEE-BLK-S": "99", "TEE-BLK-M": "0", "TEE-BLK-L": "99"}, "stock per variant")
    t = Txn("ONDC:RET12", "P-TEES", "L-KORA-1")
    b = t.select([("TEE-BLK-L", 2)])
    check("error" not in b, "a variant selected: %r" % b.get("error"))
    q = b["message"]["order"]["quote"]
    eq([(r["@ondc/org/item_id"], r["price"]["value"]) for r in rows(q, "item")], [("TEE-BLK-L", "1098.00")],
       "quoted at its own price")
    sums(q)
    b = t.select([("TEE-BLK-M", 1)])
    eq(b["error"]["message"], '[{"item_id":"TEE-BLK-M","error":"40002"}]', "the out of stock size")


def test_customized_pizza_quoted_ordered_and_cancelled():
    pages = search({"item": {"descriptor": {"name": "farm"}}}, "ONDC:RET11")
    (p,) = providers(pages, "P-PIZZA")
    eq(sorted(i["id"] for i in p["items"]),
       sorted(["PZ-FARM", "C-HAND", "C-THIN", "C-REG", "C-LARGE", "C-MUSH", "C-TOMATO"]),
       "the pizza with every option its groups offer")
    kinds = {c["id"]: c["tags"][0]["list"][0]["value"] for c in p["categories"]}
    eq(kinds, {"M1": "custom_menu", "CG-CRUST": "custom_group", "CG-SIZE": "custom_group",
               "CG-TOP": "custom_group"}, "menu and groups")
    t = Txn("ONDC:RET11", "P-PIZZA", "L-PIZZA-1")
    cart = [("PZ-FARM", 1, "P0", None), ("C-HAND", 1, "P0", "CG-CRUST"), ("C-LARGE", 1, "P0", "CG-SIZE"),
            ("C-TOMATO", 1, "P0", "CG-TOP"), ("C-MUSH", 1, "P0", "CG-TOP")]
    b = t.select(cart)
    check("error" not in b, "a customized pizza selected: %r" % b.get("error"))
    q = b["message"]["order"]["quote"]
    sums(q)
    got = [(r["@ondc/org/item_id"], r["price"]["value"], r["item"]["parent_item_id"]) for r in rows(q, "item")]
    eq(got, [("PZ-FARM", "269.00", "P0"), ("C-HAND", "0.00", "P0"), ("C-LARGE", "450.00", "P0"),
             ("C-TOMATO", "35.00", "P0"), ("C-MUSH", "35.00", "P0")], "a row per item and option")
    r = rows(q, "item")[2]
    eq(r["item"]["tags"], [tag("type", type="customization"), tag("parent", id="CG-SIZE")],
       "an option's row carries its tags")
    taxes = rows(q, "tax")
    eq([x["price"]["value"] for x in taxes], ["13.45", "0.00", "22.50", "1.75", "1.75"], "tax per row (5%)")
    eq(taxes[2]["item"]["parent_item_id"], "P0", "tax rows name the instance")
    eq(q["price"]["value"], "868.45", "269 + 0 + 450 + 35 + 35, 39.45 tax, 30 delivery, 10 packing")
    # the selection rules of the groups
    for bad, what in [
        ([("PZ-FARM", 1, "P1", None), ("C-LARGE", 1, "P1", "CG-SIZE")], "a size without a crust"),
        ([("PZ-FARM", 1, "P1", None), ("C-HAND", 1, "P1", "CG-CRUST"), ("C-REG", 1, "P1", "CG-SIZE"),
          ("C-LARGE", 1, "P1", "CG-SIZE")], "two sizes"),
        ([("PZ-FARM", 2, "P1", None), ("C-HAND", 1, "P1", "CG-CRUST"), ("C-REG", 2, "P1", "CG-SIZE")],
         "an option's count not its item's"),
        ([("PZ-FARM", 1, "P1", None)], "no crust at all"),
    ]:
        b = t.select(bad)
        eq(b.get("error", {}).get("code"), "30000", "%s refused: %r" % (what, b.get("error")))
    oi = t.init(cart)
    check("error" not in oi, "init: %r" % oi.get("error"))
    eq(oi["message"]["order"]["quote"]["price"]["value"], "868.45", "init quotes the same")
    oc = t.confirm(cart, oi)
    check("error" not in oc, "confirm: %r" % oc.get("error"))
    eq([i["id"] for i in oc["message"]["order"]["items"]], [c[0] for c in cart], "the order's items")
    # the last fresh tomato is taken: another pizza with it is out of stock
    t2 = Txn("ONDC:RET11", "P-PIZZA", "L-PIZZA-1")
    b = t2.select([("PZ-FARM", 1, "P0", None), ("C-HAND", 1, "P0", "CG-CRUST"),
                   ("C-REG", 1, "P0", "CG-SIZE"), ("C-TOMATO", 1, "P0", "CG-TOP")])
    eq(b["error"]["message"], '[{"item_id":"C-TOMATO","error":"40002"}]', "stock per customization")
    st = t.call("status", {"order_id": t.oid})
    eq([r["@ondc/org/item_id"] for r in rows(st["message"]["order"]["quote"], "item")],
       [c[0] for c in cart], "status: the customized order")
    cx = t.call("cancel", {"order_id": t.oid, "cancellation_reason_id": "006"})
    eq(cx["message"]["order"]["state"], "Cancelled", "cancelled")
    b = t2.select([("PZ-FARM", 1, "P0", None), ("C-HAND", 1, "P0", "CG-CRUST"),
                   ("C-REG", 1, "P0", "CG-SIZE"), ("C-TOMATO", 1, "P0", "CG-TOP")])
    check("error" not in b, "the tomato is back in stock after the cancel: %r" % b.get("error"))


def offer_rows(b):
    return [(r["@ondc/org/item_id"], r["price"]["value"]) for r in rows(b["message"]["order"]["quote"], "offer")]


def test_offers_applied_and_refused():
    pages = search({}, "ONDC:RET10", "1.2.5")
    (p,) = providers(pages, "P2-KORA")
    eq([o["id"] for o in p["offers"]], [o["id"] for o in OFFERS], "offers in the 1.2.5 catalog")
    (p,) = providers(search({}, "ONDC:RET10", "1.2.0"), "P2-KORA")
    check("offers" not in p, "not at 1.2.0")
    t = Txn("ONDC:RET10", "P2-KORA", "L-KORA-1", "1.2.5")
    b = t.select([("FM-RICE-5KG", 1)])
    eq(offer_rows(b), [("FLAT20", "-20.00")], "the auto offer applied")
    r = rows(b["message"]["order"]["quote"], "offer")[0]
    eq(r["item"]["tags"], [tag("quote", type="order"), tag("offer", id="FLAT20", type="discount", additive="yes", auto="yes")],
       "the offer row's tags")
    sums(b["message"]["order"]["quote"])
    b = t.select([("FM-RICE-5KG", 1)], offers=[{"id": "FLAT20", "tags": [tag("selection", apply="no")]}])
    eq(offer_rows(b), [], "an auto offer declined")
    b = t.select([("FM-RICE-5KG", 1), ("FM-TOOR-1KG", 1)], offers=[{"id": "PCT10"}])
    eq(offer_rows(b), [("PCT10", "-50.00"), ("FLAT20", "-20.00")],
       "10% of 514.00 held to its 50.00 cap, with the auto offer that adds up")
    sums(b["message"]["order"]["quote"])
    b = t.select([("FM-TOOR-1KG", 4)], offers=[{"id": "B2G1"}])
    eq(offer_rows(b), [("B2G1", "0.00")], "buy 2 get 1: alone, the extra units free")
    r = rows(b["message"]["order"]["quote"], "offer")[0]
    eq(r["@ondc/org/item_quantity"], {"count": 2}, "two extra units for four")
    eq({e["code"]: e["value"] for e in r["item"]["tags"][1]["list"]}["item_id"], "FM-TOOR-1KG", "of toor dal")
    b = t.select([("FM-RICE-5KG", 1)], offers=[{"id": "FREEDEL"}])
    eq(offer_rows(b), [("FREEDEL", "-30.00")], "delivery free")
    eq(rows(b["message"]["order"]["quote"], "offer")[0]["item"]["tags"][0], tag("quote", type="fulfillment"),
       "a fulfillment offer")
    sums(b["message"]["order"]["quote"])
    for offers, cart, path, code, what in [
        ([{"id": "OLD"}], [("FM-RICE-5KG", 1)], "message.order.offers[0].id", "30006", "an expired offer"),
        ([{"id": "NOPE"}], [("FM-RICE-5KG", 1)], "message.order.offers[0].id", "30006", "an unknown offer"),
        ([{"id": "B2G1"}], [("FM-TOOR-1KG", 1)], "message.order.offers[0].id", "30006", "buy 2 with one"),
        ([{"id": "FREEDEL"}, {"id": "B2G1"}], [("FM-TOOR-1KG", 2)], "message.order.offers[1].id", "30006",
         "two non-additive offers"),
        ([{"id": "PCT10"}], [("FM-RICE-5KG", 1)], "message.order.offers[0].id", "30006",
         "an offer for items not in the cart"),
    ]:
        b = t.select(cart, offers=offers)
        e = b.get("error", {})
        eq((e.get("code"), e.get("path")), (code, path), "%s refused: %r" % (what, e))
    # init names the offer, confirm does not: the order keeps it
    cart = [("FM-RICE-5KG", 1), ("FM-TOOR-1KG", 1)]
    b = t.select(cart, offers=[{"id": "PCT10"}])
    oi = t.init(cart, offers=[{"id": "PCT10"}])
    check("error" not in oi, "init: %r" % oi.get("error"))
    eq(offer_rows(oi), [("PCT10", "-50.00"), ("FLAT20", "-20.00")], "on_init keeps the offers")
    sums(oi["message"]["order"]["quote"])
    oc = t.confirm(cart, oi)
    check("error" not in oc, "confirm: %r" % oc.get("error"))
    eq(oc["message"]["order"]["quote"]["price"], oi["message"]["order"]["quote"]["price"], "the same total")
    eq(offer_rows(oc), offer_rows(oi), "on_confirm has the offer rows")


def price_tags(item):
    """an item's price tags as {code: {code: value}}, their codes in order"""
    tags = item["price"].get("tags") or []
    return [t["code"] for t in tags], {t["code"]: {e["code"]: e["value"] for e in t["list"]} for t in tags}


def test_customizable_price_tags_and_menu():
    import re
    for version in ("1.2.0", "1.2.5"):
        (p,) = providers(search({"item": {"descriptor": {"name": "farm"}}}, "ONDC:RET11", version), "P-PIZZA")
        items = {i["id"]: i for i in p["items"]}
        codes, tags = price_tags(items["PZ-FARM"])
        # range first, default_selection second (ONDC's order; the validator
        # reads them by position), each with its two values in order
        eq(codes, ["range", "default_selection"], "%s: the pizza's price tags" % version)
        eq([e["code"] for e in items["PZ-FARM"]["price"]["tags"][0]["list"]], ["lower", "upper"], "range's codes")
        eq([e["code"] for e in items["PZ-FARM"]["price"]["tags"][1]["list"]], ["value", "maximum_value"],
           "default_selection's codes")
        for t in tags.values():
            for v in t.values():
                check(re.fullmatch(r"\d+\.\d\d", v), "a decimal amount: %r" % v)
        # cheapest: 269 with the free hand tossed crust, the free regular
        # size, no topping; dearest: the thin crust (45), large (450) and two
        # toppings (35 + 35); the defaults: hand tossed, regular
        eq(tags["range"], {"lower": "269.00", "upper": "834.00"}, "%s: the price range (not the file's)" % version)
        eq(tags["default_selection"], {"value": "269.00", "maximum_value": "269.00"},
           "%s: the default selection" % version)
        for iid, it in items.items():
            if iid != "PZ-FARM":
                check("tags" not in it["price"], "%s: an option's price has no tags" % iid)
        # the custom menu: a timing, and the items naming it by "{menu}:{rank}"
        cats = {c["id"]: c for c in p["categories"]}
        timing = {e["code"]: e["value"] for t in cats["M1"]["tags"] if t["code"] == "timing" for e in t["list"]}
        eq(sorted(timing), ["day_from", "day_to", "time_from", "time_to"], "the menu's timing")
        eq(items["PZ-FARM"]["category_ids"], ["M1:1"], "the pizza in menu M1 at rank 1")
        for g in ("CG-CRUST", "CG-SIZE", "CG-TOP"):
            cfg = {e["code"]: e["value"] for t in cats[g]["tags"] if t["code"] == "config" for e in t["list"]}
            check({"min", "max", "seq"} <= set(cfg) and int(cfg["min"]) <= int(cfg["max"]), "%s config: %r" % (g, cfg))
    # a size's price moves the range; back again
    for price, upper in (("500.00", "884.00"), ("450.00", "834.00")):
        s, a = F.admin("PATCH", "/seller/v1/items/C-LARGE", {"price": price, "maximum_value": price})
        eq(s, 200, "the large size at %s: %r" % (price, a))
        (p,) = providers(search({"item": {"descriptor": {"name": "farm"}}}, "ONDC:RET11"), "P-PIZZA")
        pz = [i for i in p["items"] if i["id"] == "PZ-FARM"][0]
        eq(price_tags(pz)[1]["range"]["upper"], upper, "the dearest pizza with the large size at %s" % price)


def test_customized_pizza_with_an_offer():
    t = Txn("ONDC:RET11", "P-PIZZA", "L-PIZZA-1", "1.2.5")
    cart = [("PZ-FARM", 1, "P0", None), ("C-THIN", 1, "P0", "CG-CRUST"), ("C-LARGE", 1, "P0", "CG-SIZE"),
            ("C-MUSH", 1, "P0", "CG-TOP")]
    sel = [{"id": "PZ10", "tags": [tag("selection", apply="yes")]}]
    b = t.select(cart, offers=sel)
    check("error" not in b, "the pizza with its offer: %r" % b.get("error"))
    q = b["message"]["order"]["quote"]
    sums(q)
    eq([(r["@ondc/org/item_id"], r["price"]["value"]) for r in rows(q, "item")],
       [("PZ-FARM", "269.00"), ("C-THIN", "45.00"), ("C-LARGE", "450.00"), ("C-MUSH", "35.00")],
       "a row per item and option")
    # 10% of the cart (799.00), under its 100.00 cap
    eq(offer_rows(b), [("PZ10", "-79.90")], "the offer on the customized pizza")
    eq(q["price"]["value"], "799.05", "items 799.00, tax 39.95 (5% a row), delivery 30.00, packing 10.00, "
                                      "offer -79.90")
    oi = t.init(cart, offers=sel)
    flat = lambda qq: [(r["@ondc/org/item_id"], r["@ondc/org/title_type"], r["price"]["value"])  # noqa: E731
                       for r in qq["breakup"]] + [qq["price"]["value"]]
    eq(flat(oi["message"]["order"]["quote"]), flat(q), "on_init quotes the same")
    oc = t.confirm(cart, oi)
    check("error" not in oc, "confirm: %r" % oc.get("error"))
    eq(oc["message"]["order"]["quote"]["price"], q["price"], "on_confirm: the same price")
    check("offers" not in oc["message"]["order"], "on_confirm carries no order.offers (the offer row says it)")
    cx = t.call("cancel", {"order_id": t.oid, "cancellation_reason_id": "006",
                           "descriptor": {"name": "fulfillment", "short_desc": "1"}})
    o = cx["message"]["order"]
    check("offers" not in o, "on_cancel carries no order.offers")
    trail = [{e["code"]: e["value"] for e in tg["list"]} for f in o["fulfillments"] if f["type"] == "Cancel"
             for tg in f.get("tags", []) if tg["code"] == "quote_trail"]
    check(all(x["type"] in ("item", "delivery", "packing", "tax", "misc") for x in trail),
          "quote_trail types are retail 1.2.x's: %r" % sorted({x["type"] for x in trail}))
    eq([(x["type"], x["value"]) for x in trail if x["id"] == "PZ10"], [("misc", "79.90")],
       "the offer given back in the trail, as misc")
    eq(sum(money(x["value"]) for x in trail), -money(q["price"]["value"]), "the trail refunds the whole price")


if __name__ == "__main__":
    F = Fleet(extra={"domains": ["nic2004:52110", "ONDC:RET10", "ONDC:RET11", "ONDC:RET12"]})
    F.start()
    try:
        s, a = F.admin("PUT", "/seller/v1/catalog", catalog())
        eq(s, 200, "the catalog with variants, customizations and offers: %r" % (a,))
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
