#!/usr/bin/env python3
"""conformance_igm.py - play ONDC's IGM flows against a real fleet and have
ONDC's log validation utility (LVU) judge the seller's messages.

    python3 scripts/conformance_igm.py --lvu http://127.0.0.1:PORT [--keep LOGDIR]

Starts the fleet on loopback (tests/e2e/harness.py, built binaries from
ONDC_BIN or build/bin), plays as the buyer app:
  IGM 1.0.0: issue (open) -> on_issue, issue_status -> on_issue_status,
             the desk resolves with a refund -> on_issue_status (unsolicited),
             issue (close);
  IGM 2.0.0 (LVU FLOW_3): the buyer app's issue cascaded to a fake logistics
             provider (a BPP) that asks for information, offers a refund
             and resolves, the buyer app providing, accepting and closing;
  IGM 2.0.0 (LVU FLOW_1): issue_open -> on_issue_processing_1, desk asks for
             information -> on_issue_info_required_1, issue_info_provided_1 ->
             on_issue_processing_2, again (..._2), desk offers a refund ->
             on_issue_resolution_proposed, issue_resolution_accepted ->
             on_issue_resolved, issue_closed;
records every message as sent and received, rewrites the loopback
addresses to https://{subscriber id} (the LVU refuses loopback URLs) and
POSTs each flow to {lvu}/api/validate/igm (version 1.0.0, then 2.0.0 with
flow FLOW_1 and FLOW_3). Prints the report; exit status 0 when no finding
concerns a message the seller sent (keys ret_on_* in 1.0.0, on_* in 2.0.0
but the provider's on_issue_lsp_*, and FLOW_3's issue_lsp_* and
issue_info_lsp_*), 1 otherwise, 2 when the LVU cannot be reached.

As a module: run(lvu_url, keep=None) -> {"1.0.0": report, "2.0.0": report,
"2.0.0-FLOW_3": report, "seller_findings": n}; `make conformance` may import it and add
seller_findings to its own count.
"""
import argparse
import json
import os
import sys
import urllib.request
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
os.environ.setdefault("ONDC_BIN", os.path.join(TOP, "build", "bin"))

import igm_flow as G  # noqa: E402
from harness import Fleet, load_fixture, now_ts  # noqa: E402


