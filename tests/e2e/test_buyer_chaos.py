"""Chaos on the buyer side: kill -9 any process of the buyer fleet or the
gateway fleet under load, and nothing answered is lost.

The network of tests/e2e/network.py (a buyer fleet, a gateway fleet, two
seller fleets, one registry file, the buyer app's webhook). Load: client
API requests from a few threads, searches (through the gateway to both
sellers) and selects (straight to seller 0) in turn, while on_search and
on_select flow back. Meanwhile every 1-2 s one process is killed with
SIGKILL (supervisord restarts it): the buyer fleet's ondc-client, ingress,
dispatcher, buyer worker, callback; the gateway fleet's ingress,
dispatcher, gateway worker, callback; now and then all of one fleet's at
once.

Afterwards, every request the client API answered 200 (its message_id
given) must be known (GET on_*), have reached its sellers and have its
answers kept: each search both sellers' on_search, each select its
on_select; and the webhook must have had each on_select. A request that
got no answer, or 503 (a store or the registry that could not be asked),
was not accepted and is not counted. Prints one line of counts.

  CHAOS_SECONDS=20 (load length), CHAOS_RATE=8 (requests a second),
  CHAOS_SEED (random seed, printed)
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Runner, check, eq, load_fixture  # noqa: E402
from network import CITY, DOMAIN, Network  # noqa: E402

SECONDS = float(os.environ.get("CHAOS_SECONDS", "20"))
RATE = float(os.environ.get("CHAOS_RATE", "8"))
SEED = int(os.environ.get("CHAOS_SEED", str(int(time.time()))))
NET = None


def msg(action):
    return load_fixture(os.path.join("retail", action + ".json"))["message"]


def supervisor(node, *args):
    conf = os.path.join(node.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True,
                          text=True).stdout


def running_pids(node):
    """name -> pid of each process supervisord has RUNNING for over a second."""
    out = {}
    for line in supervisor(node, "status").splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "RUNNING" and parts[2] == "pid":
            up = parts[5].split(":")
            if len(up) == 3 and int(up[0]) * 3600 + int(up[1]) * 60 + int(up[2]) >= 1:
                out[parts[0].split(":")[-1]] = int(parts[3].rstrip(","))
    return out


BUYER_VICTIMS = ["client", "ingress", "dispatcher", "worker-buyer", "callback"]
GATEWAY_VICTIMS = ["ingress", "dispatcher", "worker-gateway", "callback"]


def chaos(until, rng, kills):
    plan = []
    while time.time() < until:
        time.sleep(rng.uniform(1.0, 2.0))
        if time.time() >= until:
            break
        if not plan:
            plan = [("buyer", v) for v in BUYER_VICTIMS] + \
                   [("gateway", v) for v in GATEWAY_VICTIMS] + [("buyer", "all"), ("gateway", "all")]
            rng.shuffle(plan)
        fleet, victim = plan.pop()
        node = NET.buyer if fleet == "buyer" else NET.gateway
        pids = running_pids(node)
        names = (BUYER_VICTIMS if fleet == "buyer" else GATEWAY_VICTIMS) if victim == "all" else [victim]
        hit = []
        for n in names:
            for name, pid in pids.items():
                if name == n or name.startswith(n + "-"):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        hit.append(name)
                    except ProcessLookupError:
                        pass
        kills.append((fleet, victim, hit))


def load(until, tid, accepted, refused, lock, rng):
    """One thread's share of the load: searches and selects in turn."""
    i = 0
    period = 4.0 / RATE  # four threads
    while time.time() < until:
        t0 = time.time()
        if i % 2 == 0:
            action, body = "search", {"context": {"domain": DOMAIN, "city": CITY},
                                      "message": msg("search")}
        else:
            sel = msg("select")
            sel["order"]["items"][0]["quantity"]["count"] = rng.randint(1, 3)
            action, body = "select", {"context": {"transaction_id": tid,
                                                  "bpp_id": NET.sellers[0].sub}, "message": sel}
        i += 1
        try:
            s, a = NET.buyer.client("POST", "/buyer/v1/" + action, body, timeout=10)
        except Exception:  # noqa: BLE001 - the client API died under it: not accepted
            s, a = None, None
        with lock:
            if s == 200:
                accepted.append((action, a["message_id"]))
            else:
                refused.append((action, s))
        time.sleep(max(0.0, period - (time.time() - t0)))


