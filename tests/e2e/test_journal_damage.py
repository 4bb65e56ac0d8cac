"""A journal row whose stored body is damaged is dead at once, and nothing
else is lost.

The dispatcher's lease scan reads every pending journal row; one that
journal_get cannot read (MDB_CORRUPTED: its packed body fails the check
that store/pack.c keeps in front of the LZ4 block) can never be handled.
It is marked dead with that scan whatever journal_max_attempts says
(journal.dead, why "row cannot be read"), kept for the operator, and every
other row is handled as usual.

Bad input tried here: one pending journal row (a signed init the order
worker never saw: it was stopped) whose packed body has 16 bytes in its
middle inverted on disk, written with the fleet stopped through lmdb-utils'
mdb_dump and mdb_load (scripts/install-deps.sh installs them). The row's
header and ids are left as they were, so only the body's check finds the
damage. journal_max_attempts is 1000 with journal_lease_ms 500: a row that
turned dead by running out of attempts would take far longer than this
test waits.

Checked: the store itself reports the row as unreadable (ondcctl journal
show) before the fleet comes back, and ondcctl journal list shows it in its
place as one damaged line (id, state, attempts; with --transaction too, as
its transaction's index names it; left out, and said so on stderr, with a
filter on a field it no longer has); after the restart the row is dead
(ondc_journal_dead 1, journal show and journal list --state dead say
state dead after one attempt)
within the first lease scan, logged once as journal.dead "row cannot be
read" before any other row is sent again; the rows around it (one handled
before the damage, two pending beside it, one sent after the restart) all
have their signed on_init at the fake buyer app and are done, the damaged
one gets none; the backlog is empty; no process exited unexpectedly (and
Fleet.close fails on any sanitizer report).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import urllib.request

from harness import BIN, SAN_SLOWDOWN, Fleet, Runner, check, eq, load_fixture, wait_until

F = None
WAIT = 20 * SAN_SLOWDOWN  # generous limits for a slow, loaded machine


# ---- helpers ----

def sup(*args):
    conf = os.path.join(F.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True,
                          text=True).stdout


def ctl(*args):
    """ondcctl against the fleet's config: (exit code, stdout, stderr)."""
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--config", F.config] + list(args),
                       capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def journal(*filters):
    """ondcctl journal list as a list of dicts."""
    lines = [l for l in F.ctl("--config", F.config, "journal", "list", *filters).splitlines() if l]
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:]]


