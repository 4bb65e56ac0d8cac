"""A catalog safe to sync, end to end through the admin API and the
network: each rule with a bad input, refused with the field named while
the stored catalog (and its live stock) stays as it was; a re-upload that
keeps the stock orders took, "stock": "set" that resets it; the MRP that
PATCH keeps honest; stock changes in bulk as absolute values and deltas;
the drop-off checked again at init and confirm.

Bad inputs tried here: a provider without locations, without
fulfillments, without seller terms, without settlement details; a
settlement detail of type upi without its address; typos in the seller's
terms (settlment, charges.delivry); amounts as JSON numbers (charges.delivery,
price.value, price.maximum_value); an MRP below the price; a "stock" mode
that does not exist; PATCH of a price above the MRP and of an MRP below
the price; a bulk stock change that would go below 0 (all or nothing) and
one naming no item; init and confirm to a drop-off 30 km away (30009).
"""
import copy
import json
import sys

from harness import Fleet, Runner, check, eq, load_fixture
from seller_flow import call, place_order

F = None


def demo():
    return load_fixture("catalog-demo.json")


def stock(iid):
    s, a = F.admin("GET", "/seller/v1/items/" + iid)
    eq(s, 200, "item %s" % iid)
    return a["stock"]


def test_each_rule_refuses_a_bad_catalog_naming_the_field():
    before = stock("42602101")

    def drop(path, key):
        def f(c):
            o = c
            for k in path:
                o = o[k]
            del o[key]
        return f

    def put(path, key, value):
        def f(c):
            o = c
            for k in path:
                o = o[k]
            o[key] = value
        return f

    P0, P1 = ["bpp/providers", 0], ["bpp/providers", 1]
    cases = [
        ("no locations", drop(P0, "locations"), "bpp/providers[0].locations"),
        ("no fulfillments", drop(P1, "fulfillments"), "bpp/providers[1].fulfillments"),
        ("no seller terms", drop(P0, "seller"), "bpp/providers[0].seller"),
        ("no settlement details", put(P0 + ["seller", "settlement"], "details", []),
         "bpp/providers[0].seller.settlement.details"),
        ("upi without its address", drop(P1 + ["seller", "settlement", "details", 0], "upi_address"),
         "bpp/providers[1].seller.settlement.details[0].upi_address"),
        ("a typo in the terms", put(P0 + ["seller"], "settlment", {}), "bpp/providers[0].seller.settlment"),
        ("a typo in the charges", put(P0 + ["seller", "charges"], "delivry", "5.00"),
         "bpp/providers[0].seller.charges.delivry"),
        ("a charge as a number", put(P0 + ["seller", "charges"], "delivery", 23),
         "bpp/providers[0].seller.charges.delivery"),
        ("a price as a number", put(P0 + ["items", 1, "price"], "value", 27.0),
         "bpp/providers[0].items[1].price.value"),
        ("an MRP as a number", put(P1 + ["items", 0, "price"], "maximum_value", 399),
         "bpp/providers[1].items[0].price.maximum_value"),
        ("an MRP below the price", put(P1 + ["items", 0, "price"], "maximum_value", "300.00"),
         "bpp/providers[1].items[0].price.maximum_value"),
        ("a stock mode that does not exist", put([], "stock", "reset"), "stock"),
    ]
    for what, mutate, field in cases:
        for mode in ("", "?mode=upsert"):
            cat = demo()
            mutate(cat)
            s, a = F.admin("PUT", "/seller/v1/catalog" + mode, cat)
            eq(s, 400, "%s%s: refused" % (what, mode))
            eq(a["error"]["field"], field, "%s: field named" % what)
            eq(a["error"]["code"], "30000", "%s: code" % what)
    eq(stock("42602101"), before, "the stored catalog and its stock unchanged")


def test_a_re_upload_keeps_the_stock_orders_took():
    eq(F.admin("PUT", "/seller/v1/catalog", dict(demo(), stock="set"))[0], 200, "a known start")
    start = stock("42602101")
    place_order(F, (("42602101", 3),))
    eq(stock("42602101"), start - 3, "the order took 3")
    eq(F.admin("PUT", "/seller/v1/catalog", demo())[0], 200, "re-uploaded (replace)")
    eq(stock("42602101"), start - 3, "replace: live stock kept")
    eq(F.admin("PUT", "/seller/v1/catalog?mode=upsert", demo())[0], 200, "re-uploaded (upsert)")
    eq(stock("42602101"), start - 3, "upsert: live stock kept")
    eq(F.admin("PUT", "/seller/v1/catalog?mode=upsert", dict(demo(), stock="set"))[0], 200, "set")
    eq(stock("42602101"), start, "\"stock\": \"set\": the file's count")


