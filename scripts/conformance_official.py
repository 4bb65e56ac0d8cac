#!/usr/bin/env python3
"""ONDC's own example logs through ONDC's validator: the check behind every
finding docs/conformance.md lists as the validator's own fault.

    python3 scripts/conformance_official.py --lvu-dir LVU --spec-git GITDIR
        [--port 4101] [--save DIR] [CASE ...]

GITDIR is a git directory of ONDC-Official/automation-specifications
(branches draft-RET1x-1.2.0/1.2.5; read with `git show`, nothing of it is
copied into the project). Each CASE (default: all) puts one of ONDC's
example flows together as the validator's flow log — the discovery flow's
search and on_search, then the flow's steps, each `action_id` under the
validator's key (CASES below) — and posts it to the validator as
scripts/conformance.py posts the node's own logs. Every finding is printed
with `findings N` per case, so a finding the node gets can be looked up in
the official log's report. Python standard library and PyYAML.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conformance  # noqa: E402 - beside this script

# ONDC's use case folder and full catalog flow, per domain and version
DISCOVERY = {("RET10", "1.2.0"): ("GROCERY", "Search_and_Custom_Menu__Full_Catalog_City_.yaml"),
             ("RET10", "1.2.5"): ("GROCERY", "Discovery_Flow_full_catalog.yaml"),
             ("RET11", "1.2.0"): ("F&B", "Search_and_Custom_Menu__Full_Catalog_City_.yaml"),
             ("RET11", "1.2.5"): ("F&B", "FULL_CATALOG.yaml")}
# action_id of ONDC's examples -> the validator's payload key
COMMON = {"search": "search_full_catalog_refresh", "search_1": "search_full_catalog_refresh",
          "on_search": "on_search_full_catalog_refresh", "on_search1": "on_search_full_catalog_refresh",
          "on_status_accepted": "on_status_pending", "on_status_order_delivered": "on_status_delivered",
          "on_cancel_rto": "on_cancel", "on_status_order_picked": "on_status_picked", "on_status_rto_delivered": "on_status_rto_delivered/disposed"}

# name -> (domain, example branch version, flow file, validator version,
#          validator flow, extra key map); an example of the other version
# is sent as the validator's version (its context's core_version rewritten)
# where ONDC publishes none for a flow at that version.
CASES = {
    "RET10-1.2.5-delivery": ("RET10", "1.2.5", "Delivery_Flow.yaml", "1.2.5", "2", {}),
    "RET10-1.2.5-cancel": ("RET10", "1.2.5", "Cancellation_Flow.yaml", "1.2.5", "4", {}),
    "RET10-1.2.5-rto-part-cancel": (
        "RET10", "1.2.0", "Merchant_Side_RTO_and_Part_Order_Cancellation_Flow.yaml", "1.2.5", "5",
        {"update_settlement_trail": "update_settlement_part_cancel"}),
    "RET10-1.2.0-rto-part-cancel": (
        "RET10", "1.2.0", "Merchant_Side_RTO_and_Part_Order_Cancellation_Flow.yaml", "1.2.0", "5",
        {"update_settlement_trail": "update_settlement_part_cancel"}),
    # the validator's 1.2.5 flow 6 is a liquidated return; ONDC's 1.2.5
    # return example goes through reverse QC: its return request and the
    # seller's answers stand in the liquidation's places
    "RET11-1.2.5-order": ("RET11", "1.2.5", "ORDER_FLOW.yaml", "1.2.5", "2", {}),
    # the incremental push: the discovery flow's search_1 / on_search1 come
    # first (the full catalog), then the push flow's search1 / on_search3
    "RET11-1.2.0-inc": ("RET11", "1.2.0", "Search_and_Custom_Menu__Incremental_Push_.yaml", "1.2.0", "1",
                        {"search1": "search_inc_refresh", "on_search3": "on_search_inc_refresh",
                         "on_search_2": "on_search_inc_refresh"}),
    "RET10-1.2.5-return": (
        "RET10", "1.2.5", "Return_Flow.yaml", "1.2.5", "6",
        {"update_return": "update_liquidated", "on_update_return_init": "on_update_interim_liquidated",
         "on_update_return_delivered": "on_update_liquidated",
         "update_settlement_trail": "update_settlement_liquidated"}),
}


def flow_steps(git, branch, usecase, name):
    import yaml  # PyYAML: ONDC's flows are YAML

    class Loader(yaml.SafeLoader):
        """times stay the strings the examples wrote"""
    Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    text = subprocess.run(["git", "--git-dir", git, "show", "%s:config/flows/%s/%s" % (branch, usecase, name)],
                          check=True, capture_output=True, text=True).stdout
    for step in yaml.load(text, Loader=Loader)["steps"]:
        ex = step.get("examples") or []
        if ex:
            yield step["action_id"], ex[0]["payload"]


def case_log(git, domain, ex_version, flow_file, version, keys):
    branch = "draft-%s-%s" % (domain, ex_version)
    payload = {}
    usecase, discovery = DISCOVERY[(domain, ex_version)]
    for src in (discovery, flow_file):
        for aid, msg in flow_steps(git, branch, usecase, src):
            key = keys.get(aid) or COMMON.get(aid) or aid
            if key in payload:
                continue  # the order flow's own select etc. beside the discovery's
            msg = json.loads(json.dumps(msg))
            msg["context"]["core_version"] = version
            payload[key] = msg
    return payload


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lvu-dir", default=os.environ.get("LVU_DIR"))
    ap.add_argument("--spec-git", required=True, help="git dir of ONDC-Official/automation-specifications")
    ap.add_argument("--port", type=int, default=int(os.environ.get("LVU_PORT", "4101")))
    ap.add_argument("--save", help="write each case's log and report into this folder")
    ap.add_argument("cases", nargs="*", help=" ".join(CASES))
    args = ap.parse_args()
    if not args.lvu_dir or not os.path.exists(os.path.join(args.lvu_dir, "ui", "app.js")):
        print("conformance_official: --lvu-dir must name a built copy of the validator", file=sys.stderr)
        return 2
    lvu = conformance.LVU(args.lvu_dir, args.port)
    try:
        for name in args.cases or CASES:
            domain, ex_version, flow_file, version, flow, keys = CASES[name]
            payload = case_log(args.spec_git, domain, ex_version, flow_file, version, keys)
            ids = (payload.get("on_select") or payload["on_search_full_catalog_refresh"])["context"]
            who = dict(bap_id=ids["bap_id"], bpp_id=ids["bpp_id"], domain="ONDC:" + domain)
            res = lvu.validate(version, flow, payload, **who)
            if not lvu.warm:
                res = lvu.validate(version, flow, payload, **who)
                lvu.warm = True
            report = (res.get("response") or {}).get("report", res.get("response"))
            rows = conformance.findings(report) if not res.get("success") else []
            if args.save:
                os.makedirs(args.save, exist_ok=True)
                with open(os.path.join(args.save, name + "-log.json"), "w") as fh:
                    json.dump(payload, fh, indent=1)
                with open(os.path.join(args.save, name + "-report.json"), "w") as fh:
                    json.dump(res, fh, indent=1)
            print("%s (ONDC's %s %s, validator %s flow %s)" % (name, flow_file, ex_version, version, flow))
            for key, path, text in rows:
                print("  %s%s: %s" % (key, "/" + path if path else "", text))
            print("findings %d\n" % len(rows), flush=True)
    finally:
        lvu.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
