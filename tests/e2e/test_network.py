"""make network (scripts/network) and the README's walkthrough: a buyer, a
gateway and two seller fleets started by the script from nothing (keys,
tokens, configs, registry, catalogs made on the fly), then every command
of the README's "Buying something" block run as written, with ondcctl buy
only, checking what each prints.

Tried besides: ondcctl buy's bad input (an unknown option, a count of 0,
an item no seller offered, an unknown transaction, confirm before init,
a cancellation reason that is no code, a seller's config instead of the
buyer's), each refused with exit 64 (1 for the unknown transaction) and a
message naming what is wrong; scripts/network status up and down.
"""
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, TOP, Runner, check, eq, port_range  # noqa: E402

DIR = None
BASE = None
OFFSETS = (0, 1, 10, 11, 20, 21, 30, 31, 32)


def free_base():
    """A port base whose every port of the network is free."""
    span = port_range()
    for _ in range(200):
        base = (random.randrange(span[0], span[1] - 40, 10) if span
                else random.randrange(20000, 50000, 100))
        ok = True
        for off in OFFSETS:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", base + off))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return base
    raise RuntimeError("no free port range")


def network(cmd):
    return subprocess.run([sys.executable, os.path.join(TOP, "scripts", "network"), cmd,
                           "--dir", DIR], capture_output=True, text=True,
                          env=dict(os.environ, ONDC_BIN=BIN, NETWORK_PORT_BASE=str(BASE)))


def buy(*args):
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config",
                        os.path.join(DIR, "buyer", "ondc.json"), "buy"] + list(args),
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def walkthrough():
    """The README's commands, in order, as argument lists after `$B`."""
    text = open(os.path.join(TOP, "README.md")).read()
    sec = text[text.index("### Buying something"):]
    block = sec[sec.index("```") + 3:]
    block = block[block.index("\n") + 1:block.index("```")]
    cmds = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words = shlex.split(line)
            eq(words[0], "$B", "the walkthrough uses $B (ondcctl buy) only: %r" % line)
            eq(words[1], "buy", "ondcctl buy: %r" % line)
            cmds.append(words[2:])
    return cmds


def test_network_and_walkthrough():
    cmds = walkthrough()
    eq([c[0] for c in cmds], ["search", "select", "init", "confirm", "status", "show", "cancel"],
       "the walkthrough's steps")
    rc, out, err = buy(*cmds[0])
    eq(rc, 0, "search: %s %s" % (out, err))
    m = re.search(r"^transaction (\S+) .*: 2 sellers answered", out, re.M)
    check(m, "both sellers answered: %s" % out)
    tid = m.group(1)
    for row in (r"seller1\.network\.local\s+111863 Amul Parlour.*42602097\s+Butter milk Amul\s+99\.00 INR",
                r"seller2\.network\.local\s+WF-ORG Whitefield Organics.*WF-EGGS-6\s+Free Range Eggs.*54\.00 INR"):
        check(re.search(row, out), "search table row %s in:\n%s" % (row, out))
    steps = {}
    for c in cmds[1:]:
        args = [tid if a == "T" else a for a in c]
        rc, out, err = buy(*args)
        eq(rc, 0, "%s: %s %s" % (c[0], out, err))
        steps[c[0]] = out
    sel = steps["select"]
    check(re.search(r"Free Range Eggs 6 pcs\s+2\s+108\.00 INR", sel), "select: 2 x 54.00:\n" + sel)
    check(re.search(r"Organic Ragi Flour 1 kg\s+1\s+95\.00 INR", sel), "select: ragi:\n" + sel)
    check(re.search(r"Delivery charges \(delivery\)\s+40\.00 INR", sel), "delivery 40:\n" + sel)
    total = re.search(r"TOTAL\s+(\S+) INR", sel).group(1)
    check(re.search(r"TOTAL\s+%s INR" % re.escape(total), steps["init"]), "init: same total")
    check("payment: ON-ORDER, collected by BAP" in steps["init"], steps["init"])
    m = re.search(r"^order (\S+): Created \(seller seller2\.network\.local, provider WF-ORG\)",
                  steps["confirm"], re.M)
    check(m, "confirm: the order Created:\n" + steps["confirm"])
    oid = m.group(1)
    check(re.search(r"^order %s: Created" % oid, steps["status"], re.M), steps["status"])
    for a in ("on_search", "on_select", "on_init", "on_confirm", "on_status"):
        check(re.search(r"^\d+\s+%s\s" % a, steps["show"], re.M), "show lists %s:\n%s" % (a, steps["show"]))
    check(re.search(r"^order %s: Cancelled" % oid, steps["cancel"], re.M), steps["cancel"])
    # the order as the buyer app keeps it
    rc, out, err = buy("show", "--txn", tid)
    check(re.search(r"^\d+\s+on_cancel\s+seller2\.network\.local\s+Cancelled", out, re.M), out)
    # bad input: refused, with a message naming what is wrong
    for args, code, says in (
            (["select", "--txn", tid, "--item", "WF-EGGS-6:0"], 64, "count must be a whole number"),
            (["select", "--txn", tid, "--item", "NO-SUCH-ITEM"], 64, "no seller offered item NO-SUCH-ITEM"),
            (["select", "--txn", "no-such-txn", "--item", "WF-EGGS-6"], 1, "no transaction no-such-txn"),
            (["select", "--txn", tid], 64, "--item"),
            (["init", "--txn", tid, "--phone", "12ab"], 64, "--phone"),
            (["search", "--sellers", "0"], 64, "--sellers"),
            (["confirm", "--txn", tid, "--item", "x"], 64, "unknown option --item"),
            (["cancel", "--txn", tid, "--reason", "because"], 64, "cancellation reason code"),
            (["search", "extra"], 64, "too many arguments"),
            (["fly"], 64, "unknown command fly")):
        rc, out, err = buy(*args)
        eq(rc, code, "%r: %s %s" % (args, out, err))
        check(says in err, "%r says %r: %s" % (args, says, err))
    # confirm before init, in a new transaction
    rc, out, err = buy("search", "--sellers", "2", "--wait", "10")
    tid2 = re.search(r"^transaction (\S+)", out, re.M).group(1)
    rc, out, err = buy("confirm", "--txn", tid2)
    eq(rc, 64, "confirm before init")
    check("ondcctl buy init" in err and "first" in err, err)
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config",
                        os.path.join(DIR, "seller1", "ondc.json"), "buy", "search"],
                       capture_output=True, text=True)
    eq(r.returncode, 64, "a seller's config")
    check("not a buyer fleet" in r.stderr, r.stderr)


def test_status_up():
    r = network("status")
    eq(r.returncode, 0, "status while up: %s %s" % (r.stdout, r.stderr))
    for n in ("seller1", "seller2", "gateway", "buyer"):
        check(re.search(r"network: %s\s+up" % n, r.stdout), "%s up: %s" % (n, r.stdout))


def main():
    global DIR, BASE
    DIR = tempfile.mkdtemp(prefix="ondc-network-")
    BASE = free_base()
    r = network("start")
    try:
        eq(r.returncode, 0, "scripts/network start: %s %s" % (r.stdout, r.stderr))
        for f in ("registry.json", "buyer/ondc.json", "seller2/keys/signing.key"):
            check(os.path.exists(os.path.join(DIR, f)), "made " + f)
        rc = Runner().run(globals())
    finally:
        network("stop")
    r = network("status")
    if r.returncode == 0:
        print("FAIL: status after stop says up: %s" % r.stdout)
        rc = 1
    if not os.environ.get("KEEP_E2E"):
        shutil.rmtree(DIR, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
