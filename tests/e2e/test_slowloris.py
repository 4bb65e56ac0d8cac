"""Slow-loris and connection floods against a small listener (bounded,
loopback only).

The listener holds 400 connections, 400 per address, an idle timeout of a
minute (so only the per-request deadlines can save it), a 2 s head
deadline and a 3 s body deadline. Attacks tried: 900 connections from 17
loopback addresses that send a request line and then a byte every half
second (more than the listener holds; the per-address share refuses some
at accept, the full table sheds the oldest, the head deadline closes the
rest while a well-behaved buyer app gets every ACK promptly); a request
whose headers are complete and whose body trickles (closed at the body
deadline); and a well-behaved kept-alive connection that pauses between
requests within the deadline (kept).
"""
import http.client
import json
import socket
import sys
import threading
import time
import urllib.request

from harness import Fleet, Runner, check, eq, load_fixture

F = None
ATTACKERS = ["127.0.0.%d" % i for i in range(2, 19)]  # 17 addresses


def metric(name, labels=""):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % F.admin_port, timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if (line.startswith(name + "{") or line.startswith(name + " ")) and labels in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def closed_by_peer(s):
    """Whether the node has closed S (EOF or reset), without waiting."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def open_slow(n):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind((ATTACKERS[i % len(ATTACKERS)], 0))
            s.connect(("127.0.0.1", F.port))
            s.send(b"POST /protocol/v1/init HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            s.close()
    return socks


def test_slow_connections_are_shed_and_a_buyer_app_is_served():
    before_head = metric("ondc_connections_shed_total", 'why="header_deadline"')
    socks = open_slow(900)
    stop = threading.Event()

    def drip():
        while not stop.is_set():
            for s in list(socks):
                try:
                    s.send(b"X")
                except OSError:
                    pass
            stop.wait(0.5)

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    try:
        worst, acks = 0.0, 0
        t_end = time.time() + 6
        n = 0
        while time.time() < t_end:
            req = F.make(load_fixture("seed-init-request.json"))
            t0 = time.time()
            s, a, _ = F.post("/protocol/v1/init", req, timeout=10)
            worst = max(worst, time.time() - t0)
            acks += s == 200
            n += 1
            time.sleep(0.1)
        eq(acks, n, "every well-behaved request ACKed")
        check(worst < 2.0, "the slowest ACK took %.2fs under %d slow connections" % (worst, len(socks)))
        # every slow connection is gone by now (2 s head deadline, 6 s run),
        # however steadily it trickled
        time.sleep(0.5)
        still = sum(1 for s in socks if not closed_by_peer(s))
        eq(still, 0, "slow connections still open after the head deadline")
    finally:
        stop.set()
        for s in socks:
            s.close()
    shed = metric("ondc_connections_shed_total", 'why="header_deadline"') - before_head
    check(shed >= 300, "head deadline closed %d" % shed)
    refused = metric("ondc_connections_shed_total", 'why="address_share"') + \
        metric("ondc_connections_shed_total", 'why="listener_full"')
    check(refused > 0, "the share or shedding acted on 900 connections for 400 slots: %d" % refused)


def test_a_trickling_body_is_closed_at_the_body_deadline():
    before = metric("ondc_connections_shed_total", 'why="body_deadline"')
    s = socket.create_connection(("127.0.0.1", F.port), timeout=10)
    s.send(b"POST /protocol/v1/init HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: 1000\r\n\r\n{")
    t0 = time.time()
    closed = False
    while time.time() - t0 < 8:
        try:
            s.send(b" ")
        except OSError:
            closed = True
            break
        if closed_by_peer(s):
            closed = True
            break
        s.setblocking(True)
        time.sleep(0.25)
    took = time.time() - t0
    s.close()
    check(closed, "a body trickling for 8 s is closed")
    check(2.5 <= took <= 5, "closed at the 3 s body deadline (took %.1fs)" % took)
    eq(metric("ondc_connections_shed_total", 'why="body_deadline"') - before, 1, "counted")


def test_a_kept_alive_connection_that_pauses_is_kept():
    c = http.client.HTTPConnection("127.0.0.1", F.port, timeout=10)
    for i in range(3):
        req = F.make(load_fixture("seed-init-request.json"))
        body = json.dumps(req, separators=(",", ":")).encode()
        c.request("POST", "/protocol/v1/init", body=body,
                  headers={"Content-Type": "application/json", "Authorization": F.sign(body)})
        r = c.getresponse()
        r.read()
        eq(r.status, 200, "ACK %d on the same connection" % i)
        time.sleep(1.2)  # within the 2 s head deadline, counted from the answer
    c.close()


if __name__ == "__main__":
    F = Fleet(extra={"max_connections": 400, "max_connections_per_ip": 400, "connection_timeout_s": 60,
                     "request_header_timeout_ms": 2000, "request_body_timeout_ms": 3000}).start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
