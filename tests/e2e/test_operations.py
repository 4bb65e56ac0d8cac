"""Operations: one scrape shows the whole fleet, /ready says what is not
ready, SIGTERM drains and exits 0, SIGHUP reloads what is safe, every binary
checks a config, supervisord rotates logs.

Bad inputs tried here: a config with an out-of-bounds value, a wrong type
and an unknown enum value (each binary's --check-config names the key); a
reload that changes a key that cannot change live (reported, not applied).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

from harness import BIN, Fleet, Runner, check, eq, load_fixture

F = None
BINARIES = ["ondc-ingress", "ondc-admin", "ondc-dispatcher", "ondc-callback", "ondc-worker"]


def get(path, port=None):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port or F.admin_port, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sup(*args):
    conf = os.path.join(F.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True, text=True).stdout


def metric(text, name, **labels):
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        lab = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(lab.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
            found = True
    return total if found else None


def test_metrics_is_valid_prometheus_text_covering_every_stage():
    status, text = get("/metrics")
    eq(status, 200, "/metrics answers")
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        eq(r.returncode, 0, "promtool check metrics: " + r.stdout + r.stderr)
    stages = set(re.findall(r'stage="([^"]+)"', text))
    for s in ["ingress", "admin", "dispatcher", "worker", "callback"]:
        check(s in stages, "stage %s in the scrape" % s)
    instances = set(re.findall(r'instance="([^"]+)"', text))
    for i in ["ingress.0", "admin.0", "discovery.0", "order.0", "fulfillment.0", "post-fulfillment.0",
              "callback.0"]:
        check(i in instances, "instance %s in the scrape" % i)
    # ondc-admin's own counters: scripts/fleet waited for its /ready
    check((metric(text, "ondc_admin_requests_total", stage="admin", route="ready", code="200") or 0) >= 1,
          "ondc-admin counts its answers")
    for name in ["ondc_journal_backlog", "ondc_journal_dead", "ondc_outbox_pending",
                 "ondc_lmdb_used_bytes"]:
        check(metric(text, name) is not None, name)


def test_metrics_move_when_requests_flow():
    _, before = get("/metrics")
    req = F.make(load_fixture("seed-init-request.json"))
    eq(F.post("/protocol/v1/init", req)[0], 200, "ACK")
    check(F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_init")), "on_init")
    time.sleep(0.3)
    _, after = get("/metrics")
    used_b, used_a = metric(before, "ondc_lmdb_used_bytes"), metric(after, "ondc_lmdb_used_bytes")
    check(used_a >= used_b, "store use does not shrink")
    for name, labels in [("ondc_requests_total", {"action": "init", "outcome": "ack"}),
                         ("ondc_handled_total", {"action": "init"}),
                         ("ondc_callbacks_total", {"action": "on_init", "outcome": "delivered"}),
                         ("ondc_ack_latency_seconds_count", {"action": "init"}),
                         ("ondc_handling_seconds_count", {"action": "init"}),
                         ("ondc_roundtrip_seconds_count", {"action": "on_init"})]:
        b = metric(before, name, **labels) or 0
        a = metric(after, name, **labels) or 0
        check(a >= b + 1, "%s%r moved: %s -> %s" % (name, labels, b, a))


def test_ready_reports_what_is_not_ready():
    status, body = get("/ready")
    eq(status, 200, "ready: " + body)
    eq(json.loads(body)["ready"], True, "ready body")
    sup("stop", "ondc:worker-order-0")
    try:
        deadline = time.time() + 8
        while time.time() < deadline:
            status, body = get("/ready")
            if status == 503:
                break
            time.sleep(0.5)
        eq(status, 503, "not ready without an order worker")
        b = json.loads(body)
        eq(b["ready"], False, "ready false")
        eq(b["checks"]["worker.order"]["ok"], False, "names the order workers")
        eq(b["checks"]["worker.discovery"]["ok"], True, "others still fine")
        eq((b["checks"]["ingress"]["ok"], b["checks"]["ingress"]["alive"]), (True, 1),
           "the ingress, a process apart, is checked too")
    finally:
        sup("start", "ondc:worker-order-0")
    deadline = time.time() + 8
    while time.time() < deadline and get("/ready")[0] != 200:
        time.sleep(0.3)
    eq(get("/ready")[0], 200, "ready again")


def test_sighup_reloads_safe_keys_and_reports_the_others():
    cfg = json.load(open(F.config))
    cfg["log_level"] = "warn"
    cfg["max_connections"] = 999
    with open(F.config, "w") as f:
        json.dump(cfg, f)
    sup("signal", "HUP", "ondc:ingress")
    time.sleep(1.0)
    log = F.logs("ingress-0.log")
    check('"event":"config.reloaded","key":"log_level"' in log, "log_level reloaded")
    check('"event":"config.needs_restart","key":"max_connections"' in log, "max_connections needs a restart")
    cfg["log_level"] = "debug"
    del cfg["max_connections"]
    with open(F.config, "w") as f:
        json.dump(cfg, f)
    sup("signal", "HUP", "ondc:ingress")


def test_check_config_on_every_binary():
    for b in BINARIES:
        extra = ["--family", "order"] if b == "ondc-worker" else []
        r = subprocess.run([os.path.join(BIN, b), "--config", F.config, "--check-config"] + extra,
                           capture_output=True, text=True)
        eq(r.returncode, 0, "%s accepts the config: %s" % (b, r.stderr))
    bad = {"max_body_bytes": 5, "listen": 8080, "journal_sync": "sometimes"}
    for key, value in bad.items():
        p = os.path.join(F.dir, "bad-%s.json" % key)
        cfg = json.load(open(F.config))
        cfg[key] = value
        json.dump(cfg, open(p, "w"))
        for b in BINARIES:
            r = subprocess.run([os.path.join(BIN, b), "--config", p, "--check-config"],
                               capture_output=True, text=True)
            check(r.returncode != 0, "%s refuses %s=%r" % (b, key, value))
            check(key in r.stderr, "%s names %s: %s" % (b, key, r.stderr))


def test_generated_supervisord_config_rotates_logs():
    conf = open(os.path.join(F.dir, "run", "supervisord.conf")).read()
    check("stdout_logfile_maxbytes=50MB" in conf and "stdout_logfile_backups=5" in conf, "rotation")
    check("numprocs=1" in conf, "numprocs per family")


def test_signals_are_loop_events_not_a_library_handler():
    # the runtime turns SIGTERM/SIGINT/SIGHUP into loop events (a signalfd):
    # each is blocked in every process, and none has a handler installed
    # (CZMQ would install its own for SIGINT/SIGTERM unless told not to)
    pids = subprocess.run(["pgrep", "-f", F.config], capture_output=True,
                          text=True).stdout.split()
    names = set()
    for pid in pids:
        try:
            status = open("/proc/%s/status" % pid).read()
            name = os.path.basename(open("/proc/%s/cmdline" % pid).read().split("\0")[0])
        except OSError:
            continue
        if name not in BINARIES:
            continue
        names.add(name)
        masks = dict((l.split(":")[0], int(l.split()[1], 16)) for l in status.splitlines()
                     if l.startswith(("SigCgt:", "SigBlk:")))
        for signo, sig in ((2, "SIGINT"), (15, "SIGTERM"), (1, "SIGHUP")):
            bit = 1 << (signo - 1)
            check(masks["SigBlk"] & bit, "%s (pid %s) blocks %s" % (name, pid, sig))
            check(not masks["SigCgt"] & bit, "%s (pid %s) has no %s handler" % (name, pid, sig))
    eq(names, set(BINARIES), "every stage looked at")


def test_sigterm_drains_and_every_process_exits_zero():
    # last: stops the fleet
    req = F.make(load_fixture("seed-init-request.json"))
    eq(F.post("/protocol/v1/init", req)[0], 200, "ACK")
    check(F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_init")), "on_init")
    t0 = time.time()
    F.stop()
    check(time.time() - t0 < 20, "stopped within a bounded time")
    log = open(os.path.join(F.dir, "run", "logs", "supervisord.log")).read()
    stopped = re.findall(r"stopped: (\S+) \((.*?)\)", log)
    check(len(stopped) >= 7, "every process stopped: %r" % stopped)
    for name, how in stopped:
        eq(how, "exit status 0", "%s exit" % name)
    for f in os.listdir(os.path.join(F.dir, "run", "logs")):
        if f.startswith("supervisord"):
            continue
        text = F.logs(f)
        check('"event":"runtime.stopped"' in text, "%s logged its clean stop" % f)
        # CZMQ reports a socket still open when its context ends
        check("dangling" not in text, "%s closed every socket: %s" % (f, text[-500:]))


if __name__ == "__main__":
    F = Fleet().start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
