#!/usr/bin/env python3
"""Test broker controller: runs a real mosquitto on free loopback ports (TCP + websockets, with a
password file and an ACL) and serves a small loopback HTTP API so browser tests can stop and start it
and drive the independent clients mosquitto_pub / mosquitto_sub.

Usage: broker.py --ready-file PATH [--workdir DIR]
Writes {"tcp":N,"ws":N,"control":N} to PATH once mosquitto accepts connections. Stops mosquitto on
SIGTERM/SIGINT. Everything listens on 127.0.0.1 (mosquitto's websockets listener binds all
interfaces whatever it is told, hence the password file).
"""
import argparse, base64, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

USERS = {"tester": "secret", "reader": "readonly"}
ACL = """user tester
topic readwrite #

user reader
topic read #
"""


def free_ports(n):
    """`n` distinct free ports: each socket stays bound until all are picked, so the kernel cannot
    hand the same port out twice (two calls in a row once gave mosquitto one port for both)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Broker:
    def __init__(self, workdir, tcp, ws, extra):
        self.workdir, self.tcp, self.ws = workdir, tcp, ws
        self.proc = None
        self.lock = threading.Lock()
        passwd = os.path.join(workdir, "passwd")
        open(passwd, "w").close()
        for user, pw in USERS.items():
            subprocess.run(["mosquitto_passwd", "-b", passwd, user, pw], check=True)
        with open(os.path.join(workdir, "acl"), "w") as f:
            f.write(ACL)
        os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
        conf = f"""user root
allow_anonymous false
password_file {passwd}
acl_file {os.path.join(workdir, 'acl')}
persistence true
max_packet_size 1048576
max_queued_messages 0
max_inflight_messages 0
persistence_location {os.path.join(workdir, 'data')}/
autosave_interval 1
log_dest file {os.path.join(workdir, 'mosquitto.log')}
log_type error
log_type warning
log_type notice
log_type information
log_type subscribe
log_type unsubscribe
listener {tcp} 127.0.0.1
listener {ws} 127.0.0.1
protocol websockets
{extra}
"""
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        for p in (passwd, self.conf):
            os.chmod(p, 0o600)

    def start(self):
        with self.lock:
            if self.proc and self.proc.poll() is None:
                return True
            self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            return wait_port(self.tcp) and wait_port(self.ws)

    def stop(self):
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGCONT)
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
            return True

    def signal(self, sig):
        """SIGSTOP freezes the broker with its sockets open (a half-dead peer); SIGCONT thaws it."""
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(sig)
                return True
            return False

    def kill(self):
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            return True


def client_args(broker):
    return ["-h", "127.0.0.1", "-p", str(broker.tcp), "-u", "tester", "-P", USERS["tester"]]


def make_handler(broker, workdir):
    subs = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            try:
                if url.path == "/stop":
                    return self.reply(200, {"ok": broker.stop()})
                if url.path == "/pause":
                    return self.reply(200, {"ok": broker.signal(signal.SIGSTOP)})
                if url.path == "/resume":
                    return self.reply(200, {"ok": broker.signal(signal.SIGCONT)})
                if url.path == "/kill":
                    return self.reply(200, {"ok": broker.kill()})
                if url.path == "/start":
                    return self.reply(200, {"ok": broker.start()})
                if url.path == "/pub":
                    # mosquitto_pub sends the base64-decoded payload from a file, byte for byte.
                    payload = base64.b64decode(q.get("b64", ""))
                    path = os.path.join(workdir, f"pub-{time.time_ns()}.bin")
                    with open(path, "wb") as f:
                        f.write(payload)
                    args = ["mosquitto_pub", *client_args(broker), "-t", q["topic"], "-q", q.get("qos", "1"), "-f", path]
                    if q.get("retain") == "1":
                        args.append("-r")
                    r = subprocess.run(args, capture_output=True, timeout=10)
                    return self.reply(200, {"ok": r.returncode == 0, "stderr": r.stderr.decode(errors="replace")})
                if url.path == "/sub/start":
                    # mosquitto_sub writes the first payload raw (-N: no newline) to a file.
                    name = q["name"]
                    out = open(os.path.join(workdir, f"sub-{name}.bin"), "wb")
                    proc = subprocess.Popen(["mosquitto_sub", *client_args(broker), "-t", q["topic"], "-C", "1", "-N",
                                             "-q", q.get("qos", "1")], stdout=out, stderr=subprocess.DEVNULL)
                    subs[name] = (proc, out)
                    # Subscribed once the broker counts it; a short wait for the SUBACK is enough here.
                    time.sleep(0.3)
                    return self.reply(200, {"ok": True})
                if url.path == "/sub/result":
                    proc, out = subs.pop(q["name"])
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                    out.close()
                    with open(out.name, "rb") as f:
                        data = f.read()
                    return self.reply(200, {"ok": proc.returncode == 0, "b64": base64.b64encode(data).decode()})
                return self.reply(404, {"error": "unknown path"})
            except Exception as e:  # a test helper answers every request
                return self.reply(500, {"error": repr(e)})

    return Handler


def main():
    global ACL
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--workdir")
    ap.add_argument("--extra-config", default="", help="lines appended to mosquitto.conf")
    ap.add_argument("--tcp-port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--ws-port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--user", action="append", default=[], help="NAME:PASSWORD, read-write on every topic")
    args = ap.parse_args()
    for spec in args.user:
        name, _, pw = spec.partition(":")
        USERS[name] = pw
        ACL += f"\nuser {name}\ntopic readwrite #\n"
    workdir = args.workdir or tempfile.mkdtemp(prefix="iotmqtt-broker-")
    os.makedirs(workdir, exist_ok=True)
    tcp, ws = free_ports(2)
    broker = Broker(workdir, args.tcp_port or tcp, args.ws_port or ws,
                    args.extra_config.replace("\\n", "\n"))
    if not broker.start():
        print(f"mosquitto did not start; see {workdir}/mosquitto.log", file=sys.stderr)
        sys.exit(1)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(broker, workdir))

    stopping = threading.Event()

    def shutdown(*_):
        # Once only, and without the broker's lock: a second signal (SIGTERM, then Ctrl-C) arriving
        # while the first one's handler held the lock deadlocked the main thread. The broker
        # stops after serve_forever returns.
        if stopping.is_set():
            return
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    with open(args.ready_file + ".tmp", "w") as f:
        json.dump({"tcp": broker.tcp, "ws": broker.ws, "control": server.server_address[1], "workdir": workdir}, f)
    os.replace(args.ready_file + ".tmp", args.ready_file)
    server.serve_forever()
    broker.stop()


if __name__ == "__main__":
    main()
