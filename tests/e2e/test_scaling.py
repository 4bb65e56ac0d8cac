"""More copies of a stage: two ingress processes sharing the network listener
(ingress_copies, SO_REUSEPORT) and two order workers, on one LMDB store.

What must hold: supervisord runs every copy; connections land on both
ingress copies; every request is ACKed once and journaled once (no journal
id handed out twice across the copies); every on_init arrives exactly once
with the seed quote; a message_id sent again through the other copy is a
duplicate, not a second order of work; the admin listener is one ondc-admin
whatever ingress_copies says, and /ready counts both ingress copies.

Bad inputs tried here: the same request sent twice over new connections
(so it may reach the other copy), and the same message_id with another body.
"""
import json
import os
import subprocess
import sys
import time

from harness import Fleet, Runner, check, eq, load_fixture

F = None
N = 40


def on_init(mid):
    return [c for c in list(F.bap.calls) if F.bap.by_message(mid, "on_init")(c)]


def sup(*args):
    conf = os.path.join(F.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True,
                          text=True).stdout


def test_every_copy_runs():
    status = sup("status")
    for name in ["ingress-0", "ingress-1", "admin", "worker-order-0", "worker-order-1"]:
        line = [l for l in status.splitlines() if l.split() and l.split()[0] == "ondc:" + name]
        check(line and "RUNNING" in line[0], "%s running: %s" % (name, status))
    eq(len([l for l in status.splitlines() if l.startswith("ondc:admin")]), 1, "one ondc-admin")


def test_requests_spread_over_both_copies_and_each_is_done_once():
    mids = []
    for _ in range(N):
        req = F.make(load_fixture("seed-init-request.json"))
        s, a, _ = F.post("/protocol/v1/init", req)  # a new connection each time
        eq(s, 200, "ACK")
        eq(a, {"message": {"ack": {"status": "ACK"}}}, "ACK body")
        mids.append(req["context"]["message_id"])
    for mid in mids:
        calls = F.bap.wait_for(F.bap.by_message(mid, "on_init"))
        check(calls, "on_init for %s" % mid)
    time.sleep(1.0)  # a second delivery, if one were coming
    for mid in mids:
        calls = on_init(mid)
        eq(len(calls), 1, "exactly one on_init for %s" % mid)
        body = json.loads(calls[0]["raw"])
        eq(body["message"]["order"]["quote"]["price"]["value"], "147.00", "seed quote")
    # each copy ACKed some of them (debug log: request.ack per request)
    want = set(mids)
    acks = []
    for i in (0, 1):
        n = 0
        for line in F.logs("ingress-%d.log" % i).splitlines():
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            n += ev.get("event") == "request.ack" and ev.get("message_id") in want
        acks.append(n)
    eq(sum(acks), N, "every ACK logged by one copy: %s" % acks)
    check(acks[0] > 0 and acks[1] > 0, "connections spread over both copies: %s" % acks)
    # one journal row per request, ids unique across the copies
    # (journal list: id received action state sender transaction_id message_id)
    rows = [l.split("\t") for l in F.ctl("--config", F.config, "journal", "list").splitlines()[1:]]
    ours = [r for r in rows if len(r) >= 7 and r[6] in set(mids)]
    eq(len(ours), N, "one journal row per request")
    eq(len(set(r[0] for r in ours)), N, "journal ids unique across copies")
    check(all(r[3] == "done" for r in ours), "every row done: %s" % [r[3] for r in ours])


def test_a_repeat_on_either_copy_is_a_duplicate():
    req = F.make(load_fixture("seed-init-request.json"))
    raw = json.dumps(req, separators=(",", ":")).encode()
    answers = [F.post("/protocol/v1/init", None, raw=raw) for _ in range(6)]
    for s, a, _ in answers:
        eq(s, 200, "the same request again is ACKed (the buyer app's retry)")
    mid = req["context"]["message_id"]
    F.bap.wait_for(F.bap.by_message(mid, "on_init"))
    time.sleep(1.0)
    eq(len(on_init(mid)), 1, "processed once however many copies saw it")
    other = json.loads(json.dumps(req))
    other["message"]["order"]["items"][0]["quantity"]["count"] = 2
    s, a, _ = F.post("/protocol/v1/init", other)
    eq(s, 400, "same message_id, another body")
    eq(a["error"]["code"], "30000", "NACK code")


def test_admin_is_one_process_and_ready_counts_both_ingress_copies():
    for _ in range(6):
        s, body = F.admin("GET", "/ready")
        eq(s, 200, "/ready: %s" % body)
        eq((body["checks"]["ingress"]["alive"], body["checks"]["ingress"]["configured"]), (2, 2),
           "both ingress copies alive")


if __name__ == "__main__":
    F = Fleet(workers={"order": 2}, extra={"ingress_copies": 2}).start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close(keep=False)
    sys.exit(rc)
