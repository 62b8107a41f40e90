#!/usr/bin/env python3
"""Soak and fault injection: a FedSwift server + 2 schedulers + 16 client processes on loopback (8 clients behind
each scheduler; `--schedulers 0` connects the clients straight to the server) for >= 100 rounds while a chaos
loop kills and restarts clients (SIGKILL), delays them (SIGSTOP/SIGCONT), injects malformed messages
(`fedswift inject`, into the server and the schedulers), kills the last scheduler with SIGKILL at least twice
(restarted with the same --id a few seconds later), and kills the server once with SIGKILL before restarting it
with --resume.

Checks afterwards: every round present exactly once, final accuracy within 2 points of a fault-free run
(`fedswift simulate`, which the multi-process tests prove equal to a fault-free federation), server and
client RSS at start vs end, and no completed round lost across the server kill. With schedulers: rounds
closed while the killed scheduler was away note `lacked <scheduler>`, and at least one such row per scheduler
kill. s0 and c0 are never killed: their RSS is the scheduler/client memory probe.

Bounded: the whole run is capped by --deadline seconds; every process is killed on exit.
Usage: Benchmarks/soak/soak.py [--rounds 120] [--schedulers 2] [--binary .build/release/fedswift] [--out DIR]
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
    ap.add_argument("--schedulers", type=int, default=2, help="schedulers between the server and the clients (0: clients connect to the server)")
    ap.add_argument("--scheduler-kills", type=int, default=3, help="SIGKILLs of the last scheduler, spread over the run (>= 2 when --schedulers > 0)")
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
    # With schedulers, one group (16 virtual clients) may be away: the quorum of announced clients is lowered so
    # rounds keep closing (and note `lacked <scheduler>`) while the killed scheduler restarts.
    min_clients = clients // 2 if a.schedulers == 0 else clients // 2 - clients // (4 * a.schedulers)
    server_args = [a.binary, "server", "--control", control, "--broadcast", broadcast, "--round-timeout", "3", "--min-fit", "0.5",
                   "--min-clients", str(min_clients), "--heartbeat", "0.5", "--codec", "shuffle-lz4", "--out", results,
                   "--checkpoint", os.path.join(a.out, "checkpoint"), "--resume"] + experiment
    procs = {}
    logs = []
    def spawn(name, args):
        log = open(os.path.join(a.out, f"{name}.log"), "a")
        logs.append(log)
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
    sched_eps = [(f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}") for _ in range(a.schedulers)]
    def scheduler_args(k):
        return [a.binary, "scheduler", "--upstream-control", control, "--upstream-broadcast", broadcast,
                "--control", sched_eps[k][0], "--broadcast", sched_eps[k][1], "--id", f"s{k}", "--heartbeat", "0.5"]
    def parent_of(i):  # clients split evenly (8 each for 16 processes and 2 schedulers)
        return None if a.schedulers == 0 else i * a.schedulers // a.processes
    def client_args(i):
        k = parent_of(i)
        c, b = (control, broadcast) if k is None else sched_eps[k]
        return [a.binary, "client", "--control", c, "--broadcast", b, "--clients", f"{2*i}-{2*i+1}",
                "--id", f"c{i}", "--workers", "1", "--task-delay", str(a.task_delay)]
    def inject(target):
        count = rng.randint(5, 30)
        out = subprocess.run([a.binary, "inject", "--control", target, "--count", str(count), "--seed", str(rng.randrange(1 << 30))],
                             capture_output=True, text=True, timeout=60)
        stats["injections"] += 1
        try: stats["injected_messages"] += json.loads(out.stdout.strip().splitlines()[-1])["sent"]
        except (ValueError, IndexError, KeyError): pass
    stats = {"client_kills": 0, "delays": 0, "injections": 0, "injected_messages": 0, "server_kills": 0, "scheduler_kills": 0}
    # The last scheduler is killed at evenly spread points of the run (not at the server kill's 40 %).
    victim_s = a.schedulers - 1
    kill_points = sorted({max(1, round(a.rounds * f)) for f in
                          [0.15 + 0.7 * (j + 0.5) / max(1, a.scheduler_kills) for j in range(a.scheduler_kills)]}) if a.schedulers else []
    kill_points = [p if abs(p - a.rounds * 2 // 5) > 3 else p + 6 for p in kill_points]
    scheduler_outages = []  # (round count at kill, round count at restart)
    sched_restart_at = None
    rss = {}
    start = time.time()
    server = spawn("server", server_args)
    scheds = {k: spawn(f"s{k}", scheduler_args(k)) for k in range(a.schedulers)}
    procs.update({i: spawn(f"c{i}", client_args(i)) for i in range(a.processes)})
    stopped = {}
    server_killed_at = None
    try:
        while time.time() - start < a.deadline:
            done = rounds(results)
            n = len(done)
            if server.poll() is not None and n >= a.rounds:
                break
            if n >= 5 and "server_start" not in rss:
                rss["server_start"] = rss_kb(server.pid); rss["client0_start"] = rss_kb(procs[0].pid)
                if a.schedulers: rss["scheduler_s0_start"] = rss_kb(scheds[0].pid)
            # Scheduler chaos: SIGKILL the last scheduler at each kill point, restart it (same --id) 2-5 s later.
            if sched_restart_at is not None and time.time() >= sched_restart_at:
                scheds[victim_s] = spawn(f"s{victim_s}", scheduler_args(victim_s))
                scheduler_outages[-1] = (scheduler_outages[-1][0], n)
                sched_restart_at = None
            if sched_restart_at is None and kill_points and n >= kill_points[0] and server.poll() is None:
                kill_points.pop(0)
                scheds[victim_s].kill(); scheds[victim_s].wait()
                stats["scheduler_kills"] += 1
                scheduler_outages.append((n, None))
                sched_restart_at = time.time() + rng.uniform(2, 5)
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
            if a.schedulers: rss["scheduler_s0_end"] = rss_kb(scheds[0].pid) or rss.get("scheduler_s0_end")
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
                # Half the bursts go to a scheduler's control socket (it parses the same messages as a server).
                target = control if a.schedulers == 0 or rng.random() < 0.5 else sched_eps[rng.randrange(a.schedulers)][0]
                inject(target)
            time.sleep(rng.uniform(0.5, 2))
        if sched_restart_at is not None:  # the run ended during an outage: bring the scheduler back anyway
            scheds[victim_s] = spawn(f"s{victim_s}", scheduler_args(victim_s))
        for i in list(stopped): os.kill(procs[i].pid, signal.SIGCONT)
        server.wait(timeout=max(1, a.deadline - (time.time() - start)))
    finally:
        for p in [server] + list(scheds.values()) + list(procs.values()):
            if p.poll() is None:
                try: os.kill(p.pid, signal.SIGCONT)
                except OSError: pass
                p.kill()
        for p in [server] + list(scheds.values()) + list(procs.values()): p.wait()
        for log in logs: log.close()
    elapsed = time.time() - start
    rows = rounds(results)
    numbers = [r["round"] for r in rows]
    reference = subprocess.run([a.binary, "simulate", "--out", os.path.join(a.out, "fault-free.jsonl")] + experiment,
                               capture_output=True, text=True, timeout=600)
    ref_rows = rounds(os.path.join(a.out, "fault-free.jsonl"))
    server_logs = "".join(open(os.path.join(a.out, f)).read() for f in ["server.log", "server-resumed.log"] if os.path.exists(os.path.join(a.out, f)))
    rejected = len(re.findall(r"\] rejected ", server_logs))
    sched_logs = "".join(open(os.path.join(a.out, f"s{k}.log")).read() for k in range(a.schedulers) if os.path.exists(os.path.join(a.out, f"s{k}.log")))
    rejected_sched = len(re.findall(r"\] rejected ", sched_logs))
    lacked = {f"s{k}": [r["round"] for r in rows if re.search(rf"lacked (?:[^;]*,)?s{k}(?:$|[,;])", r.get("note") or "")] for k in range(a.schedulers)}
    retried = sum(1 for r in rows if "retried" in (r.get("note") or ""))
    summary = {
        "rounds_expected": a.rounds, "rounds_written": len(rows), "every_round_once": numbers == list(range(1, a.rounds + 1)),
        "elapsed_s": round(elapsed, 1), "server_killed_after_round": server_killed_at,
        "accuracy": rows[-1].get("accuracy") if rows else None,
        "fault_free_accuracy": ref_rows[-1].get("accuracy") if ref_rows else None,
        "rejected_messages": rejected, "rejected_messages_schedulers": rejected_sched,
        "scheduler_outages_rounds": scheduler_outages, "rounds_noting_lacked": {k: len(v) for k, v in lacked.items()},
        "rounds_lacked_detail": lacked, "rounds_retried": retried,
        "failed_client_results": sum(r.get("failed", 0) for r in rows),
        "rss_kb": rss, **stats,
    }
    if summary["accuracy"] is not None and summary["fault_free_accuracy"] is not None:
        summary["accuracy_gap_points"] = round(abs(summary["accuracy"] - summary["fault_free_accuracy"]) * 100, 2)
    print(json.dumps(summary, indent=1))
    checks = {"every_round_once": summary["every_round_once"], "accuracy_within_2_points": summary.get("accuracy_gap_points", 99) <= 2,
              "server_killed_and_resumed": stats["server_kills"] >= 1}
    if a.schedulers:
        checks["scheduler_killed_twice"] = stats["scheduler_kills"] >= 2
        checks["lacked_noted_per_scheduler_kill"] = len(lacked[f"s{victim_s}"]) >= 1 and all(
            any(lo <= r <= (hi if hi is not None else a.rounds) + 3 for r in lacked[f"s{victim_s}"]) for lo, hi in scheduler_outages)
    print(json.dumps({"checks": checks}, indent=1))
    ok = all(checks.values())
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