def complete(action, mid):
    """Whether request MID has all its answers; its status (or None)."""
    try:
        s, st = NET.buyer.client("GET", "/buyer/v1/on_%s?messageId=%s" % (action, mid), timeout=10)
    except Exception:  # noqa: BLE001 - a process restarting
        return False, None
    if s != 200:
        return False, None
    if action == "search":
        return len(st["sellers"]) == 2, st
    return len(st["answers"]) >= 1, st


def test_kill_9_buyer_and_gateway_loses_nothing():
    rng = random.Random(SEED)
    # a transaction with seller 0 known, for the selects
    s, a = NET.buyer.client("POST", "/buyer/v1/search",
                            {"context": {"domain": DOMAIN, "city": CITY}, "message": msg("search")})
    eq(s, 200, "first search")
    tid = a["transaction_id"]
    end = time.time() + 20
    while time.time() < end and not complete("search", a["message_id"])[0]:
        time.sleep(0.3)
    check(complete("search", a["message_id"])[0], "the first search came back")
    accepted, refused, kills = [], [], []
    lock = threading.Lock()
    until = time.time() + SECONDS
    threads = [threading.Thread(target=load, args=(until, tid, accepted, refused, lock,
                                                   random.Random(SEED + k)), daemon=True)
               for k in range(4)]
    for t in threads:
        t.start()
    chaos(until, rng, kills)
    for t in threads:
        t.join(30)
    # let everything settle: restarted processes, retries
    pending = list(accepted)
    lost = []
    deadline = time.time() + 90
    while pending and time.time() < deadline:
        still = []
        for action, mid in pending:
            ok, _ = complete(action, mid)
            if not ok:
                still.append((action, mid))
        pending = still
        if pending:
            time.sleep(1)
    for action, mid in pending:
        lost.append((action, mid, complete(action, mid)[1]))
    selects = [mid for action, mid in accepted if action == "select"]
    hooked = set()
    for c in NET.hook.calls:
        try:
            ev = json.loads(c["raw"])
            if ev.get("event") == "on_select":
                hooked.add(ev.get("message_id"))
        except ValueError:
            pass
    no_hook = [m for m in selects if m not in hooked]
    print("buyer chaos: seed %d, %.0f s, kills %d, accepted %d (search %d, select %d), "
          "refused %d, lost %d, webhook missing %d"
          % (SEED, SECONDS, len(kills), len(accepted), len(accepted) - len(selects),
             len(selects), len(refused), len(lost), len(no_hook)), flush=True)
    print("buyer chaos: kills " + " ".join("%s:%s%s" % (f, v, "" if h else "(missed)")
                                          for f, v, h in kills), flush=True)
    check(len(kills) >= max(2, int(SECONDS / 3)), "chaos happened: %r" % kills)
    check(len(accepted) >= SECONDS * RATE / 4, "load went on: %d accepted" % len(accepted))
    for action, mid, st in lost[:3]:
        print("lost: %s %s %s" % (action, mid, json.dumps(st)[:800] if st else None))
    eq(len(lost), 0, "every accepted request has all its answers")
    eq(no_hook, [], "every on_select reached the webhook")


def main():
    global NET
    NET = Network(sellers=2, gateway=True, webhook=True)
    NET.buyer.cfg["buyer"]["ttl_s"] = 90
    NET.buyer.write()
    NET.start()
    try:
        return Runner().run(globals())
    finally:
        NET.close()


if __name__ == "__main__":
    sys.exit(main())
