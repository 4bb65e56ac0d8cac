"""scripts/fleet start checks its own fleet: a port another server holds, a
program that does not stay up, a config that does not check are each an
exit 1 naming the cause, with nothing left running; a fleet that is up
answers /ready as itself and `fleet reload` reaches every process; --user runs every process as that user.

Bad starts tried: the network port held by an HTTP server that answers
/health (as the fleet script once took for its own ingress), the admin
port held by another server, a dispatcher that cannot bind its endpoint
(it exits at start), a config naming a missing key file.
"""
import http.server
import json
import os
import pwd
import subprocess
import sys
import threading
import time
import urllib.request

from harness import BIN, TOP, Fleet, Runner, check, eq, load_fixture


def fleet(cmd, f, *extra):
    return subprocess.run(["bash", os.path.join(TOP, "scripts", "fleet"), cmd, f.config] + list(extra),
                          capture_output=True, text=True, env=dict(os.environ, ONDC_BIN=BIN), timeout=120)


class Squatter:
    """An HTTP server on PORT that answers every GET 200, /health included."""

    def __init__(self, port):
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                body = b'{"status":"ok","ready":true}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def nothing_left(f):
    pid_file = os.path.join(f.dir, "run", "supervisord.pid")
    if os.path.exists(pid_file):
        pid = int(open(pid_file).read().strip() or 0)
        try:
            os.kill(pid, 0)
            return False
        except OSError:
            pass
    left = subprocess.run(["pgrep", "-f", f.config], capture_output=True, text=True).stdout.split()
    return not left


def test_network_port_taken_by_another_server():
    f = Fleet()
    sq = Squatter(f.port)
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/health" % f.port, timeout=2).read()
        r = fleet("start", f)
        eq(r.returncode, 1, "start refused: %s %s" % (r.stdout, r.stderr))
        check("listen 127.0.0.1:%d is taken by python3 (pid %d)" % (f.port, os.getpid()) in r.stderr,
              "names the port and its holder: %r" % r.stderr)
        check("fleet: up" not in r.stdout, "never says up")
        check(nothing_left(f), "nothing left running")
    finally:
        sq.close()
        f.close()


def test_admin_port_taken_by_another_server():
    f = Fleet()
    sq = Squatter(f.admin_port)
    try:
        r = fleet("start", f)
        eq(r.returncode, 1, "start refused: %s" % r.stderr)
        check("admin_listen 127.0.0.1:%d is taken by python3" % f.admin_port in r.stderr, r.stderr)
        check(nothing_left(f), "nothing left running")
    finally:
        sq.close()
        f.close()


def test_a_program_that_exits_at_start_fails_the_start():
    # the dispatcher binds endpoints.order: an address not of this machine
    f = Fleet(extra={"endpoints": {"order": "tcp://192.0.2.1:7001"}})
    try:
        t0 = time.time()
        r = fleet("start", f)
        eq(r.returncode, 1, "start refused: %s %s" % (r.stdout, r.stderr))
        check("dispatcher" in r.stderr and "did not stay up" in r.stderr, r.stderr)
        check("last log lines" in r.stderr, "shows its log: %r" % r.stderr)
        check(time.time() - t0 < 30, "fails without waiting out the timeout")
        check(nothing_left(f), "nothing left running")
    finally:
        f.close()


def test_a_config_that_does_not_check_starts_nothing():
    f = Fleet(extra={"signing_private_key_file": "keys/missing.key"})
    try:
        r = fleet("start", f)
        eq(r.returncode, 78, "refused: %s" % r.stderr)
        check("signing_private_key_file" in r.stderr and "(ENOENT)" in r.stderr, r.stderr)
        check(not os.path.exists(os.path.join(f.dir, "run", "supervisord.conf")), "nothing generated")
    finally:
        f.close()


def test_up_fleet_answers_ready_as_itself_and_reloads():
    f = Fleet()
    try:
        r = fleet("start", f)
        f.started = r.returncode == 0  # so f.close() stops it
        eq(r.returncode, 0, "start: %s" % r.stderr)
        with urllib.request.urlopen("http://127.0.0.1:%d/ready" % f.admin_port, timeout=5) as a:
            ready = json.loads(a.read())
        eq(ready["subscriber_id"], f.subscriber, "/ready names the fleet's subscriber")
        status = fleet("status", f).stdout
        admin = [l for l in status.splitlines() if l.startswith("ondc:admin ")][0]
        check("pid %d," % ready["pid"] in admin, "/ready answered by our ondc-admin: %r" % admin)
        # fleet reload: SIGHUP to every process, each logs the key it took
        f.cfg["log_level"] = "info"
        with open(f.config, "w") as out:
            json.dump(f.cfg, out)
        r = fleet("reload", f)
        eq(r.returncode, 0, "reload: %s" % r.stderr)
        for log in ["ingress-0.log", "admin-0.log", "dispatcher-0.log", "callback-0.log",
                    "worker-order-0.log"]:
            for _ in range(50):
                if '"event":"config.reloaded","key":"log_level"' in f.logs(log):
                    break
                time.sleep(0.1)
            check('"event":"config.reloaded","key":"log_level"' in f.logs(log), "%s reloaded" % log)
    finally:
        f.close()


def test_user_option_runs_every_process_as_that_user():
    if os.getuid() != 0:
        print("    (not root: --user needs root; skipped)")
        return
    f = Fleet()
    try:
        nobody = pwd.getpwnam("nobody")
        for root, dirs, files in os.walk(f.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), nobody.pw_uid, nobody.pw_gid)
        os.chown(f.dir, nobody.pw_uid, nobody.pw_gid)
        r = fleet("start", f, "--user", "nobody")
        eq(r.returncode, 0, "start --user nobody: %s" % r.stderr)
        f.started = True
        pids = subprocess.run(["pgrep", "-f", f.config], capture_output=True, text=True).stdout.split()
        uids = {}
        for pid in pids:
            try:
                name = os.path.basename(open("/proc/%s/cmdline" % pid).read().split("\0")[0])
                uid = [l.split()[1] for l in open("/proc/%s/status" % pid) if l.startswith("Uid:")][0]
            except OSError:
                continue
            uids[name] = uid
        for b in ["ondc-ingress", "ondc-admin", "ondc-dispatcher", "ondc-worker", "ondc-callback"]:
            eq(uids.get(b), str(nobody.pw_uid), "%s runs as nobody" % b)
        req = f.make(load_fixture("seed-init-request.json"))
        eq(f.post("/protocol/v1/init", req)[0], 200, "ACK")
        check(f.bap.wait_for(f.bap.by_message(req["context"]["message_id"], "on_init")), "on_init")
    finally:
        f.close()


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
