"""Upgrade: the current build opens the store of an older release and
brings it up to date at open (store/migrate.c), once.

tests/fixtures/store-715306b/data.mdb is the store that release 715306b's
own fleet wrote (tests/fixtures/store-715306b/make.py): from before the
pending-outbox index and before the dedupe entries moved beside their
transactions. rows.json says what it holds: three seed init requests and a
search, all done, the last init's on_init still pending (its buyer app
answered 500).

What is checked: the fleet starts on it and logs each upgrade once (not
again at a restart); every old journal row is listed as it was; the old
pending on_init is found by the callback process through the index built
at open (its deadline long past, it turns dead); an old request replays
into a fresh on_init with the seed quote; new requests are served.
"""
import json
import os
import re
import shutil
import sys
import time

from harness import FIXTURES, Fleet, Runner, check, eq, load_fixture

F = None
OLD = os.path.join(FIXTURES, "store-715306b")
ROWS = json.load(open(os.path.join(OLD, "rows.json")))["rows"]


def table(text):
    return [l.split("\t") for l in text.splitlines()[1:] if l]


def all_logs():
    d = os.path.join(F.dir, "run", "logs")
    return "".join(open(os.path.join(d, n)).read() for n in sorted(os.listdir(d)))


def test_old_store_is_upgraded_at_open_once():
    logs = all_logs()
    eq(len(re.findall(r'"event":"store\.upgraded"', logs)), 1, "dedupe entries moved once")
    check(re.search(r'"event":"store\.index_built","index":"opending","rows":"1"', logs),
          "pending-outbox index built from the one pending row")
    F.stop()
    F.start()
    logs = all_logs()
    eq(len(re.findall(r'"event":"store\.upgraded"', logs)), 1, "not again at a restart")
    eq(len(re.findall(r'"event":"store\.index_built"', logs)), 1, "index not built again")


def test_old_journal_rows_are_listed_as_they_were():
    rows = {r[6]: r for r in table(F.ctl("--config", F.config, "journal", "list"))}
    for want in ROWS:
        r = rows.get(want["message_id"])
        check(r, "row of %s listed" % want["message_id"])
        eq((int(r[0]), r[2], r[3], r[4], r[5]),
           (want["journal_id"], want["action"], want["state"], want["sender"], want["transaction_id"]),
           "journal row %d" % want["journal_id"])
        show = F.ctl("--config", F.config, "journal", "show", r[0])
        check('"message_id":"%s"' % want["message_id"] in show.replace(" ", ""), "body kept")


def test_old_pending_callback_is_found_through_the_new_index():
    pending = [r for r in ROWS if r["outbox"] == "pending"][0]
    status = None
    for _ in range(100):
        out = {r[7]: r[3] for r in table(F.ctl("--config", F.config, "outbox", "list"))}
        status = out.get(pending["message_id"])
        if status == "dead":
            break
        time.sleep(0.1)
    eq(status, "dead", "the old pending on_init, past its deadline, is dead")
    delivered = [r for r in table(F.ctl("--config", F.config, "outbox", "list", "--status", "delivered"))]
    for want in ROWS:
        if want["outbox"] == "delivered":
            check(any(r[7] == want["message_id"] for r in delivered), "%s delivered" % want["message_id"])


def test_old_request_replays():
    row = [r for r in ROWS if r["action"] == "init"][0]
    before = {r[0] for r in table(F.ctl("--config", F.config, "outbox", "list"))
              if r[7] == row["message_id"]}
    F.ctl("--config", F.config, "replay", str(row["journal_id"]))
    new = []
    for _ in range(100):
        new = [r for r in table(F.ctl("--config", F.config, "outbox", "list"))
               if r[7] == row["message_id"] and r[0] not in before]
        if new:
            break
        time.sleep(0.1)
    eq(len(new), 1, "a fresh on_init row for the old request")
    show = F.ctl("--config", F.config, "outbox", "show", new[0][0])
    body = json.loads(show.split("\nbody: ", 1)[1])
    eq(body["context"]["action"], "on_init", "on_init")
    eq(body["message"]["order"]["quote"]["price"]["value"], "147.00", "the seed quote")


def test_new_requests_are_served():
    req = F.make(load_fixture("seed-init-request.json"))
    eq(F.post("/protocol/v1/init", req)[0], 200, "ACK")
    check(F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_init")), "on_init")
    ids = [int(r[0]) for r in table(F.ctl("--config", F.config, "journal", "list"))]
    check(max(ids) > max(r["journal_id"] for r in ROWS), "new rows after the old ones")


if __name__ == "__main__":
    F = Fleet(catalog=None)
    data = os.path.join(F.dir, "data")
    shutil.rmtree(data, ignore_errors=True)
    os.mkdir(data)
    shutil.copy(os.path.join(OLD, "data.mdb"), os.path.join(data, "data.mdb"))
    F.start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