def metric(name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % F.admin_port, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return int(float(line.split()[1]))
    return None


def send_init():
    """A signed init; ACKed. Returns its message_id."""
    req = F.make(load_fixture("seed-init-request.json"))
    status, ans, _ = F.post("/protocol/v1/init", req)
    eq(status, 200, "init answered")
    eq(ans["message"]["ack"]["status"], "ACK", "init ACKed")
    return req["context"]["message_id"]


def on_init(mid):
    return [c for c in list(F.bap.calls) if F.bap.by_message(mid, "on_init")(c)]


def log_events(text):
    """The JSON log lines of TEXT, in order."""
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def damage_body(data_dir, jid):
    """Invert 16 bytes in the middle of journal row JID's packed body, in
    place on disk (the fleet stopped): mdb_dump the journal database, change
    that one value, mdb_load it back over the old one. Row layout
    (store/journal.c): a 24-byte header (u8 version, u8 action, u16
    sender_len, u16 txn_len, u16 msg_len, u32 body_len, u32 stored_len, i64
    received_ms; host order) then sender, transaction_id, message_id and the
    body as stored; version 2 is packed (u32 check, then the LZ4 block)."""
    dump = subprocess.run(["mdb_dump", "-s", "journal", data_dir], capture_output=True,
                          text=True, check=True).stdout.splitlines()
    end = dump.index("HEADER=END")
    header = dump[:end + 1]
    rows = dump[end + 1:dump.index("DATA=END")]
    key = "%016x" % jid
    at = [i for i in range(0, len(rows), 2) if rows[i].strip() == key]
    eq(len(at), 1, "journal row %d in the dump" % jid)
    value = bytearray(bytes.fromhex(rows[at[0] + 1].strip()))
    version, _, sl, tl, ml, _, stored_len, _ = struct.unpack_from("<BBHHHIIq", value)
    eq(version, 2, "the row's body is stored packed")
    body_at = struct.calcsize("<BBHHHIIq") + sl + tl + ml
    eq(len(value), body_at + stored_len, "row length as its header says")
    check(stored_len > 64, "a packed body long enough to damage its middle")
    mid = body_at + stored_len // 2
    for i in range(mid - 8, mid + 8):
        value[i] ^= 0xff
    with tempfile.NamedTemporaryFile("w", dir=F.dir, suffix=".dump", delete=False) as f:
        f.write("\n".join(header + [" " + key, " " + value.hex(), "DATA=END"]) + "\n")
    r = subprocess.run(["mdb_load", "-s", "journal", "-f", f.name, data_dir],
                       capture_output=True, text=True)
    os.unlink(f.name)
    eq(r.returncode, 0, "mdb_load: %s" % r.stderr)


# ---- the test ----

def test_damaged_pending_row_is_dead_at_once_and_the_others_go_on():
    # a request handled before anything goes wrong
    before = send_init()
    check(F.bap.wait_for(F.bap.by_message(before, "on_init"), timeout=WAIT), "on_init before")

    # three more wait in the journal: no order worker to take them
    sup("stop", "ondc:worker-order-0")
    check("STOPPED" in sup("status", "ondc:worker-order-0"), "the order worker stopped")
    bad, *good = [send_init() for _ in range(3)]
    pending = {r["message_id"]: r for r in journal("--state", "pending")}
    for mid in [bad] + good:
        check(mid in pending, "row of %s pending while the worker is away" % mid)
    jid = int(pending[bad]["id"])
    eq(metric("ondc_journal_dead"), 0, "no dead row yet")

    F.stop()
    data_dir = os.path.join(F.dir, "data")
    check(os.path.exists(os.path.join(data_dir, "data.mdb")), "the store under %s" % data_dir)
    damage_body(data_dir, jid)

    # the store itself finds the damage: the row cannot be read, its
    # neighbours can
    rc, _, err = ctl("journal", "show", str(jid))
    check(rc != 0 and "cannot be read" in err and "MDB_CORRUPTED" in err,
          "journal show of the damaged row: rc %d %r" % (rc, err))
    check("state pending" in err, "its state still pending before the restart: %r" % err)
    attempts = int(err.split("attempts ")[1].split(")")[0])

    # journal list shows it in its place, as one damaged line: id, state
    # and attempts (from its pending mark), nothing it cannot read
    rows = journal()
    ids = [int(r["id"]) for r in rows]
    eq(ids, sorted(ids), "journal list oldest first, the damaged row in its place")
    listed = {r["message_id"] for r in rows}
    check(before in listed and all(m in listed for m in good), "its neighbours listed: %r" % rows)
    damaged = [r for r in rows if r["id"] == str(jid)]
    eq(len(damaged), 1, "journal list names the damaged row: %r" % rows)
    eq(damaged[0], {"id": str(jid), "received": "-", "action": "-", "state": "pending",
                    "sender": "damaged: cannot be read (MDB_CORRUPTED), attempts %d" % attempts,
                    "transaction_id": "-", "message_id": "-"}, "the damaged line")
    eq([r["id"] for r in journal("--state", "pending") if r["message_id"] == "-"], [str(jid)],
       "--state pending shows it")
    eq([r for r in journal("--state", "done") if r["id"] == str(jid)], [], "--state done not")
    # its transaction's index still names it
    tid = pending[bad]["transaction_id"]
    by_txn = journal("--transaction", tid)
    eq([(r["id"], r["state"], r["transaction_id"], r["message_id"]) for r in by_txn],
       [(str(jid), "pending", tid, "-")], "--transaction of the damaged row")
    # a filter on a field it no longer has leaves it out, and says so
    for opt in (["--message", bad], ["--action", "init"], ["--since", "1"]):
        rc, out, err = ctl("journal", "list", *opt)
        eq(rc, 0, "journal list %s" % opt)
        check(str(jid) not in [l.split("\t")[0] for l in out.splitlines()],
              "%s leaves the damaged row out: %r" % (opt, out))
        check("1 damaged row not listed" in err, "%s says so: %r" % (opt, err))
    rc, out, err = ctl("journal", "list", "--action", "init", "--state", "done")
    eq(err, "", "no word of a damaged row --state excludes")

    disp_log = os.path.join(F.dir, "run", "logs", "dispatcher-0.log")
    skip = os.path.getsize(disp_log) if os.path.exists(disp_log) else 0
    sup_log = os.path.join(F.dir, "run", "logs", "supervisord.log")
    sup_skip = os.path.getsize(sup_log) if os.path.exists(sup_log) else 0
    F.start()

    # dead at once: the first lease scan, not journal_max_attempts (1000)
    check(wait_until(lambda: metric("ondc_journal_dead") == 1, WAIT), "ondc_journal_dead 1")
    rc, _, err = ctl("journal", "show", str(jid))
    check(rc != 0 and "cannot be read" in err, "still unreadable, kept: %r" % err)
    check("state dead, attempts 1)" in err, "dead with its first attempt: %r" % err)
    dead_rows = journal("--state", "dead")
    eq([(r["id"], r["sender"]) for r in dead_rows],
       [(str(jid), "damaged: cannot be read (MDB_CORRUPTED), attempts 1")],
       "journal list --state dead names it")

    # the rows beside it are handled, and a request sent now too
    after = send_init()
    for mid in good + [after]:
        got = F.bap.wait_for(F.bap.by_message(mid, "on_init"), timeout=WAIT)
        check(got, "on_init of %s" % mid)
        ok, why = F.verify_callback(got[0])
        check(ok, "on_init of %s signed: %s" % (mid, why))
    check(wait_until(lambda: not journal("--state", "pending"), WAIT),
          "nothing left pending: %r" % journal("--state", "pending"))
    eq(metric("ondc_journal_backlog"), 0, "backlog empty")
    eq(metric("ondc_journal_dead"), 1, "one dead row")
    done = {r["message_id"] for r in journal("--state", "done")}
    for mid in [before, after] + good:
        check(mid in done, "row of %s done" % mid)
    eq(on_init(bad), [], "no on_init for the damaged row")

    # logged once, in the scan that found it, before any row was sent again
    with open(disp_log) as f:
        f.seek(skip)
        events = log_events(f.read())
    dead = [e for e in events if e.get("event") == "journal.dead"]
    eq(len(dead), 1, "one journal.dead: %r" % dead)
    eq(dead[0].get("journal_id"), str(jid), "journal.dead names the damaged row")
    eq(dead[0].get("why"), "row cannot be read", "why")
    check("MDB_CORRUPTED" in dead[0].get("error", ""), "error named: %r" % dead[0])
    names = [e.get("event") for e in events]
    resent = [i for i, n in enumerate(names) if n in ("journal.recovered", "journal.redispatch")]
    check(resent, "the pending rows were sent again after the restart")
    check(names.index("journal.dead") < resent[0], "dead in the first scan: %r" % names)

    # no process died on the way
    status = sup("status")
    check(status.strip() and all(" RUNNING " in l for l in status.strip().splitlines()),
          "every process running: %s" % status)
    with open(sup_log) as f:
        f.seek(sup_skip)
        exits = [l for l in f.read().splitlines() if "not expected" in l]
    eq(exits, [], "no unexpected exit")


if __name__ == "__main__":
    F = Fleet(extra={"journal_lease_ms": 500, "journal_max_attempts": 1000})
    F.start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