class Player:
    def __init__(self, fleet):
        self.F = fleet
        self.used = set()

    def send(self, req, action, message):
        r = json.loads(json.dumps(req))
        r["context"].update(action=action, message_id=str(uuid.uuid4()), timestamp=now_ts())
        r["message"] = json.loads(json.dumps(message))
        self.used.add(r["context"]["message_id"])
        s, a, _ = self.F.post("/protocol/v1/" + action, r)
        if s != 200:
            raise RuntimeError("%s NACKed: %r" % (action, a))
        calls = self.F.bap.wait_for(self.F.bap.by_message(r["context"]["message_id"], "on_" + action),
                                    timeout=5)
        return r, (json.loads(calls[0]["raw"]) if calls else None)

    def pushed(self, tid, action, n):
        def pred(c):
            b = json.loads(c["raw"])
            return (b["context"]["transaction_id"] == tid and b["context"]["action"] == action
                    and b["context"]["message_id"] not in self.used)
        calls = self.F.bap.wait_for(pred, count=n)
        if len(calls) < n:
            raise RuntimeError("no unsolicited %s #%d" % (action, n))
        return json.loads(calls[n - 1]["raw"])

    def desk(self, iid, verb, body=None):
        s, a = self.F.admin("POST", "/seller/v1/issues/%s/%s" % (iid, verb), body)
        if s != 200:
            raise RuntimeError("desk %s: %r" % (verb, a))

    def delivered(self):
        req = self.F.make(load_fixture("seed-init-request.json"))
        o = req["message"]["order"]
        _, ini = self.send(req, "init", req["message"])
        o["quote"] = ini["message"]["order"]["quote"]
        o["payment"] = dict(ini["message"]["order"]["payment"], status="PAID")
        o["id"] = "C" + req["context"]["transaction_id"].replace("-", "")[:20]
        o["created_at"] = o["updated_at"] = now_ts()
        _, c = self.send(req, "confirm", req["message"])
        oid = c["message"]["order"]["id"]
        for verb in ("accept", "packed", "picked-up", "out-for-delivery", "delivered"):
            self.F.admin("POST", "/seller/v1/orders/%s/%s" % (oid, verb))
        order = self.F.admin("GET", "/seller/v1/orders/" + oid)[1]["order"]
        return req, order

    def flow_1_0_0(self):
        req, order = self.delivered()
        r = json.loads(json.dumps(req))
        r["context"].update(domain="ONDC:RET10", core_version="1.0.0", city="std:080")
        ctx, tid = r["context"], r["context"]["transaction_id"]
        iid, created = str(uuid.uuid4()), now_ts()
        acts = [G.v1_action(ctx, "OPEN", "Complaint created", created)]
        log = {}
        log["ret_issue"], log["ret_on_issue"] = self.send(r, "issue", G.v1_issue(ctx, order, iid, created, acts))
        log["ret_issue_status"], log["ret_on_issue_status"] = self.send(r, "issue_status", {"issue_id": iid})
        self.desk(iid, "resolve", {"action": "REFUND", "refund_amount": "20.00",
                                   "short_desc": "Refund to be initiated",
                                   "long_desc": "Refund of 20.00 for the damaged item"})
        log["ret_on_issue_status_unsolicited"] = self.pushed(tid, "on_issue_status", 1)
        acts.append(G.v1_action(ctx, "CLOSE", "Complaint closed", now_ts()))
        log["ret_issue_close"], _ = self.send(r, "issue", G.v1_issue(ctx, order, iid, created, acts,
                                                                     status="CLOSED", rating="THUMBS-UP"))
        return log

    def flow_2_0_0(self):
        req, order = self.delivered()
        r = json.loads(json.dumps(req))
        r["context"].update(domain="ONDC:RET10", core_version="2.0.0", city="std:080")
        ctx, tid = r["context"], r["context"]["transaction_id"]
        iid, created = str(uuid.uuid4()), now_ts()
        log = {}
        acts = [G.v2_action("OPEN", "Complaint created", created)]
        log["issue_open"], on = self.send(r, "issue", G.v2_issue(ctx, order, iid, created, acts))
        log["on_issue_processing_1"] = on
        n = 0
        for k in (1, 2):
            self.desk(iid, "need-info", {"info": "Please share %s" % ("a photo", "the invoice")[k - 1]})
            n += 1
            base = self.pushed(tid, "on_issue", n)
            log["on_issue_info_required_%d" % k] = base
            b = base["message"]["issue"]
            acts = b["actions"] + [G.v2_action("INFO_PROVIDED", "Provided", now_ts(), b["actions"][-1]["id"], "ACTION")]
            log["issue_info_provided_%d" % k], on = self.send(r, "issue", G.v2_issue(ctx, order, iid, created, acts, base=b))
            if k == 1:
                log["on_issue_processing_2"] = on
        self.desk(iid, "resolve", {"action": "REFUND", "refund_amount": "20.00",
                                   "short_desc": "Refund for the damaged item"})
        n += 1
        prop = self.pushed(tid, "on_issue", n)
        log["on_issue_resolution_proposed"] = prop
        b = prop["message"]["issue"]
        rid = b["actions"][-1]["ref_id"]
        acts = b["actions"] + [G.v2_action("RESOLUTION_ACCEPTED", "Accepted", now_ts(), rid)]
        log["issue_resolution_accepted"], on = self.send(r, "issue", G.v2_issue(ctx, order, iid, created, acts, base=b))
        log["on_issue_resolved"] = on
        b = on["message"]["issue"]
        acts = b["actions"] + [G.v2_action("CLOSED", "Complaint closed", now_ts())]
        log["issue_closed"], _ = self.send(r, "issue", G.v2_issue(ctx, order, iid, created, acts,
                                                                  status="CLOSED", base=b))
        return log

    # -- IGM 2.0.0 Flow 3: the seller cascades to a logistics provider --
    def lsp_sent(self, n):
        calls = self.lsp.bap.wait_for(lambda c: c["path"].endswith("/issue"), count=n)
        if len(calls) < n:
            raise RuntimeError("no issue #%d at the logistics provider" % n)
        return json.loads(calls[n - 1]["raw"])

    def lsp_says(self, sent, status, code, desc, resolution=None):
        body = G.lsp_on_issue(sent, self.lsp.subscriber, status, code, desc, resolution)
        s, a, _ = self.lsp.post("/protocol/v1/on_issue", body)
        if s != 200:
            raise RuntimeError("on_issue NACKed: %r" % (a,))
        return body

    def flow_3(self):
        req, order = self.delivered()
        r = json.loads(json.dumps(req))
        r["context"].update(domain="ONDC:RET10", core_version="2.0.0", city="std:080")
        ctx, tid = r["context"], r["context"]["transaction_id"]
        iid, created = str(uuid.uuid4()), now_ts()
        log = {}
        acts = [G.v2_action("OPEN", "Complaint created", created)]
        log["issue_open"], log["on_issue_processing"] = self.send(
            r, "issue", G.v2_issue(ctx, order, iid, created, acts, code="FLM005"))
        n0 = len([c for c in self.lsp.bap.calls if c["path"].endswith("/issue")])
        self.desk(iid, "cascade", {"to": self.lsp.subscriber, "domain": "ONDC:RET10"})
        log["issue_lsp_open"] = sent = self.lsp_sent(n0 + 1)
        log["on_issue_lsp_processing"] = self.lsp_says(sent, "PROCESSING", "PROCESSING",
                                                       "Complaint being processed")
        log["on_issue_lsp_info_required"] = self.lsp_says(sent, "PROCESSING", "INFO_REQUESTED",
                                                          "Please share a photo of the package")
        log["on_issue_info_required"] = base = self.pushed(tid, "on_issue", 1)
        b = base["message"]["issue"]
        acts = b["actions"] + [G.v2_action("INFO_PROVIDED", "Photo: https://buyer.example/p.png",
                                           now_ts(), b["actions"][-1]["id"], "ACTION")]
        log["issue_info_provided"], _ = self.send(r, "issue", G.v2_issue(ctx, order, iid, created, acts,
                                                                         code="FLM005", base=b))
        log["issue_info_lsp_info_provided"] = sent = self.lsp_sent(n0 + 2)
        res = G.lsp_refund("LR1", "20.00", now_ts())
        log["on_issue_lsp_resolution_proposed"] = self.lsp_says(sent, "PROCESSING", "RESOLUTION_PROPOSED",
                                                                "Refund offered", res)
        log["on_issue_resolution_proposed"] = prop = self.pushed(tid, "on_issue", 2)
        b = prop["message"]["issue"]
        acts = b["actions"] + [G.v2_action("RESOLUTION_ACCEPTED", "Accepted", now_ts(),
                                           b["actions"][-1]["ref_id"])]
        log["issue_resolution_accepted"], on = self.send(r, "issue", G.v2_issue(
            ctx, order, iid, created, acts, code="FLM005", base=b))
        log["issue_lsp_resolution_accepted"] = sent = self.lsp_sent(n0 + 3)
        log["on_issue_lsp_resolved"] = self.lsp_says(sent, "RESOLVED", "RESOLVED", "Refund made", res)
        log["on_issue_resolved"] = on
        b = on["message"]["issue"]
        acts = b["actions"] + [G.v2_action("CLOSED", "Complaint closed", now_ts())]
        log["issue_close"], _ = self.send(r, "issue", G.v2_issue(ctx, order, iid, created, acts,
                                                                 status="CLOSED", code="FLM005", base=b))
        log["issue_lsp_close"] = self.lsp_sent(n0 + 4)
        return log


