#!/usr/bin/env python3
"""A RabbitMQ cluster for the tests: Debian's rabbitmq-server (3.10) with the Web MQTT plugin (MQTT
3.1.1 over WebSocket at /ws), NODES nodes clustered on loopback, everything on free 127.0.0.1 ports.

Usage: rabbitmq.py --ready-file PATH --workdir DIR [--nodes 2]
Writes {"nodes": [{"name", "ws", "pid"}, ...]} to PATH once every node runs in the cluster; a test
kills a node by its pid (the Erlang VM's). Stops every node and the cluster's epmd on SIGTERM/SIGINT.

Run as root on a machine without systemd, Debian's /usr/sbin/rabbitmq-server would switch to the
rabbitmq user and its /var/lib/rabbitmq. Instead the nodes run /usr/lib/rabbitmq/bin/rabbitmq-server
directly, as whoever runs the tests, with everything a node writes (its Mnesia database, logs,
feature-flags file, the Erlang cookie in $HOME) under DIR, and the Erlang port mapper (epmd) and the
distribution ports on loopback too.
"""
import argparse, json, os, shutil, signal, socket, subprocess, sys, time

BIN = "/usr/lib/rabbitmq/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--nodes", type=int, default=2)
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    loopback = "-kernel inet_dist_use_interface {127,0,0,1}"
    env = dict(os.environ, HOME=args.workdir, ERL_EPMD_PORT=str(free_port()), ERL_EPMD_ADDRESS="127.0.0.1",
               RABBITMQ_CTL_ERL_ARGS=loopback)
    nodes, procs, vms = [], [], []

    def ctl(*argv, check=True):
        return subprocess.run([f"{BIN}/rabbitmqctl", *argv], env=env, check=check, capture_output=True, text=True)

    def shutdown(*_, status=0):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        # A node whose script did not stop it in time: its Erlang VM is not the script's process.
        for pid_file in vms:
            try:
                with open(pid_file) as f:
                    os.kill(int(f.read().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        subprocess.run(["epmd", "-kill"], env=env, capture_output=True)
        sys.exit(status)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        for i in range(args.nodes):
            name = f"iotmqtt{i}@localhost"
            home = os.path.join(args.workdir, f"node{i}")
            os.makedirs(home)
            ws = free_port()
            with open(os.path.join(home, "rabbitmq.conf"), "w") as f:
                f.write(f"listeners.tcp.1 = 127.0.0.1:{free_port()}\n"
                        f"mqtt.listeners.tcp.1 = 127.0.0.1:{free_port()}\n"
                        f"web_mqtt.tcp.ip = 127.0.0.1\nweb_mqtt.tcp.port = {ws}\n")
            with open(os.path.join(home, "enabled_plugins"), "w") as f:
                f.write("[rabbitmq_web_mqtt].\n")
            node_env = dict(env, RABBITMQ_NODENAME=name, RABBITMQ_CONFIG_FILE=os.path.join(home, "rabbitmq.conf"),
                            RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(home, "enabled_plugins"),
                            RABBITMQ_MNESIA_BASE=os.path.join(home, "mnesia"), RABBITMQ_LOG_BASE=os.path.join(home, "log"),
                            RABBITMQ_DIST_PORT=str(free_port()), RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=loopback)
            pid_file = os.path.join(home, "pid")
            vms.append(pid_file)
            node_env["RABBITMQ_PID_FILE"] = pid_file
            log = open(os.path.join(home, "stdout.log"), "w")
            # The script stops its node gracefully on SIGTERM and SIGINT. Its stdin must not be the
            # harness's: the node takes a closed or shared one as a reason to shut down at once.
            procs.append(subprocess.Popen([f"{BIN}/rabbitmq-server"], env=node_env, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT))
            # await_startup fails at once while the node is not yet known to epmd: ask until it is.
            deadline = time.time() + 120
            while ctl("-n", name, "await_startup", "--timeout", "120", check=time.time() > deadline).returncode:
                if procs[-1].poll() is not None:
                    raise RuntimeError(f"{name} exited; see {home}/stdout.log")
                time.sleep(0.5)
            if i > 0:
                ctl("-n", name, "stop_app")
                ctl("-n", name, "join_cluster", nodes[0]["name"])
                ctl("-n", name, "start_app")
            # The Erlang VM's own pid (the script's child), for a test that kills the node outright.
            with open(pid_file) as f:
                nodes.append({"name": name, "ws": ws, "pid": int(f.read().strip())})
        status = ctl("-n", nodes[0]["name"], "cluster_status", "--formatter", "json").stdout
        running = json.loads(status)["running_nodes"]
        if sorted(running) != sorted(n["name"] for n in nodes):
            raise RuntimeError(f"the cluster runs {running}")
    except Exception as e:  # noqa: BLE001 - any failure stops what was started
        print(f"rabbitmq harness: {e}", file=sys.stderr)
        if isinstance(e, subprocess.CalledProcessError):
            print(e.stdout, e.stderr, file=sys.stderr)
        shutdown(status=1)
    with open(args.ready_file + ".tmp", "w") as f:
        json.dump({"nodes": nodes}, f)
    os.rename(args.ready_file + ".tmp", args.ready_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
