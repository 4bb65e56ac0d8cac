#!/usr/bin/env python3
"""ONDC conformance: the retail flows played against the real fleet, each
flow's log judged by ONDC's log validation utility (LVU).

    LVU_DIR=/path/to/log-validation-utility python3 scripts/conformance.py
        [--port 4101] [--flows 2,3,4] [--versions 1.2.0,1.2.5] [--save DIR]

LVU_DIR is a built copy of ONDC-Official/log-validation-utility (see
docs/conformance.md). The script starts it on loopback from a temporary
folder (scripts/lvu-serve.js, a throwaway signing key), then starts the fleet (tests/e2e/harness.py) on the demo catalog
and plays each flow as a buyer app would: the buyer's requests signed and
posted to the node, the seller's side (accept, packed, picked up, out for
delivery, delivered, RTO, part cancel, return approvals) driven through
the admin order desk. Every request and every on_* the fake buyer app
received is kept; bap_uri (the loopback sink) becomes the https .test host
of the buyer app's subscriber id, and each flow's log is posted to the
LVU (the first flow twice: the validator's first report after a start
leaves out the schema errors). Every finding is printed, with "findings N" per flow, each marked
seller (an on_* of the order flow), catalog (on_search), buyer (a request
this script made) or validator (a known fault of the validator's own,
VALIDATOR_FAULTS). Exit status: 0 when no flow has a seller finding.
Python standard library only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))

BUYER_ID = "buyer-app.test"
SELLER_ID = "seller-app.test"
BUYER_URI = "https://buyer-app.test/ondc/1.0/"
SELLER_URI = "https://seller-app.test/ondc/1.0/"
CITY = "std:080"
DOMAIN = "ONDC:RET10"
# the domains played: the store (provider, location) and three of its items
# (A, B, C: the flows' carts; C's stock is changed in flows 3 and 6), the
# catalog it comes from (beside the demo catalog's grocers) and the versions
DOMAINS = {
    "ONDC:RET10": dict(provider="111863", location="148273", items=("42602097", "42602101", "42602105"),
                       catalog=None, name="grocery"),
    "ONDC:RET11": dict(provider="P-R11", location="L-R11-1", items=("R11-DOSA", "R11-BIRYANI", "R11-PAYASAM"),
                       catalog="catalog-ret11.json", name="F&B"),
    "ONDC:RET13": dict(provider="P-R13", location="L-R13-1", items=("R13-SOAP", "R13-SHAMPOO", "R13-CREAM"),
                       catalog="catalog-ret13.json", name="beauty and personal care"),
}
DROP = {"gps": "12.974002,77.613458",
        "address": {"name": "Flat 12", "building": "Sunrise Apartments", "locality": "MG Road",
                    "city": "Bengaluru", "state": "Karnataka", "country": "IND",
                    "area_code": "560001"}}
BUYER = {"name": "Asha Rao", "phone": "9886012345", "email": "asha@example.com"}
FINDER_FEE = {"@ondc/org/buyer_app_finder_fee_type": "percent",
              "@ondc/org/buyer_app_finder_fee_amount": "3"}
# the buyer app's static terms: the current ones, and the new ones with
# the date they take effect (a date to come, as ONDC's examples give it)
BAP_TERMS = {"code": "bap_terms", "list": [
    {"code": "static_terms", "value": "https://github.com/ONDC-Official/NP-Static-Terms/buyerNP_BNP/0.9/tc.pdf"},
    {"code": "static_terms_new", "value": "https://github.com/ONDC-Official/NP-Static-Terms/buyerNP_BNP/1.0/tc.pdf"},
    {"code": "effective_date", "value": time.strftime("%Y-%m-%dT00:00:00.000Z",
                                                      time.gmtime(time.time() + 30 * 86400))}]}

# the flows played, per version: (flow id, name)
FLOWS = {
    "1.2.0": [("1", "search and incremental catalog"), ("2", "order to delivery"),
              ("3", "out of stock"), ("4", "buyer cancel"), ("5", "RTO"),
              ("6", "part cancel, returns (reverse QC, liquidation)")],
    "1.2.5": [("2", "order to delivery"), ("3", "out of stock"), ("4", "buyer cancel"),
              ("5", "part cancel, RTO"), ("6", "liquidated return")],
}
BUYER_KEYS = ("search", "select", "init", "confirm", "cancel", "update", "track", "status")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class LVU:
    """ONDC's validator, on loopback, from a temporary folder."""

    def __init__(self, lvu_dir, port):
        self.port = port
        self.warm = False
        self.dir = tempfile.mkdtemp(prefix="ondc-lvu-")
        env = dict(os.environ, LVU_DIR=lvu_dir, PORT=str(port))
        env.pop("SIGN_PRIVATE_KEY", None)
        env.pop("SIGN_PUBLIC_KEY", None)
        self.out = open(os.path.join(self.dir, "lvu.log"), "w+")
        self.proc = subprocess.Popen(["node", os.path.join(TOP, "scripts", "lvu-serve.js")],
                                     cwd=self.dir, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        end = time.time() + 60
        while time.time() < end:
            if self.proc.poll() is not None:
                self.out.seek(0)
                raise RuntimeError("the validator exited: " + self.out.read()[-2000:])
            self.out.seek(0)
            if "listening" in self.out.read():
                return
            time.sleep(0.2)
        raise RuntimeError("the validator did not start in 60 s")

    def validate(self, version, flow, payload, bap_id=BUYER_ID, bpp_id=SELLER_ID, domain=None):
        body = {"domain": domain or DOMAIN, "version": version, "bap_id": bap_id, "bpp_id": bpp_id,
                "flow": flow, "payload": payload}
        req = urllib.request.Request("http://127.0.0.1:%d/api/validate" % self.port,
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read() or b"{}")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def findings(report):
    """Flatten the LVU's report into (key, path, text) rows."""
    rows = []

    def walk(key, path, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(key, path + [str(k)], x)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(key, path + [str(i)], x)
        else:
            rows.append((key, "/".join(path), str(v)))

    if isinstance(report, dict):
        for k, v in report.items():
            walk(k, [], v)
    elif report:
        rows.append(("", "", str(report)))
    return rows


# findings that are the validator's own fault, whatever a seller sends.
# Each: the version, a pattern of the log key and of the finding's text,
# why it is the validator's, where ONDC's own example log gets it too
# (scripts/conformance_official.py), and optionally a check of the node's
# message that must hold for the finding to be set apart (the finding is
# the seller's when it does not). Listed in docs/conformance.md.
def _ful(msg, i=None, kind=None):
    fs = (msg or {}).get("message", {}).get("order", {}).get("fulfillments") or []
    if i is not None:
        return fs[i] if i < len(fs) else {}
    return [f for f in fs if kind is None or f.get("type") == kind]


def _tag(f, code):
    for t in f.get("tags") or []:
        if t.get("code") == code:
            return {e.get("code"): e.get("value") for e in t.get("list") or []}
    return None


def _rto_at(log, key, path, text):
    """the fulfillment the schema error names is the return to origin"""
    import re
    m = re.search(r"/fulfillments/(\d+)/", text)
    return bool(m) and _ful(log.get(key), int(m.group(1))).get("type") == "RTO"


def _delivery_routed(log, key, path, text):
    """the delivery has its routing tag; another fulfillment is the one without"""
    d = _ful(log.get(key), kind="Delivery")
    return bool(d) and (_tag(d[0], "routing") or {}).get("type") in ("P2P", "P2H2P") and len(_ful(log.get(key))) > 1


def _cancel_ful_state(log, key, path, text):
    """the fulfillment flagged is the part cancel's (Cancel, Cancelled), the delivery is Agent-assigned"""
    import re
    m = re.search(r"fulfillmentState\[(.+)\]", path or key)
    fs = {f.get("id"): f for f in _ful(log.get(key))}
    d = _ful(log.get(key), kind="Delivery")
    return (bool(m) and fs.get(m.group(1), {}).get("type") == "Cancel" and bool(d) and
            d[0].get("state", {}).get("descriptor", {}).get("code") == "Agent-assigned")


def _after_part_cancel(log, key, path, text):
    """a part cancel came first: the trail adds up once its refund is counted"""
    msg = log.get(key)
    o = (msg or {}).get("message", {}).get("order", {})
    conf = log.get("on_confirm", {}).get("message", {}).get("order", {}).get("quote", {}).get("price", {})
    if not _ful(msg, kind="Cancel") or not conf:
        return False
    total = float(o.get("quote", {}).get("price", {}).get("value", "0"))
    for f in _ful(msg, kind="Cancel") + _ful(msg, kind="RTO"):
        for t in f.get("tags") or []:
            if t.get("code") == "quote_trail":
                total -= float({e["code"]: e.get("value") for e in t["list"]}.get("value", "0"))
    return round(total, 2) == round(float(conf.get("value", "0")), 2)


def _precancel_ofd(log, key, path, text):
    """precancel_state is the state and time on_status_out_for_delivery gave"""
    ofd = log.get("on_status_out_for_delivery")
    d = _ful(log.get(key), kind="Delivery")
    if not ofd or not d:
        return False
    pre = _tag(d[0], "precancel_state") or {}
    od = _ful(ofd, kind="Delivery")[0]
    return (pre.get("fulfillment_state") == od["state"]["descriptor"]["code"] and
            pre.get("updated_at") == ofd["message"]["order"]["updated_at"])


def _in_select(log, key, path, text):
    """the item was selected"""
    import re
    m = re.search(r"\[(.+)\]", path or key)
    sel = log.get("select", {}).get("message", {}).get("order", {}).get("items") or []
    return bool(m) and m.group(1) in [i.get("id") for i in sel]


def _tax_row_of_item(log, key, path, text):
    """the row is the tax of an item of the order"""
    import re
    m = re.search(r"brkupitemstitles(\d+)", path or key)
    o = log.get(key, {}).get("message", {}).get("order", {})
    rows = o.get("quote", {}).get("breakup") or []
    if not m or int(m.group(1)) >= len(rows):
        return False
    r = rows[int(m.group(1))]
    return r.get("@ondc/org/title_type") == "tax" and r.get("@ondc/org/item_id") in [i["id"] for i in o.get("items", [])]


def _no_part_cancel(log, key, path, text):
    return "on_update_part_cancel" not in log


def _inc_categories_named(log, key, path, text):
    """every category an incremental on_search's items name is a category of
    its provider, in that message or in the full catalog"""
    known = set()
    for k in ("on_search_full_catalog_refresh", key):
        for p in (((log.get(k) or {}).get("message") or {}).get("catalog") or {}).get("bpp/providers", []):
            known |= {c.get("id") for c in p.get("categories", [])}
    inc = ((log.get(key) or {}).get("message") or {}).get("catalog") or {}
    named = {c.split(":")[0] for p in inc.get("bpp/providers", []) for it in p.get("items", [])
             for c in it.get("category_ids", [])}
    return bool(named) and named <= known


def _menu_mapped(log, key, path, text):
    """an item of the provider names the menu in its category_ids ("{menu}:{rank}")"""
    import re
    m = re.search(r"category_id (.+) in providers(\d+)/items", text)
    provs = (((log.get(key) or {}).get("message") or {}).get("catalog") or {}).get("bpp/providers", [])
    if not m or int(m.group(2)) >= len(provs):
        return False
    named = {c.rpartition(":")[0] for it in provs[int(m.group(2))].get("items", [])
             for c in it.get("category_ids", [])}
    return m.group(1) in named


def _offer_rows(log, key, kind=None):
    o = ((log.get(key) or {}).get("message") or {}).get("order") or {}
    out = []
    for r in (o.get("quote") or {}).get("breakup") or []:
        if r.get("@ondc/org/title_type") != "offer":
            continue
        t = _tag(r.get("item") or {}, "offer") or {}
        if kind is None or t.get("type") == kind:
            out.append((r, t))
    return out


def _catalog_offer(log, oid):
    cat = ((log.get("on_search_full_catalog_refresh") or {}).get("message") or {}).get("catalog") or {}
    for p in cat.get("bpp/providers", []):
        for o in p.get("offers") or []:
            if o.get("id") == oid:
                return o, p
    return None, None


def _bxgy_row_value(log, key, path, text):
    """the buyXgetY row's price is its item_value times its units"""
    rows = _offer_rows(log, key, "buyXgetY")
    return bool(rows) and all(abs(float(r["price"]["value"]) - float(t.get("item_value", "nan")) *
                                  int((r.get("@ondc/org/item_quantity") or {}).get("count", 0))) < 0.005
                              for r, t in rows)


def _bxgy_catalog_value(log, key, path, text):
    """the row's item_value is the catalog offer's benefit item_value"""
    rows = _offer_rows(log, key, "buyXgetY")
    for r, t in rows:
        o, _ = _catalog_offer(log, t.get("id"))
        b = _tag(o or {}, "benefit") or {}
        if not o or abs(float(b.get("item_value", "nan")) - float(t.get("item_value", "nan"))) >= 0.005:
            return False
    return bool(rows)


def _bxgy_row(log, key, path, text):
    return bool(_offer_rows(log, key, "buyXgetY"))


def _bxgy_qualified(log, key, path, text):
    """the buyXgetY offer flagged has its qualifier item_count"""
    import re
    m = re.search(r"providers\[(\d+)\]/offers\[(\d+)\]", path or "")
    cat = ((log.get(key) or {}).get("message") or {}).get("catalog") or {}
    try:
        o = cat["bpp/providers"][int(m.group(1))]["offers"][int(m.group(2))]
    except (AttributeError, IndexError, KeyError, TypeError):
        return False
    return o.get("descriptor", {}).get("code") == "buyXgetY" and (_tag(o, "qualifier") or {}).get("item_count")


def _freebie_in_catalog(log, key, path, text):
    """the freebie's item is an item of the offer's provider in the catalog"""
    rows = _offer_rows(log, key, "freebie")
    for r, t in rows:
        _, p = _catalog_offer(log, t.get("id"))
        if not p or t.get("item_id") not in [i.get("id") for i in p.get("items", [])]:
            return False
    return bool(rows)


def _init_offers_as_select(log, key, path, text):
    """init names the offers select named, the same ids"""
    ids = lambda k: sorted(o.get("id") for o in (((log.get(k) or {}).get("message") or {}).get("order") or {}).get("offers") or [])  # noqa: E731
    return bool(ids("select")) and ids("select") == ids("init")


VALIDATOR_FAULTS = [
    dict(version="1.2.5", key="init", text="Offer Id mismatched in select /quote/offer",
         why="compares select's offer ids with init's lower-cased: an id with a capital letter never matches",
         official="(ONDC's offer ids are capitals too, FLAT50; it publishes no offer flow log)",
         holds=_init_offers_as_select),
    dict(version="1.2.5", key="on_search", text="'qualifier' tag must include 'min_value' and 'item_count'",
         why="asks a buyXgetY offer for a min_value beside its item_count; ONDC's own buyXgetY offer has none",
         official="RET10 Discovery_Flow_full_catalog (its offer buy2get3)", holds=_bxgy_qualified),
    dict(version="1.2.5", key="on_select", text="value mismatch benefit_value for tag \"item_value\" in on_select",
         why="compares the row's price (a number) with the tag's item_value (a string) with !==: never equal",
         official="(ONDC publishes no buyXgetY on_select)", holds=_bxgy_row_value),
    dict(version="1.2.5", key="on_select", text="value mismatch benefit_value in catalog",
         why="compares the catalog's item_value (parseInt, a number) with the row's (a string) with !==: never equal",
         official="(ONDC publishes no buyXgetY on_select)", holds=_bxgy_catalog_value),
    dict(version="1.2.5", key="on_select", text="Flow 0092 requires at least one 'buyxgety' offer",
         why="looks for the type 'buyxgety' in lower case, where its catalog rule and its row checks want 'buyXgetY' "
             "(ONDC's enum): no row passes both",
         official="(ONDC publishes no buyXgetY on_select)", holds=_bxgy_row),
    dict(version="1.2.5", key="on_select", text=r"Item\(s\) with ID\(s\) .* not found in catalog  for offer ID",
         why="looks for the freebie's item among the first provider's items only (itemsOnSearch[0]); the offer's "
             "provider is another",
         official="(ONDC's examples have one provider)", holds=_freebie_in_catalog),
    *[dict(version=v, key="on_search", text="No items are mapped with the given category_id",
           why="the custom menu check reads each category_ids entry as numbers (split(':').map(Number)): a menu id "
               "that is not a number becomes NaN and its items are never found (the id check beside it reads the "
               "same entry as text, and Beckn's category ids are strings)",
           official="(ONDC's examples number their menus, \"5:1\", so they pass)", holds=_menu_mapped)
      for v in ("1.2.0", "1.2.5")],
    dict(version="1.2.0", key="on_search_inc", text="should have category_ids one of the Catalog/categories/id",
         why="onSearchIncremental checks each item's category_ids against a set (categoriesId) that it declares "
             "and never fills: every item with category_ids is flagged, its categories sent beside it or not",
         official="(ONDC's only RET11 incremental example carries no items)", holds=_inc_categories_named),
    dict(version="1.2.5", text="Domain should be same in each action",
         why="validateLogsRetailV2 stores the domain, then drops its own store before the checks read it",
         official="every example log"),
    dict(version="1.2.5", text="Self-Pickup object is mandatory for on_status_picked",
         why="onStatusPicked tests an array (always true) instead of its length: every delivery is flagged",
         official="Delivery_Flow, Return_Flow"),
    dict(version="1.2.5", text="Message Ids for /select_out_of_stock and /on_select_out_of_stock api should be same",
         why="checkSelect stores the id only when the stored flow is 3, and that store was dropped first",
         official="Out_Of_Stock_Flow"),
    dict(version="1.2.5", key="on_cancel", text="Should be same as in quote of on_select",
         why="checkQuoteTrail wants a trail at the unit price, checkQuoteTrailSum one at the row's total",
         official="(its Cancellation example orders one unit of each item)"),
    dict(version="1.2.5", key="on_search", text="code should have a valid value in",
         why="the domain the item code rules are chosen by is lost with the dropped store: every code fails, 1:<EAN> too",
         official="Discovery_Flow_full_catalog"),
    dict(version="1.2.5", key="on_search", text="with flow≠002 must have a 'timing' tag with list.type='Self-Pickup'",
         why="a Self-Pickup timing asked of every provider, a delivery-only one too",
         official="Discovery_Flow_full_catalog"),
    dict(version="1.2.5", key="on_update", text="not present in items array",
         why="onUpdate hands checkQuoteTrail an item set that is never filled (the one filled is a block's own of "
             "the same name): every item of an on_update quote_trail is flagged",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow (on_update_part_cancel)"),
    dict(version="1.2.5", key="on_update", text="Address must be updated which is given in /update",
         why="compares the on_update's delivery with the delivery of the last /update; a part cancel has no "
             "/update before it and a return's names no delivery, so it compares with nothing",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow, Return_Flow"),
    dict(version="1.2.5", key="on_status_agent_assigned", text="Fulfillment state should be 'Agent-assigned'",
         why="the state is asked of every fulfillment, the part cancel's Cancel fulfillment too",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow", holds=_cancel_ful_state),
    dict(version="1.2.5", key="on_status_agent_assigned", text="Routing tag with code 'routing' not found",
         why="the routing tag is asked of every fulfillment, the part cancel's Cancel fulfillment too",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow", holds=_delivery_routed),
    dict(version="1.2.5", key="on_cancel|on_status_rto", text=r"/fulfillments/\d+/(start/location must have required "
         r"property '(id|descriptor)'|start/time must have required property 'range'|end must have required property "
         r"'person'|end/location/address must have required property '(name|building|country)')",
         why="the schema holds every fulfillment to the delivery's shape (from the store, its id and name, to a person "
             "at a full address); a return to origin runs the other way",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow (on_cancel)", holds=_rto_at),
    dict(version="1.2.5", key="on_cancel|on_status_rto", text="quote_trail price and item quote price sum for on_cancel",
         why="adds the RTO's trail to the price and compares with on_confirm's, leaving out the refund of the part "
             "cancel before it",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow (on_cancel)", holds=_after_part_cancel),
    dict(version="1.2.5", key="on_cancel|on_status_rto", text="precancel_state.(updated_at|fulfillment_state) of on_cancel",
         why="checkOnStatusOutForDelivery is called with the state 'out-for-delivery' and records the state and "
             "time precancel_state is compared with only for 'on_status_out_for_delivery': never, so on_cancel is "
             "compared with an older message",
         official="Merchant_Side_RTO_and_Part_Order_Cancellation_Flow (updated_at)", holds=_precancel_ofd),
    dict(version="1.2.5", key="on_select", text="does not exist in any fulfillment mapping",
         why="wants a tax row's @ondc/org/item_id to be a fulfillment id; ONDC's examples key an item's tax by the item",
         official="RET11 ORDER_FLOW (its on_select's tax rows)", holds=_tax_row_of_item),
    dict(version="1.2.5", key="on_update", text="Item ID should be present in /select",
         why="compares the order's items with the items of the /update (the return's), not the select's",
         official="Return_Flow", holds=_in_select),
    dict(version="1.2.5", text="should be greater than /on_update_part_cancel context/timestamp",
         why="its liquidation checks compare with a part cancel's time that flow 6 has not got",
         official="Return_Flow", holds=_no_part_cancel),
    dict(version="1.2.5", key="on_update", text="Fulfillments/Cancel is missing in",
         why="its liquidation checks want a part cancel's fulfillment that flow 6 has not got",
         official="Return_Flow", holds=_no_part_cancel),
]


def fault_of(key, path, text, version, log=None):
    """The VALIDATOR_FAULTS entry a finding is, or None."""
    import re
    for f in VALIDATOR_FAULTS:
        if f["version"] != version or not re.search(f["text"], text):
            continue
        if f.get("key") and not re.match(f["key"], key):
            continue
        if f.get("holds") and not (log is not None and f["holds"](log, key, path, text)):
            continue
        return f
    return None


def side(key, text="", version="", path="", log=None):
    if fault_of(key, path, text, version, log):
        return "validator"
    if key.startswith("on_search"):
        return "catalog"
    if key.startswith("on_"):
        return "seller"
    if key.startswith(BUYER_KEYS):
        return "buyer"
    return "validator"


class Play:
    """One transaction played by the buyer app, the seller at the order desk."""

    def __init__(self, fleet, buyer, version, domain=DOMAIN):
        self.f, self.b, self.version, self.domain = fleet, buyer, version, domain
        d = DOMAINS[domain]
        self.provider, self.location = d["provider"], d["location"]
        self.A, self.B, self.C = d["items"]
        self.txn = str(uuid.uuid4())
        self.log = {}
        self.sent = set()
        self.taken = set()
        self.oid = None

    def ctx(self, action):
        c = {"domain": self.domain, "action": action, "country": "IND", "city": CITY,
             "core_version": self.version, "bap_id": BUYER_ID, "bap_uri": self.b.bap.uri,
             "transaction_id": self.txn, "message_id": str(uuid.uuid4()),
             "timestamp": now_ts(), "ttl": "PT30S"}
        if action != "search":
            c["bpp_id"], c["bpp_uri"] = SELLER_ID, SELLER_URI
        return c

    def send(self, action, message, key=None, on_key=None, wait=True, prep=None):
        """ACTION with MESSAGE; KEY/ON_KEY name the request and its answer in
        the log; PREP(body) may stamp the body once its context is made.
        Returns the answer (parsed) or None."""
        time.sleep(0.005)  # timestamps strictly increase
        body = {"context": self.ctx(action), "message": message}
        if prep:
            prep(body)
        raw = json.dumps(body, separators=(",", ":")).encode()
        auth = self.f.sign(raw, subscriber=BUYER_ID, key=self.b.key)
        s, ack, _ = self.f.post("/protocol/v1/" + action, None, sign=False, raw=raw,
                                headers={"Authorization": auth})
        self.sent.add(body["context"]["message_id"])
        if key:
            self.log[key] = body
        if s != 200 or (ack or {}).get("message", {}).get("ack", {}).get("status") != "ACK":
            log("  %s: NACK %s %s" % (action, s, json.dumps(ack)[:300]))
            return None
        if not wait:
            return None
        got = self.b.bap.wait_for(self.b.bap.by_message(body["context"]["message_id"], "on_" + action),
                                  timeout=15)
        if not got:
            log("  on_%s did not arrive" % action)
            return None
        ans = json.loads(got[0]["raw"])
        self.taken.add(id(got[0]))
        if on_key:
            self.log[on_key] = ans
        return ans

    def desk(self, verb, body=None):
        s, a = self.f.admin("POST", "/seller/v1/orders/%s/%s" % (self.oid, verb), body)
        if s != 200:
            raise RuntimeError("order desk %s: %s %r" % (verb, s, a))
        return a

    def pushed(self, key, action=None, timeout=15):
        """The next unsolicited on_* of this transaction, logged as KEY."""
        def pred(c):
            if id(c) in self.taken:
                return False
            b = json.loads(c["raw"])
            return (b["context"]["transaction_id"] == self.txn and
                    b["context"]["message_id"] not in self.sent and
                    (action is None or b["context"]["action"] == action))
        got = self.b.bap.wait_for(pred, timeout=timeout)
        if not got:
            raise RuntimeError("no unsolicited %s for %s" % (action or "message", key))
        self.taken.add(id(got[0]))
        ans = json.loads(got[0]["raw"])
        self.log[key] = ans
        return ans

    def price(self, iid, key="value"):
        """ITEM's price (KEY maximum_value: its MRP, else the price) as the
        last full on_search gave it"""
        cat = self.log["on_search_full_catalog_refresh"]["message"]["catalog"]
        for pr in cat["bpp/providers"]:
            for it in pr.get("items", []):
                if it["id"] == iid:
                    return float(it["price"].get(key) or it["price"]["value"])
        raise RuntimeError("%s is not in the catalog" % iid)

    # -- the buyer's side --
    def search(self):
        msg = {"intent": {"fulfillment": {"type": "Delivery", "end": {"location": {
            "gps": DROP["gps"], "address": {"area_code": DROP["address"]["area_code"]}}}},
                          "payment": dict(FINDER_FEE), "tags": [BAP_TERMS]}}
        return self.send("search", msg, "search_full_catalog_refresh", "on_search_full_catalog_refresh")

    def search_inc(self, start=None, end=None):
        """search with catalog_inc (city "*", as incremental pulls are sent)
        for the changes from START to END (default: the last hour)"""
        now = time.time()
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))  # noqa: E731
        msg = {"intent": {"payment": dict(FINDER_FEE), "tags": [
            BAP_TERMS, {"code": "catalog_inc", "list": [{"code": "start_time", "value": start or iso(now - 3600)},
                                                        {"code": "end_time", "value": end or iso(now)}]}]}}
        def anywhere(body):
            body["context"]["city"] = "*"
        return self.send("search", msg, "search_inc_refresh", "on_search_inc_refresh", prep=anywhere)

    def items(self, cart, with_fid=True):
        out = []
        for iid, n in cart:
            it = {"id": iid, "location_id": self.location, "quantity": {"count": n}}
            if with_fid:
                it["fulfillment_id"] = "1"
            out.append(it)
        return out

    def select(self, cart, key="select", on_key="on_select"):
        msg = {"order": {"provider": {"id": self.provider, "locations": [{"id": self.location}]},
                         "items": self.items(cart, with_fid=False),
                         "fulfillments": [{"end": {"location": {"gps": DROP["gps"], "address": {
                             "area_code": DROP["address"]["area_code"]}}}}],
                         "payment": dict(FINDER_FEE, type="ON-ORDER"), "tags": [BAP_TERMS]}}
        return self.send("select", msg, key, on_key)

    def order_base(self, cart):
        return {"provider": {"id": self.provider, "locations": [{"id": self.location}]},
                "items": self.items(cart),
                "billing": dict(BUYER, address=dict(DROP["address"]), created_at=self.t0, updated_at=self.t0),
                "fulfillments": [{"id": "1", "type": "Delivery", "end": {
                    "location": json.loads(json.dumps(DROP)),
                    "contact": {"phone": BUYER["phone"], "email": BUYER["email"]}}}],
                "payment": dict(FINDER_FEE, type="ON-ORDER", collected_by="BAP")}

    def init(self, cart):
        self.t0 = now_ts()
        o = self.order_base(cart)
        o["tags"] = [{"code": "bap_terms", "list": [{"code": "tax_number", "value": "29AAACB1234C1Z5"}]}]
        return self.send("init", {"order": o}, "init", "on_init")

    def confirm(self, cart, on_init):
        oi = on_init["message"]["order"]
        o = self.order_base(cart)
        self.oid = "O-" + self.txn.replace("-", "")[:16]
        o["id"] = self.oid
        o["state"] = "Created"
        o["quote"] = oi["quote"]
        pay = dict(oi["payment"])
        pay.setdefault("collected_by", "BAP")  # the buyer app collects (on_init at 1.2.5 names no one)
        pay.update({"status": "PAID", "params": {"currency": "INR", "amount": oi["quote"]["price"]["value"],
                                                 "transaction_id": "PAY-" + self.txn[:8]}})
        o["payment"] = pay
        o["fulfillments"][0]["end"]["person"] = {"name": BUYER["name"]}
        o["fulfillments"][0]["tracking"] = False
        for k in ("@ondc/org/TAT", "@ondc/org/category", "@ondc/org/provider_name"):
            v = (self.sel_ful or {}).get(k)
            if v:
                o["fulfillments"][0][k] = v
        # the seller's terms as on_init gave them, and the buyer's own
        o["tags"] = [t for t in oi.get("tags", []) if t.get("code") == "bpp_terms"] + [
                     {"code": "bap_terms", "list": [
                         {"code": "accept_bap_terms", "value": "Y"},
                         {"code": "tax_number", "value": "29AAACB1234C1Z5"}]}]
        def stamp(body):  # created_at is the confirm's own time
            o["created_at"] = o["updated_at"] = body["context"]["timestamp"]
        return self.send("confirm", {"order": o}, "confirm", "on_confirm", prep=stamp)

    def to_confirm(self, cart, search=True):
        """(search ->) select -> init -> confirm."""
        if search:
            self.search()
        sel = self.select(cart)
        self.sel_ful = (sel or {}).get("message", {}).get("order", {}).get("fulfillments", [{}])[0]
        ini = self.init(cart)
        if not ini or "error" in ini:
            raise RuntimeError("init failed: %r" % (ini or {}).get("error"))
        c = self.confirm(cart, ini)
        if not c or "error" in c:
            raise RuntimeError("confirm failed: %r" % (c or {}).get("error"))

    def accept(self):
        """Accepted at the desk: the on_status that tells the buyer app is
        on_status_pending (the fulfillment is Pending)."""
        if self.f.cfg.get("auto_accept"):
            self.send("status", {"order_id": self.oid}, None, "on_status_pending")
        else:
            self.desk("accept")
            self.pushed("on_status_pending", "on_status")

    def status_step(self, verb, key, body=None, action="on_status"):
        self.desk(verb, body)
        return self.pushed(key, action)

    def track(self):
        """The delivery tracked (the desk's tracking URL), then the buyer
        app's track and its on_track."""
        self.desk("tracking", {"url": "https://seller-app.test/track/" + self.oid,
                               "gps": "12.974002,77.613458"})
        return self.send("track", {"order_id": self.oid}, "track", "on_track")

    def settlement(self, key, amount):
        """The buyer app's refund settlement (update_target payment)."""
        msg = {"update_target": "payment", "order": {
            "id": self.oid, "fulfillments": [{"id": self.last_cancel_or_return, "type": self.last_kind}],
            "payment": {"@ondc/org/settlement_details": [{
                "settlement_counterparty": "buyer", "settlement_phase": "refund",
                "settlement_type": "upi", "settlement_amount": amount,
                "settlement_timestamp": now_ts()}]}}}
        return self.send("update", msg, key, None)

    def ret(self, key, on_key, rid, iid, n, reason="001"):
        msg = {"update_target": "item", "order": {"id": self.oid, "fulfillments": [{
            "type": "Return", "tags": [{"code": "return_request", "list": [
                {"code": "id", "value": rid}, {"code": "item_id", "value": iid},
                {"code": "item_quantity", "value": str(n)}, {"code": "reason_id", "value": reason},
                {"code": "reason_desc", "value": "the item is damaged"},
                {"code": "images", "value": "https://buyer-app.test/img/return.png"},
                {"code": "ttl_approval", "value": "PT24H"}, {"code": "ttl_reverseqc", "value": "P3D"},
                {"code": "exchange", "value": "no"}]}]}]}}
        return self.send("update", msg, key, on_key)


def money(v):
    return "%.2f" % v


def now_ts():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def refund(msg, kind):
    """The refund a cancel/return fulfillment's quote_trail adds up to."""
    total = 0
    for f in msg["message"]["order"].get("fulfillments", []):
        if f.get("type") != kind:
            continue
        for t in f.get("tags") or []:
            if t.get("code") == "quote_trail":
                for l in t["list"]:
                    if l["code"] == "value":
                        r, _, p = l["value"].lstrip("-").partition(".")
                        total += int(r) * 100 + int((p + "00")[:2])
    return "%d.%02d" % (total // 100, total % 100)


def last_ful(msg, kind):
    fs = [f for f in msg["message"]["order"].get("fulfillments", []) if f.get("type") == kind]
    return fs[-1]["id"] if fs else ""


# -- the flows: each returns the Play whose log is judged, or a reason it
# cannot be played --

def flow1(p):
    """The full catalog, then a price changed, then the incremental pull
    of what changed since the full one (as a buyer app pulls)."""
    p.search()
    was = p.price(p.B)
    mrp = p.price(p.B, "maximum_value")
    time.sleep(0.01)
    since = now_ts()
    time.sleep(0.01)
    # a rupee more, the MRP with it when it would be below (the catalog
    # keeps the price at most the MRP)
    s, a = p.f.admin("PATCH", "/seller/v1/items/" + p.B, {"price": money(was + 1),
                                                           "maximum_value": money(max(mrp, was + 1))})
    if s != 200:
        raise RuntimeError("price: %s %r" % (s, a))
    time.sleep(0.01)
    ans = p.search_inc(since, now_ts())
    p.f.admin("PATCH", "/seller/v1/items/" + p.B, {"price": money(was), "maximum_value": money(mrp)})
    if ans is None or "error" in ans:
        return "incremental catalog (search with catalog_inc) is not supported yet"
    return None


def flow2(p, cart=None, search=True):
    cart = cart or ((p.A, 1), (p.B, 2))
    p.to_confirm(cart, search)
    p.accept()
    p.status_step("packed", "on_status_packed")
    if p.version == "1.2.5":
        p.status_step("agent-assigned", "on_status_agent_assigned", {"name": "Ravi Kumar", "phone": "9886054321"})
    p.status_step("picked-up", "on_status_picked")
    if p.version == "1.2.5":
        p.track()
    p.status_step("out-for-delivery", "on_status_out_for_delivery")
    p.status_step("delivered", "on_status_delivered")


def flow3(p):
    s, a = p.f.admin("PATCH", "/seller/v1/items/" + p.C, {"stock": 2})
    if s != 200:
        raise RuntimeError("stock: %s %r" % (s, a))
    p.search()
    p.select([(p.C, 4), (p.A, 1)], "select_out_of_stock", "on_select_out_of_stock")
    flow2(p, ((p.C, 2), (p.A, 1)), search=False)


def flow4(p):
    p.to_confirm(((p.A, 1), (p.B, 2)))
    # the descriptor names the fulfillment cancelled (required at 1.2.5)
    p.send("cancel", {"order_id": p.oid, "cancellation_reason_id": "010",
                      "descriptor": {"name": "fulfillment", "short_desc": "1"}}, "cancel", "on_cancel")


def part_cancel(p):
    """The seller cannot supply one item: cancelled before the order is
    accepted (on_update), and the buyer app's refund settlement."""
    c = p.status_step("part-cancel", "on_update_part_cancel",
                      {"item_id": p.A, "count": 1, "reason": "002"}, action="on_update")
    p.last_cancel_or_return, p.last_kind = last_ful(c, "Cancel"), "Cancel"
    p.settlement("update_settlement_part_cancel", refund(c, "Cancel"))


def to_delivery(p, last="delivered"):
    """Accepted, packed, (1.2.5: an agent assigned,) picked up, out for
    delivery, and LAST ("delivered", or None to stop before it)."""
    p.accept()
    p.status_step("packed", "on_status_packed")
    if p.version == "1.2.5":
        p.status_step("agent-assigned", "on_status_agent_assigned", {"name": "Ravi Kumar", "phone": "9886054321"})
    p.status_step("picked-up", "on_status_picked")
    p.status_step("out-for-delivery", "on_status_out_for_delivery")
    if last:
        p.status_step(last, "on_status_delivered")


def liquidation(p):
    """A return the seller refunds without taking the item back."""
    p.ret("update_liquidated", "on_update_interim_liquidated", "R2", p.C, 1)
    liq = p.status_step("return/R2/liquidated", "on_update_liquidated", action="on_update")
    p.last_cancel_or_return, p.last_kind = "R2", "Return"
    p.settlement("update_settlement_liquidated", refund(liq, "Return") if liq else "0.00")


def flow5(p):
    """1.2.0: delivery cancelled after pick-up, back to the store (RTO).
    1.2.5 plays a part cancel before acceptance first, as its flow 5 has."""
    cart = ((p.A, 1), (p.B, 2))
    if p.version == "1.2.5":
        # as ONDC's example of the flow: one unit of two items, the part
        # cancel takes one of them whole
        cart = ((p.B, 1), (p.A, 1))
    p.to_confirm(cart)
    if p.version == "1.2.5":
        part_cancel(p)
    to_delivery(p, last=None)
    p.status_step("rto-initiated", "on_cancel", action="on_cancel")
    p.status_step("rto-delivered", "on_status_rto_delivered/disposed")


def flow6(p):
    """1.2.0: part cancel, delivery, a return through reverse QC and a
    liquidated one. 1.2.5's flow 6 is the liquidated return alone."""
    s, a = p.f.admin("PATCH", "/seller/v1/items/" + p.C, {"stock": 50})
    cart = ((p.C, 3), (p.B, 2), (p.A, 1))
    p.to_confirm(cart)
    if p.version != "1.2.5":
        part_cancel(p)
    to_delivery(p)
    if p.version != "1.2.5":
        # reverse QC: a return approved, picked up, delivered back
        p.ret("update_reverse_qc", "on_update_interim_reverse_qc", "R1", p.C, 1)
        p.status_step("return/R1/approve", "on_update_approval", action="on_update")
        picked = p.status_step("return/R1/picked", "on_update_picked", action="on_update")
        p.last_cancel_or_return, p.last_kind = "R1", "Return"
        p.settlement("update_settlement_reverse_qc", refund(picked, "Return"))
        p.status_step("return/R1/delivered", "on_update_delivered", action="on_update")
    liquidation(p)


PLAYERS = {"1": flow1, "2": flow2, "3": flow3, "4": flow4, "5": flow5, "6": flow6}


def rewrite(msg, sink_uri):
    """The loopback sink's uri becomes the buyer app's .test uri."""
    text = json.dumps(msg).replace(sink_uri, BUYER_URI)
    return json.loads(text)


def igm_flows(lvu, quiet=False):
    """The IGM flows (scripts/conformance_igm.py: 1.0.0, and 2.0.0 as the
    validator's FLOW_1) on a fleet of their own, judged by the same
    validator; every finding printed as the retail ones are. Returns the
    summary rows."""
    import conformance_igm  # noqa: E402 - beside this script
    rows = []
    try:
        res = conformance_igm.run("http://127.0.0.1:%d" % lvu.port)
    except Exception as e:  # noqa: BLE001 - reported like a flow that breaks
        print("IGM flows: could not be played: %s\nfindings -\n" % e, flush=True)
        return [("igm", "IGM", "-", "issue flows", None, "could not be played: %s" % e)]
    for version, name in (("1.0.0", "issue, issue_status"), ("2.0.0", "FLOW_1 issue to close"),
                          ("2.0.0-FLOW_3", "FLOW_3 cascade to a logistics provider")):
        mine, faults = conformance_igm.seller_findings({"response": {"report": res.get(version)}}, version)
        print("IGM %s (%s)" % (version, name), flush=True)
        by = {}
        for kind, found in (("seller", mine), ("validator", faults)):
            for key, v in found.items():
                for fk, text in (v.items() if isinstance(v, dict) else [("", v)]):
                    by[kind] = by.get(kind, 0) + 1
                    if not quiet:
                        print("  [%s] %s%s: %s" % (kind, key, "/" + fk if fk else "", text))
        rep = res.get(version) or {}
        for key, v in (rep.items() if isinstance(rep, dict) else []):
            if key in mine or key in faults:
                continue
            for fk, text in (v.items() if isinstance(v, dict) else [("", v)]):
                kind = "validator" if fk in conformance_igm.VALIDATOR_FAULTS else "buyer"
                by[kind] = by.get(kind, 0) + 1
                if not quiet:
                    print("  [%s] %s%s: %s" % (kind, key, "/" + fk if fk else "", text))
        print("findings %d (%s)\n" % (sum(by.values()), ", ".join("%s %d" % kv for kv in sorted(by.items())) or "none"),
              flush=True)
        rows.append(("igm", "IGM", version, name, by, None))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lvu-dir", default=os.environ.get("LVU_DIR"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("LVU_PORT", "4101")))
    ap.add_argument("--flows", default="1,2,3,4,5,6")
    ap.add_argument("--versions", default="1.2.0,1.2.5")
    ap.add_argument("--domains", default=",".join(DOMAINS),
                    help="the retail domains played (%s)" % ", ".join(DOMAINS))
    ap.add_argument("--save", help="write each flow's log and report into this folder")
    ap.add_argument("--quiet", action="store_true", help="print the counts, not every finding")
    ap.add_argument("--no-igm", dest="igm", action="store_false",
                    help="leave out the IGM flows (scripts/conformance_igm.py)")
    args = ap.parse_args()
    if not args.lvu_dir or not os.path.exists(os.path.join(args.lvu_dir, "ui", "app.js")):
        print("conformance: LVU_DIR must name a built copy of ONDC's log-validation-utility\n"
              "(LVU_DIR/ui/app.js). Build it once:\n"
              "  git clone https://github.com/ONDC-Official/log-validation-utility lvu\n"
              "  cd lvu && npm install && npx tsc\n"
              "then: make conformance LVU_DIR=$PWD/lvu   (see docs/conformance.md)", file=sys.stderr)
        return 2
    import harness  # noqa: E402 - the e2e harness, found through sys.path

    domains = [d if d.startswith("ONDC:") else "ONDC:" + d for d in args.domains.split(",")]
    for d in domains:
        if d not in DOMAINS:
            print("conformance: --domains: %s is not one of %s" % (d, ", ".join(DOMAINS)), file=sys.stderr)
            return 2
    lvu = LVU(args.lvu_dir, args.port)
    summary = []
    fleet = None
    tmp = tempfile.mkdtemp(prefix="ondc-conformance-")
    try:
        # the demo catalog's grocers and a store of each other domain played
        with open(os.path.join(TOP, "etc", "demo-catalog.json")) as fh:
            catalog = json.load(fh)
        for d in domains:
            if DOMAINS[d]["catalog"]:
                with open(os.path.join(TOP, "tests", "fixtures", DOMAINS[d]["catalog"])) as fh:
                    catalog["bpp/providers"] += json.load(fh)["bpp/providers"]
        with open(os.path.join(tmp, "catalog.json"), "w") as fh:
            json.dump(catalog, fh)
        fleet = harness.Fleet(catalog=os.path.join(tmp, "catalog.json"),
                              extra={"subscriber_id": SELLER_ID, "bpp_uri": SELLER_URI,
                                     "domains": ["nic2004:52110"] + list(DOMAINS)})
        fleet.subscriber = SELLER_ID
        buyer = fleet.add_buyer(BUYER_ID)
        fleet.start()
        wanted = set(args.flows.split(","))
        for domain in domains:
            for version in args.versions.split(","):
                for flow, name in FLOWS.get(version, []):
                    if flow not in wanted:
                        continue
                    summary.append(play_flow(args, lvu, fleet, buyer, domain, version, flow, name))
        if fleet:
            fleet.close()
            fleet = None
        if args.igm:
            summary += igm_flows(lvu, args.quiet)
    finally:
        if fleet:
            fleet.close()
        lvu.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return print_summary(summary)


def play_flow(args, lvu, fleet, buyer, domain, version, flow, name):
    """FLOW of DOMAIN at VERSION played, its log judged, every finding
    printed; returns its summary row."""
    p = Play(fleet, buyer, version, domain)
    title = "flow %s (%s) %s %s" % (flow, name, domain, version)
    try:
        why = PLAYERS[flow](p)
    except Exception as e:  # noqa: BLE001 - a flow that breaks is reported, the rest go on
        why = "could not be played: %s" % e
    payload = {k: rewrite(v, buyer.bap.uri) for k, v in p.log.items()}
    if why and not payload:
        print("%s: %s\nfindings -\n" % (title, why), flush=True)
        return (flow, domain, version, name, None, why)
    res = lvu.validate(version, flow, payload, domain=domain)
    if not lvu.warm:
        # its first report with a real log still leaves out the schema
        # errors: the second is the one that counts
        res = lvu.validate(version, flow, payload, domain=domain)
        lvu.warm = True
    report = (res.get("response") or {}).get("report", res.get("response"))
    rows = findings(report) if not res.get("success") else []
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        base = os.path.join(args.save, "%s-%s-flow%s" % (domain.split(":")[1], version, flow))
        with open(base + "-log.json", "w") as fh:
            json.dump(payload, fh, indent=1)
        with open(base + "-report.json", "w") as fh:
            json.dump(res, fh, indent=1)
    print("%s%s" % (title, ": " + why if why else ""), flush=True)
    by = {}
    for key, path, text in rows:
        s = side(key, text, version, path, payload)
        by[s] = by.get(s, 0) + 1
        if not args.quiet:
            print("  [%s] %s%s: %s" % (s, key, "/" + path if path else "", text))
    print("findings %d (%s)\n" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(by.items())) or "none"),
          flush=True)
    return (flow, domain, version, name, by, why)


def print_summary(summary):
    """The table of every flow: the seller's findings (its on_*, on_search
    among them), the buyer requests' and the validator's own. Returns the
    exit status: 0 when every flow was played and no seller finding is
    left."""
    print("summary")
    head = ("flow", "domain", "version", "seller", "on_search", "buyer", "validator", "")
    fmt = "  %-52s %-6s %-7s %6s %9s %5s %9s  %s"
    print(fmt % head)
    bad = 0
    for flow, domain, version, name, by, why in summary:
        label = ("" if flow == "igm" else "%s " % flow) + name
        dom = domain.split(":")[-1]
        if by is None:
            bad += 1
            print(fmt % (label[:52], dom, version, "-", "-", "-", "-", why))
            continue
        seller = by.get("seller", 0) + by.get("catalog", 0)
        bad += seller
        print(fmt % (label[:52], dom, version, seller, by.get("catalog", 0), by.get("buyer", 0),
                     by.get("validator", 0), why or ""))
    print("  %s" % ("every seller finding is zero" if not bad else
                    "%d seller finding(s) or flow(s) not played" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