def test_patch_keeps_the_mrp_honest():
    s, a = F.admin("GET", "/seller/v1/items/42602105")
    price, mrp = a["price"], a["maximum_value"]
    s, a = F.admin("PATCH", "/seller/v1/items/42602105", {"price": "99.00"})
    eq((s, a["error"]["field"]), (400, "price"), "a price above the MRP: %r" % a)
    s, a = F.admin("PATCH", "/seller/v1/items/42602105", {"maximum_value": "1.00"})
    eq((s, a["error"]["field"]), (400, "maximum_value"), "an MRP below the price")
    s, a = F.admin("PATCH", "/seller/v1/items/42602105", {"maximum_value": 70})
    eq((s, a["error"]["field"]), (400, "maximum_value"), "an MRP as a number")
    s, a = F.admin("GET", "/seller/v1/items/42602105")
    eq((a["price"], a["maximum_value"]), (price, mrp), "unchanged")
    s, a = F.admin("PATCH", "/seller/v1/items/42602105", {"price": "99.00", "maximum_value": "110.00"})
    eq(s, 200, "both together")
    eq(a["item"]["price"]["maximum_value"], "110.00", "MRP")
    s, a = F.admin("PATCH", "/seller/v1/items/42602105", {"price": price, "maximum_value": mrp})
    eq(s, 200, "back")


def test_bulk_stock_changes_absolute_and_deltas():
    a0, r0 = stock("42602101"), stock("FM-RICE-5KG")
    s, a = F.admin("POST", "/seller/v1/stock", {"changes": [
        {"item_id": "42602101", "delta": -5}, {"item_id": "FM-RICE-5KG", "stock": 9},
        {"item_id": "42602101", "delta": 2}]})
    eq(s, 200, "applied: %r" % a)
    eq((stock("42602101"), stock("FM-RICE-5KG")), (a0 - 3, 9), "deltas and an absolute value")
    s, a = F.admin("POST", "/seller/v1/stock", {"changes": [
        {"item_id": "42602101", "delta": 1}, {"item_id": "FM-RICE-5KG", "delta": -10}]})
    eq((s, a["error"]["field"]), (400, "changes[1].delta"), "below 0: the entry named")
    s, a = F.admin("POST", "/seller/v1/stock", {"changes": [{"item_id": "NOPE", "stock": 1}]})
    eq((s, a["error"]["code"]), (404, "30004"), "no such item")
    eq((stock("42602101"), stock("FM-RICE-5KG")), (a0 - 3, 9), "all or nothing")
    F.admin("POST", "/seller/v1/stock", {"changes": [{"item_id": "42602101", "stock": a0},
                                                   {"item_id": "FM-RICE-5KG", "stock": r0}]})


def test_serviceability_checked_again_at_init_and_confirm():
    req = F.make(load_fixture("seed-init-request.json"))
    o = req["message"]["order"]
    o["items"] = [{"id": "42602101", "quantity": {"count": 1}, "fulfillment_id": "1"}]
    ini = call(F, req, "init")
    check("error" not in ini, "near: served")
    far = copy.deepcopy(req)
    far["message"]["order"]["fulfillments"][0]["end"]["location"]["gps"] = "12.7000,77.4000"
    ini = call(F, far, "init")
    eq(ini.get("error", {}).get("code"), "30009", "init 30 km away: %r" % ini.get("error"))
    o["quote"] = call(F, req, "init")["message"]["order"]["quote"]
    o["id"] = "FAR" + req["context"]["transaction_id"][:8]
    far["message"]["order"] = copy.deepcopy(o)
    far["message"]["order"]["fulfillments"][0]["end"]["location"]["gps"] = "12.7000,77.4000"
    c = call(F, far, "confirm")
    eq(c.get("error", {}).get("code"), "30009", "confirm 30 km away: %r" % c.get("error"))
    s, a = F.admin("GET", "/seller/v1/orders/" + o["id"])
    eq(s, 404, "no order made")


if __name__ == "__main__":
    F = Fleet()
    F.start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
