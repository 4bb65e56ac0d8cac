#!/usr/bin/env python3
"""ONDC conformance of variants and customizations: the retail flow 2
(search, select, init, confirm, status to delivery) played with a RET12
variant (a T-shirt size) and a RET11 customized pizza (an item and its
options sharing a parent_item_id), each flow's log judged by ONDC's log
validation utility as scripts/conformance.py judges the grocer's.

    LVU_DIR=/path/to/log-validation-utility python3 scripts/conformance_options.py
        [--port 4101] [--versions 1.2.0] [--save DIR]

The catalog is the demo catalog with the fashion and food stores of
tests/fixtures/catalog-{fashion,food}-provider.json. Findings are printed
as conformance.py prints them; exit status 0 when none is the seller's.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conformance as c  # noqa: E402 - beside this script

STORES = {
    "ONDC:RET12": ("P-TEES", "L-KORA-1", (("TEE-BLK-L", 1),)),
    "ONDC:RET11": ("P-PIZZA", "L-PIZZA-1", (("PZ-FARM", 1, None), ("C-HAND", 1, "CG-CRUST"),
                                          ("C-LARGE", 1, "CG-SIZE"), ("C-MUSH", 1, "CG-TOP"))),
}
DROP = {"gps": "12.936000,77.625000",
        "address": {"name": "Flat 3", "building": "Lake View", "locality": "Koramangala",
                    "city": "Bengaluru", "state": "Karnataka", "country": "IND", "area_code": "560095"}}


def items(self, cart, with_fid=True):
    """Play.items with customizations: (id, count, group) rows share the
    instance P0; a group of None is the item itself"""
    out = []
    for row in cart:
        it = {"id": row[0], "location_id": c.LOCATION, "quantity": {"count": row[1]}}
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lvu-dir", default=os.environ.get("LVU_DIR"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("LVU_PORT", "4101")))
    ap.add_argument("--versions", default="1.2.0")
    ap.add_argument("--save")
    args = ap.parse_args()
    import harness  # noqa: E402 - the e2e harness, on conformance's sys.path

    cat = json.load(open(os.path.join(c.TOP, "etc", "demo-catalog.json")))
    for f in ("catalog-fashion-provider.json", "catalog-food-provider.json"):
        cat["bpp/providers"].append(json.load(open(os.path.join(c.TOP, "tests", "fixtures", f))))
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
            for domain, (pid, loc, cart) in STORES.items():
                c.DOMAIN, c.PROVIDER, c.LOCATION = domain, pid, loc
                p = c.Play(fleet, buyer, version)
                why = None
                try:
                    c.flow2(p, cart)
                except Exception as e:  # noqa: BLE001 - reported, the rest go on
                    why = "could not be played: %s" % e
                payload = {k: c.rewrite(v, buyer.bap.uri) for k, v in p.log.items()}
                res = lvu.validate(version, "2", payload)
                if not lvu.warm:
                    res = lvu.validate(version, "2", payload)
                    lvu.warm = True
                report = (res.get("response") or {}).get("report", res.get("response"))
                rows = c.findings(report) if not res.get("success") else []
                if args.save:
                    os.makedirs(args.save, exist_ok=True)
                    base = os.path.join(args.save, "%s-%s-flow2" % (version, domain[-5:]))
                    json.dump(payload, open(base + "-log.json", "w"), indent=1)
                    json.dump(res, open(base + "-report.json", "w"), indent=1)
                print("flow 2 %s %s (%s)%s" % (domain, version, pid, ": " + why if why else ""), flush=True)
                by = {}
                for key, path, text in rows:
                    s = c.side(key, text, version)
                    by[s] = by.get(s, 0) + 1
                    print("  [%s] %s%s: %s" % (s, key, "/" + path if path else "", text))
                seller += by.get("seller", 0) + by.get("catalog", 0)
                print("findings %d (%s)\n" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(by.items()))
                                              or "none"), flush=True)
    finally:
        if fleet:
            fleet.close()
        lvu.close()
        os.unlink(tmp.name)
    return 0 if seller == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
