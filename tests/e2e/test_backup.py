"""Backup of a live store and its restore: `mdb_copy -c` while the fleet
takes requests, the store lost, the copy put in its place, the fleet
started on it, and a request from before the backup replayed.

What is checked: the copy is consistent (every journal row done has its
outbox row: a worker commits both in one transaction), holds every request
ACKed before it began and none sent after it ended, and the restored fleet
replays a row from it (its on_init reaches the buyer app again, signed,
with the seed quote) and takes new requests.
"""
import json
import os
import shutil
import subprocess
import sys
import threading

from harness import Fleet, Runner, check, eq, load_fixture

F = None


def table(text):
    return [l.split("\t") for l in text.splitlines()[1:] if l]


def init():
    req = F.make(load_fixture("seed-init-request.json"))
    st, ans, _ = F.post("/protocol/v1/init", req)
    eq(st, 200, "ACK: %r" % ans)
    return req["context"]["message_id"]


def test_backup_of_a_live_store_restores_and_replays():
    before = [init() for _ in range(3)]
    for mid in before:
        check(F.bap.wait_for(F.bap.by_message(mid, "on_init")), "on_init before the backup")
    # the copy is made while requests keep coming
    stop = threading.Event()
    during = []

    def load():
        while not stop.is_set():
            during.append(init())

    t = threading.Thread(target=load)
    t.start()
    backup = os.path.join(F.dir, "backup")
    os.mkdir(backup)
    try:
        r = subprocess.run(["mdb_copy", "-c", os.path.join(F.dir, "data"), backup],
                           capture_output=True, text=True, timeout=60)
    finally:
        stop.set()
        t.join()
    eq(r.returncode, 0, "mdb_copy -c: %s" % r.stderr)
    check(during, "requests were taken during the copy")
    after = init()
    check(F.bap.wait_for(F.bap.by_message(after, "on_init")), "on_init after the backup")

    # the store is lost; the backup takes its place
    F.stop()
    shutil.rmtree(os.path.join(F.dir, "data"))
    os.mkdir(os.path.join(F.dir, "data"))
    shutil.copy(os.path.join(backup, "data.mdb"), os.path.join(F.dir, "data", "data.mdb"))
    F.start()

    rows = table(F.ctl("--config", F.config, "journal", "list"))
    by_mid = {r[6]: r for r in rows}
    for mid in before:
        check(mid in by_mid, "%s (ACKed before the backup) restored" % mid)
    check(after not in by_mid, "the request sent after the backup is not in it")
    outbox = {r[7] for r in table(F.ctl("--config", F.config, "outbox", "list"))}
    for r in rows:
        if r[3] == "done":
            check(r[6] in outbox, "journal row %s done has its outbox row" % r[0])

    # replay a request from the backup: its on_init reaches the buyer app
    # again (a delivered mark not yet written when the copy was made sends
    # it once more at start too: at least once)
    mid0 = before[-1]
    seen = len(F.bap.wait_for(F.bap.by_message(mid0, "on_init"), timeout=2, count=99))
    jid = by_mid[mid0][0]
    out = F.ctl("--config", F.config, "replay", jid)
    check("1" in out, "replay: %r" % out)
    calls = F.bap.wait_for(F.bap.by_message(mid0, "on_init"), count=seen + 1)
    eq(len(calls), seen + 1, "one more on_init after the replay")
    ok, why = F.verify_callback(calls[-1])
    check(ok, "signed: " + why)
    quote = json.loads(calls[-1]["raw"])["message"]["order"]["quote"]
    eq(quote["price"]["value"], "147.00", "the seed quote")
    mid = init()
    check(F.bap.wait_for(F.bap.by_message(mid, "on_init")), "a new request on the restored store")


if __name__ == "__main__":
    F = Fleet().start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