def rewrite(log, bpp_id):
    """The LVU wants https://{id} addresses: loopback ones are rewritten."""
    out = {}
    for k, v in log.items():
        v = json.loads(json.dumps(v))
        c = v["context"]
        c["bap_uri"] = "https://%s/ondc" % c["bap_id"]
        c["bpp_uri"] = "https://%s/ondc" % c.get("bpp_id", bpp_id)
        out[k] = v
    return out


def validate(lvu, version, payload, flow=None, bap="carecommerce.in", bpp="seller.test.local"):
    body = {"domain": "ONDC:RET10", "version": version, "bap_id": bap, "bpp_id": bpp,
            "payload": payload}
    if flow:
        body["flow"] = flow
    req = urllib.request.Request(lvu.rstrip("/") + "/api/validate/igm", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


# Findings of the LVU's own making, checked against ONDC's IGM 2.0.0
# examples (ONDC-NTS-Specifications, branch draft-IGM-2.0.0, Flow1
# on_issue2.yaml): its FLOW_1 list of mandatory refs spells the type
# "FULFILMENT", while its schema's enum and every official example spell
# "FULFILLMENT"; no message can satisfy both. Listed apart, not counted.
VALIDATOR_FAULTS = {"missing_ref_fulfilment"}

# In FLOW_3 the validator keeps one issue id for the whole log, so the
# seller's on_issue after its issue to the logistics provider "should
# match" the provider's issue id; ONDC's Flow 3 examples (issue1.yaml
# ISSUE-1 to the seller app, issue3.yaml ISSUE-2 to the provider) give the
# cascaded issue an id of its own, as the seller app does (with a COMPLAINT
# ref to the buyer app's issue).
VALIDATOR_FAULTS_FLOW_3 = VALIDATOR_FAULTS | {"issue_id"}


# In Flow 3 the seller app sends the on_issue to the buyer app and the
# issue_lsp_* / issue_info_lsp_* to the logistics provider; the
# on_issue_lsp_* are the provider's.
FLOW_3_SELLER = ("issue_lsp_", "issue_info_lsp_")


def seller_findings(report, version):
    """The findings about messages the seller sent, and the known faults."""
    rep = report.get("response", {}).get("report") or {}
    if not isinstance(rep, dict):
        return {"report": rep}, {}
    mine, faults = {}, {}
    known = VALIDATOR_FAULTS_FLOW_3 if version.endswith("FLOW_3") else VALIDATOR_FAULTS
    for k, v in rep.items():
        mine_key = (k.startswith("ret_on_") if version == "1.0.0" else
                    (k.startswith("on_") and not k.startswith("on_issue_lsp_")) or k.startswith(FLOW_3_SELLER))
        if mine_key:
            for fk, fv in (v.items() if isinstance(v, dict) else [("", v)]):
                (faults if fk in known else mine).setdefault(k, {})[fk] = fv
    return mine, faults


def run(lvu, keep=None):
    F = Fleet()
    lsp = F.add_buyer("lsp.logistics.test", typ="BPP")
    F.start()
    try:
        p = Player(F)
        p.lsp = lsp
        logs = {"1.0.0": rewrite(p.flow_1_0_0(), F.subscriber),
                "2.0.0": rewrite(p.flow_2_0_0(), F.subscriber),
                "2.0.0-FLOW_3": rewrite(p.flow_3(), F.subscriber)}
    finally:
        F.close()
    if keep:
        os.makedirs(keep, exist_ok=True)
        for v, log in logs.items():
            with open(os.path.join(keep, "igm-%s.json" % v), "w") as f:
                json.dump(log, f, indent=1)
    out = {"seller_findings": 0}
    validate(lvu, "1.0.0", logs["1.0.0"])  # the first report after a start omits schema errors
    for key, flow in (("1.0.0", None), ("2.0.0", "FLOW_1"), ("2.0.0-FLOW_3", "FLOW_3")):
        v = key[:5]
        rep = validate(lvu, v, logs[key], flow)
        out[key] = rep.get("response", {}).get("report")
        mine, faults = seller_findings(rep, key)
        out["seller_findings"] += sum(len(x) for x in mine.values())
        out["validator_faults"] = out.get("validator_faults", 0) + sum(len(x) for x in faults.values())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lvu", required=True, help="base URL of a running log validation utility")
    ap.add_argument("--keep", help="write the flows' logs (as sent to the LVU) into this folder")
    a = ap.parse_args()
    try:
        res = run(a.lvu, a.keep)
    except OSError as e:
        print("conformance_igm: LVU not reachable: %s" % e, file=sys.stderr)
        return 2
    for v in ("1.0.0", "2.0.0", "2.0.0-FLOW_3"):
        print("== IGM %s" % v)
        print(json.dumps(res[v], indent=1))
    print("IGM seller findings: %d (validator faults set aside: %d)"
          % (res["seller_findings"], res.get("validator_faults", 0)))
    return 0 if res["seller_findings"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
