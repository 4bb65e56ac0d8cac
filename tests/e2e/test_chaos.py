"""Chaos: kill -9 any process at any moment, and nothing ACKed is lost.

Under a steady load of signed requests (`ondcctl load`), the ingress, the
dispatcher, a worker and the callback process are killed with SIGKILL, one
at a time and all together, at random moments, while supervisord restarts
them. Afterwards every ACKed request must have its on_* at the fake buyer
app (at least once: a callback process killed after the buyer app answered
but before it recorded the answer delivers again, and those duplicates are
counted), its journal row, and exactly one outbox row (the effect happened
once). A request that got no HTTP answer at all (the ingress died under it,
or was down: "refused") was not ACKed and is not counted as lost.

The flows under load are the FLOWS table: each names its endpoint, makes the
request template, and checks what it must after the run (init: one outbox
row per ACKed request). A flow for confirm adds its own check there (no
order twice, stock adds up) without touching the driver.

  python3 tests/e2e/test_chaos.py          # the short run of `make test` (CHAOS_SECONDS=20)
  CHAOS_SECONDS=120 python3 tests/e2e/test_chaos.py    # `make chaos` (scripts/chaos.sh)

Knobs (environment): CHAOS_SECONDS (load length), CHAOS_RATE (requests a
second, default 30), CHAOS_SEED (random seed, printed, for a re-run),
CHAOS_SYNC (journal_sync: fsync, the default, or nosync).
Prints one line of counts: sent, ACKed, NACKed, no answer, delivered,
duplicates, lost (must be 0).
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

from harness import BIN, BUYER, Fleet, Runner, check, eq, load_fixture

SECONDS = float(os.environ.get("CHAOS_SECONDS", "20"))
RATE = float(os.environ.get("CHAOS_RATE", "30"))
SEED = int(os.environ.get("CHAOS_SEED", str(int(time.time()))))
SYNC = os.environ.get("CHAOS_SYNC", "fsync")
VICTIMS = ["ingress", "dispatcher", "worker-order-0", "worker-order-1", "callback", "all"]


class InitFlow:
    """init: the on_init is the effect; it lives in the outbox, once."""
    action = "init"
    callback = "on_init"

    def template(self, fleet):
        return fleet.make(load_fixture("seed-init-request.json"))

    def check(self, fleet, acked, report):
        rows = {}
        for r in table(fleet.ctl("--config", fleet.config, "outbox", "list")):
            if r["action"] == self.callback:
                rows[r["message_id"]] = rows.get(r["message_id"], 0) + 1
        missing = [m for m in acked if m not in rows]
        twice = [m for m in acked if rows.get(m, 0) > 1]
        report["outbox rows twice"] = len(twice)
        eq(missing, [], "an outbox row for every ACKed init")
        eq(twice, [], "no init has two outbox rows (exactly-once effect)")


FLOWS = [InitFlow()]


def table(text):
    lines = [l for l in text.splitlines() if l.strip()]
    head = lines[0].split("\t") if lines else []
    return [dict(zip(head, l.split("\t"))) for l in lines[1:]]


def supervisor(fleet, *args):
    conf = os.path.join(fleet.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True,
                          text=True).stdout


def running_pids(fleet):
    """name -> pid of each process supervisord has RUNNING for over a second."""
    out = {}
    for line in supervisor(fleet, "status").splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "RUNNING" and parts[2] == "pid":
            up = parts[5].split(":")
            if len(up) == 3 and int(up[0]) * 3600 + int(up[1]) * 60 + int(up[2]) >= 1:
                out[parts[0].split(":")[-1]] = int(parts[3].rstrip(","))
    return out


def start_load(fleet, flow, seconds, rate):
    tmpl = os.path.join(fleet.dir, "chaos-%s.json" % flow.action)
    with open(tmpl, "w") as f:
        json.dump(flow.template(fleet), f)
    out = os.path.join(fleet.dir, "chaos-%s.jsonl" % flow.action)
    p = subprocess.Popen([os.path.join(BIN, "ondcctl"), "--config", fleet.config, "load",
                          "--url", "http://127.0.0.1:%d/protocol/v1/%s" % (fleet.port, flow.action),
                          "--seconds", str(seconds), "--rate", str(rate), "--concurrency", "32",
                          "--timeout-ms", "8000", "--key", fleet.buyer_key, "--subscriber", BUYER,
                          "--out", out, tmpl], stderr=subprocess.PIPE, text=True)
    return p, out


def chaos(fleet, until, rng, kills):
    """Kill -9 a random victim every 1.5-3 s until UNTIL."""
    order = []
    while time.time() < until:
        time.sleep(rng.uniform(1.5, 3.0))
        if time.time() >= until:
            break
        if not order:
            order = VICTIMS[:]
            rng.shuffle(order)
        victim = order.pop()
        pids = running_pids(fleet)
        names = ["ingress", "dispatcher", "worker-order-%d" % rng.randint(0, 1), "callback"] \
            if victim == "all" else [victim]
        hit = []
        for n in names:
            if n in pids:
                try:
                    os.kill(pids[n], signal.SIGKILL)
                    hit.append(n)
                except ProcessLookupError:
                    pass
        kills.append((round(time.time() - T0, 1), victim, hit))


def message_of(call):
    try:
        return json.loads(call["raw"])["context"]["message_id"]
    except (ValueError, KeyError):
        return None


T0 = time.time()


def test_chaos_kill_9_loses_nothing():
    rng = random.Random(SEED)
    fleet = Fleet(workers={"order": 2},
                  extra={"journal_lease_ms": 2000, "log_level": "info", "journal_sync": SYNC,
                         "callback": {"backoff_ms": 100, "timeout_ms": 5000}})
    report = {}
    try:
        fleet.start()
        global T0
        T0 = time.time()
        loads = [(flow,) + start_load(fleet, flow, SECONDS, RATE / len(FLOWS)) for flow in FLOWS]
        kills = []
        chaos(fleet, T0 + SECONDS, rng, kills)
        for flow, p, out in loads:
            _, err = p.communicate(timeout=SECONDS + 60)
            check(p.returncode == 0, "ondcctl load: " + err)
        results = []
        for flow, p, out in loads:
            with open(out) as f:
                results += [dict(json.loads(l), flow=flow) for l in f if l.strip()]
        acked = [r for r in results if r["result"] == "ack"]
        want = set(r["message_id"] for r in acked)
        # every ACKed request's on_* arrives; give recovery its time (leases, restarts)
        deadline = time.time() + 30 + SECONDS / 4
        while time.time() < deadline:
            got = set(message_of(c) for c in list(fleet.bap.calls))
            if want <= got:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # late duplicates
        per = {}
        for c in list(fleet.bap.calls):
            m = message_of(c)
            per[m] = per.get(m, 0) + 1
        delivered = [m for m in want if per.get(m)]
        lost = sorted(want - set(delivered))
        noans = [r for r in results if r["result"] in ("no_answer", "refused")]
        report.update({
            "seconds": SECONDS, "seed": SEED, "journal_sync": SYNC, "kills": len(kills),
            "sent": len(results), "ACKed": len(acked),
            "NACKed": len([r for r in results if r["result"] == "nack"]),
            "no answer": len(noans),
            "refused": len([r for r in results if r["result"] == "refused"]),
            "no answer but delivered": len([r for r in noans if per.get(r["message_id"])]),
            "delivered": len(delivered),
            "duplicates": sum(n - 1 for m, n in per.items() if n > 1),
            "lost": len(lost),
        })
        print("chaos: " + ", ".join("%s %s" % (k, v) for k, v in report.items()), flush=True)
        print("chaos: kills " + " ".join("%s:%s%s" % (t, v, "" if h else "(missed)")
                                         for t, v, h in kills), flush=True)
        nacks = {}
        for r in results:
            if r["result"] == "nack":
                nacks[(r["http"], r["code"])] = nacks.get((r["http"], r["code"]), 0) + 1
        if nacks:
            print("chaos: NACKs by (http, code): %r" % nacks, flush=True)
        if lost:
            rows = table(fleet.ctl("--config", fleet.config, "journal", "list"))
            state = {r["message_id"]: r["state"] for r in rows}
            print("chaos: lost, with journal state: %r" % [(m, state.get(m)) for m in lost[:20]])
        check(len(kills) >= max(2, int(SECONDS / 4)), "chaos happened: %r" % kills)
        check(len(acked) > SECONDS * RATE / 4, "most requests were ACKed: %d" % len(acked))
        eq(lost, [], "every ACKed request has its on_* (lost must be 0)")
        rows = table(fleet.ctl("--config", fleet.config, "journal", "list"))
        state = {r["message_id"]: r["state"] for r in rows}
        eq([m for m in want if m not in state], [], "every ACKed request is in the journal")
        eq([m for m in want if state[m] != "done"], [], "every ACKed journal row is done")
        for flow in FLOWS:
            flow.check(fleet, [r["message_id"] for r in acked if r["flow"] is flow], report)
        # a process killed in the last second is still STARTING (startsecs=1)
        deadline = time.time() + 20
        while True:
            status = supervisor(fleet, "status")
            up = all(" RUNNING " in l for l in status.splitlines() if l.strip())
            if up or time.time() > deadline:
                break
            time.sleep(0.5)
        check(up, "every process is back: " + status)
    finally:
        fleet.close()


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
