#!/usr/bin/env python3
"""ONDC conformance of variants, customizations and offers: the retail
flow 2 (search, select, init, confirm, status to delivery) played with a
RET12 variant (a T-shirt size) and a RET11 customized pizza (an item and
its options sharing a parent_item_id), at 1.2.0 and 1.2.5; at 1.2.5 the
validator's offer flows (0091 discount, then a cancel; 0092 buyXgetY;
0093 freebie; 0096 delivery) on the demo grocer with the offers of
tests/fixtures/offers-p2-kora.json, the buyer app naming the offer in
select, init and confirm. Each flow's log is judged by ONDC's log
validation utility as scripts/conformance.py judges the grocer's.

    LVU_DIR=/path/to/log-validation-utility python3 scripts/conformance_options.py
        [--port 4101] [--versions 1.2.0,1.2.5] [--no-offers] [--save DIR]

The catalog is the demo catalog with the fashion and food stores of
tests/fixtures/catalog-{fashion,food}-provider.json. Findings are printed
as conformance.py prints them; exit status 0 when none is the seller's
and every flow was played.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conformance as c  # noqa: E402 - beside this script

# the store played per domain: provider, location, its items (conformance's
# DOMAINS shape) and the cart of flow 2
STORES = {
    "ONDC:RET12": (dict(provider="P-TEES", location="L-KORA-1", items=("TEE-BLK-S", "TEE-BLK-M", "TEE-BLK-L"),
                        catalog=None, name="fashion"), (("TEE-BLK-L", 1),)),
    "ONDC:RET11": (dict(provider="P-PIZZA", location="L-PIZZA-1", items=("PZ-FARM", "C-HAND", "C-LARGE"),
                        catalog=None, name="F&B"),
                   (("PZ-FARM", 1, None), ("C-HAND", 1, "CG-CRUST"), ("C-LARGE", 1, "CG-SIZE"),
                    ("C-MUSH", 1, "CG-TOP"))),
}
DROP = {"gps": "12.936000,77.625000",
        "address": {"name": "Flat 3", "building": "Lake View", "locality": "Koramangala",
                    "city": "Bengaluru", "state": "Karnataka", "country": "IND", "area_code": "560095"}}


def items(self, cart, with_fid=True):
    """Play.items with customizations: (id, count, group) rows share the
    instance P0; a group of None is the item itself"""
    out = []
    for row in cart:
        it = {"id": row[0], "location_id": self.location, "quantity": {"count": row[1]}}
        if len(row) > 2:
            it["parent_item_id"] = "P0"
            it["tags"] = [{"code": "type", "list": [{"code": "type",
                                                     "value": "customization" if row[2] else "item"}]}]
            if row[2]:
                it["tags"].append({"code": "parent", "list": [{"code": "id", "value": row[2]}]})
        if with_fid:
            it["fulfillment_id"] = "1"
        out.append(it)
    return out


# the offer flows of the validator (retail 1.2.5): its flow id, the offer the
# buyer app names, the cart, whether the order is then cancelled. The
# offers are tests/fixtures/offers-p2-kora.json, on the demo grocer P2-KORA.
OFFER_STORE = dict(provider="P2-KORA", location="L-KORA-1", items=("FM-RICE-5KG", "FM-TOOR-1KG", "FM-BANANA-1DZ"),
                   catalog=None, name="grocery")
OFFER_FLOWS = (
    ("0091", "discount", "FLAT50", (("FM-RICE-5KG", 1), ("FM-TOOR-1KG", 1)), True),
    ("0092", "buyXgetY", "B2G1", (("FM-TOOR-1KG", 2),), False),
    ("0093", "freebie", "DALFREE", (("FM-RICE-5KG", 1),), False),
    ("0096", "delivery", "FREEDEL", (("FM-RICE-5KG", 1),), False),
)


class OfferPlay(c.Play):
    """Play whose select, init and confirm name the offer chosen"""
    offers = None

    def send(self, action, message, *a, **kw):
        if self.offers is not None and action in ("select", "init", "confirm"):
            message["order"]["offers"] = [{"id": o, "tags": [{"code": "selection", "list": [
                {"code": "apply", "value": "yes"}]}]} for o in self.offers]
        return super().send(action, message, *a, **kw)


def offer_flow(p, cart, cancel):
    p.to_confirm(cart)
    if cancel:
        p.send("cancel", {"order_id": p.oid, "cancellation_reason_id": "010",
                          "descriptor": {"name": "fulfillment", "short_desc": "1"}}, "cancel", "on_cancel")


def judge(args, lvu, buyer, p, version, domain, flow, title, why):
    """P's log through the validator, every finding printed; the number of
    the seller's"""
    payload = {k: c.rewrite(v, buyer.bap.uri) for k, v in p.log.items()}
    res = lvu.validate(version, flow, payload, domain=domain)
    if not lvu.warm:
        res = lvu.validate(version, flow, payload, domain=domain)
        lvu.warm = True
    report = (res.get("response") or {}).get("report", res.get("response"))
    rows = c.findings(report) if not res.get("success") else []
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        base = os.path.join(args.save, "%s-%s-flow%s" % (version, domain[-5:], flow))
        json.dump(payload, open(base + "-log.json", "w"), indent=1)
        json.dump(res, open(base + "-report.json", "w"), indent=1)
    print("%s%s" % (title, ": " + why if why else ""), flush=True)
    by = {}
    for key, path, text in rows:
        s = c.side(key, text, version, path, payload)
        by[s] = by.get(s, 0) + 1
        print("  [%s] %s%s: %s" % (s, key, "/" + path if path else "", text))
    print("findings %d (%s)\n" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(by.items())) or "none"),
          flush=True)
    return by.get("seller", 0) + by.get("catalog", 0) + (1 if why else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lvu-dir", default=os.environ.get("LVU_DIR"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("LVU_PORT", "4101")))
    ap.add_argument("--versions", default="1.2.0,1.2.5")
    ap.add_argument("--no-offers", dest="offers", action="store_false", help="leave out the offer flows (1.2.5)")
    ap.add_argument("--save")
    args = ap.parse_args()
    import harness  # noqa: E402 - the e2e harness, on conformance's sys.path

    cat = json.load(open(os.path.join(c.TOP, "etc", "demo-catalog.json")))
    for f in ("catalog-fashion-provider.json", "catalog-food-provider.json"):
        cat["bpp/providers"].append(json.load(open(os.path.join(c.TOP, "tests", "fixtures", f))))
    offers = json.load(open(os.path.join(c.TOP, "tests", "fixtures", "offers-p2-kora.json")))
    [kora] = [pr for pr in cat["bpp/providers"] if pr["id"] == OFFER_STORE["provider"]]
    kora["offers"] = offers
    # a grocer's prices include the tax (the validator counts a tax row of a
    # non-F&B item as a price above the catalog's), as the demo grocer 111863
    kora["seller"]["charges"].pop("tax_percent", None)
    tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(cat, tmp)
    tmp.close()
    c.Play.items = items
    c.DROP = DROP
    lvu = c.LVU(args.lvu_dir, args.port)
    fleet = None
    seller = 0
    try:
        fleet = harness.Fleet(catalog=tmp.name, extra={
            "subscriber_id": c.SELLER_ID, "bpp_uri": c.SELLER_URI,
            "domains": ["nic2004:52110", "ONDC:RET10", "ONDC:RET11", "ONDC:RET12"]})
        fleet.subscriber = c.SELLER_ID
        buyer = fleet.add_buyer(c.BUYER_ID)
        fleet.start()
        for version in args.versions.split(","):
            for domain, (store, cart) in STORES.items():
                c.DOMAINS[domain] = store
                p = c.Play(fleet, buyer, version, domain)
                why = None
                try:
                    c.flow2(p, cart)
                except Exception as e:  # noqa: BLE001 - reported, the rest go on
                    why = "could not be played: %s" % e
                seller += judge(args, lvu, buyer, p, version, domain, "2",
                                "flow 2 %s %s (%s)" % (domain, version, store["provider"]), why)
        if args.offers and "1.2.5" in args.versions.split(","):
            c.DOMAINS["ONDC:RET10"] = OFFER_STORE
            for flow, kind, offer, cart, cancel in OFFER_FLOWS:
                p = OfferPlay(fleet, buyer, "1.2.5", "ONDC:RET10")
                p.offers = [offer]
                why = None
                try:
                    offer_flow(p, cart, cancel)
                except Exception as e:  # noqa: BLE001 - reported, the rest go on
                    why = "could not be played: %s" % e
                seller += judge(args, lvu, buyer, p, "1.2.5", "ONDC:RET10", flow,
                                "offer flow %s (%s, %s) ONDC:RET10 1.2.5" % (flow, kind, offer), why)
    finally:
        if fleet:
            fleet.close()
        lvu.close()
        os.unlink(tmp.name)
    return 0 if seller == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
