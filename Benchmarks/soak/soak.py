#!/usr/bin/env python3
"""Soak and fault injection: a FedSwift server + 16 client processes on loopback for >= 100 rounds while a
chaos loop kills and restarts clients (SIGKILL), delays them (SIGSTOP/SIGCONT), injects malformed messages
(`fedswift inject`), and kills the server once with SIGKILL before restarting it with --resume.

Checks afterwards: every round present exactly once, final accuracy within 2 points of a fault-free run
(`fedswift simulate`, which the multi-process tests prove equal to a fault-free federation), server and
client RSS at start vs end, and no completed round lost across the server kill.

Bounded: the whole run is capped by --deadline seconds; every process is killed on exit.
Usage: Benchmarks/soak/soak.py [--rounds 120] [--binary .build/release/fedswift] [--out DIR]
Schedulers: not yet in this script (server + clients only); `fedswift scheduler` takes the same security flags.
"""
import argparse, json, os, random, re, signal, socket, subprocess, sys, time

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return None

def rounds(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if not row.get("final"):
                rows.append(row)
    return rows

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/fedswift")
    ap.add_argument("--rounds", type=int, default=120)
    ap.add_argument("--processes", type=int, default=16)
    ap.add_argument("--out", default="/tmp/fedswift-soak")
    ap.add_argument("--deadline", type=float, default=900)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--task-delay", type=float, default=0.3, help="seconds each client waits before training a task, so rounds last long enough for chaos")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    clients = a.processes * 2
    experiment = ["--dataset", "synthetic:0.5,0.5", "--partition", "natural", "--model", "lr", "--clients", str(clients),
                  "--sample", "8", "--rounds", str(a.rounds), "--seed", str(a.seed), "--epochs", "1"]
    control, broadcast = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    results = os.path.join(a.out, "run.jsonl")
    for stale in [results]:
        if os.path.exists(stale): os.remove(stale)
    subprocess.run(["rm", "-rf", os.path.join(a.out, "checkpoint")])
    server_args = [a.binary, "server", "--control", control, "--broadcast", broadcast, "--round-timeout", "3", "--min-fit", "0.5",
                   "--min-clients", str(clients // 2), "--heartbeat", "0.5", "--codec", "shuffle-lz4", "--out", results,
                   "--checkpoint", os.path.join(a.out, "checkpoint"), "--resume"] + experiment
    procs = {}
    logs = []
    def spawn(name, args):
        log = open(os.path.join(a.out, f"{name}.log"), "a")
        logs.append(log)
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
    def client_args(i):
        return [a.binary, "client", "--control", control, "--broadcast", broadcast, "--clients", f"{2*i}-{2*i+1}",
                "--id", f"c{i}", "--workers", "1", "--task-delay", str(a.task_delay)]
    stats = {"client_kills": 0, "delays": 0, "injections": 0, "injected_messages": 0, "server_kills": 0}
    rss = {}
    start = time.time()
    server = spawn("server", server_args)
    procs.update({i: spawn(f"c{i}", client_args(i)) for i in range(a.processes)})
    stopped = {}
    server_killed_at = None
    try:
        while time.time() - start < a.deadline:
            done = rounds(results)
            n = len(done)
            if server.poll() is not None and n >= a.rounds:
                break
            if n >= 5 and "server_start" not in rss: rss["server_start"] = rss_kb(server.pid); rss["client0_start"] = rss_kb(procs[0].pid)
            # Once, at 40% of the run: SIGKILL the server, then restart it with --resume.
            if server_killed_at is None and n >= a.rounds * 2 // 5:
                rss["server_before_kill"] = rss_kb(server.pid)
                server.kill(); server.wait()
                server_killed_at = n
                stats["server_kills"] += 1
                time.sleep(0.5)
                server = spawn("server-resumed", server_args)
                continue
            if server_killed_at is not None and n >= server_killed_at + 5 and "resumed_start" not in rss:
                rss["resumed_start"] = rss_kb(server.pid)
            if server.poll() is None:
                rss["server_end"] = rss_kb(server.pid) or rss.get("server_end")
            rss["client0_end"] = rss_kb(procs[0].pid) or rss.get("client0_end")
            for i, until in list(stopped.items()):
                if time.time() >= until:
                    os.kill(procs[i].pid, signal.SIGCONT); del stopped[i]
            action = rng.random()
            victim = rng.randrange(1, a.processes)  # c0 is left alone: its RSS is the client memory probe
            if action < 0.35 and victim not in stopped:
                procs[victim].kill(); procs[victim].wait()
                stats["client_kills"] += 1
                time.sleep(rng.uniform(0, 2))
                procs[victim] = spawn(f"c{victim}", client_args(victim))
            elif action < 0.6 and victim not in stopped:
                os.kill(procs[victim].pid, signal.SIGSTOP)
                stopped[victim] = time.time() + rng.uniform(0.5, 4)
                stats["delays"] += 1
            elif action < 0.85:
                count = rng.randint(5, 30)
                out = subprocess.run([a.binary, "inject", "--control", control, "--count", str(count), "--seed", str(rng.randrange(1 << 30))],
                                     capture_output=True, text=True, timeout=60)
                stats["injections"] += 1
                try: stats["injected_messages"] += json.loads(out.stdout.strip().splitlines()[-1])["sent"]
                except (ValueError, IndexError, KeyError): pass
            time.sleep(rng.uniform(0.5, 2))
        for i in list(stopped): os.kill(procs[i].pid, signal.SIGCONT)
        server.wait(timeout=max(1, a.deadline - (time.time() - start)))
    finally:
        for p in [server] + list(procs.values()):
            if p.poll() is None:
                try: os.kill(p.pid, signal.SIGCONT)
                except OSError: pass
                p.kill()
        for p in [server] + list(procs.values()): p.wait()
        for log in logs: log.close()
    elapsed = time.time() - start
    rows = rounds(results)
    numbers = [r["round"] for r in rows]
    reference = subprocess.run([a.binary, "simulate", "--out", os.path.join(a.out, "fault-free.jsonl")] + experiment,
                               capture_output=True, text=True, timeout=600)
    ref_rows = rounds(os.path.join(a.out, "fault-free.jsonl"))
    server_logs = "".join(open(os.path.join(a.out, f)).read() for f in ["server.log", "server-resumed.log"] if os.path.exists(os.path.join(a.out, f)))
    rejected = len(re.findall(r"\] rejected ", server_logs))
    retried = sum(1 for r in rows if "retried" in (r.get("note") or ""))
    summary = {
        "rounds_expected": a.rounds, "rounds_written": len(rows), "every_round_once": numbers == list(range(1, a.rounds + 1)),
        "elapsed_s": round(elapsed, 1), "server_killed_after_round": server_killed_at,
        "accuracy": rows[-1].get("accuracy") if rows else None,
        "fault_free_accuracy": ref_rows[-1].get("accuracy") if ref_rows else None,
        "rejected_messages": rejected, "rounds_retried": retried,
        "failed_client_results": sum(r.get("failed", 0) for r in rows),
        "rss_kb": rss, **stats,
    }
    if summary["accuracy"] is not None and summary["fault_free_accuracy"] is not None:
        summary["accuracy_gap_points"] = round(abs(summary["accuracy"] - summary["fault_free_accuracy"]) * 100, 2)
    print(json.dumps(summary, indent=1))
    ok = summary["every_round_once"] and summary.get("accuracy_gap_points", 99) <= 2
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
