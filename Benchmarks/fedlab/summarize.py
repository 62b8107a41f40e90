#!/usr/bin/env python3
"""Prints the side-by-side table from a results directory written by run.sh (standard library only).

Expects <dir>/<config>/<run>.jsonl (results in FedSwift's format) and <run>.time (`/usr/bin/time -v`
output) for the runs fedlab-t1, fedlab-t2, fedswift-wN, fedswift-w1, and optional partition CSVs
partition-fedlab.csv / partition-fedswift.csv.
"""
import csv
import json
import os
import re
import statistics
import sys

RUNS = [("fedlab-t1", "FedLab 1.3.0", "1 thread"), ("fedlab-t2", "FedLab 1.3.0", "2 threads"),
        ("fedswift-wN", "FedSwift", f"default ({os.cpu_count()} workers)"), ("fedswift-w1", "FedSwift", "1 worker")]


def load(path):
    rounds, final = [], None
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            if obj.get("final"):
                final = obj
            else:
                rounds.append(obj)
    return rounds, final


def peak_rss_mib(time_path, final):
    if os.path.exists(time_path):
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(time_path).read())
        if m:
            return int(m.group(1)) / 1024.0
    return (final or {}).get("peak_rss_mib")


def workers_of(time_path, default):
    if os.path.exists(time_path):
        m = re.search(r"--workers (\d+)", open(time_path).read())
        if m:
            return f"{m.group(1)} worker" + ("s" if m.group(1) != "1" else "")
    return default


def partition_stats(path):
    rows = list(csv.DictReader(open(path)))
    sizes = [int(r["samples"]) for r in rows]
    classes = [k for k in rows[0] if re.fullmatch(r"c\d+", k)]
    ge10 = statistics.mean(sum(int(r[c]) >= 10 for c in classes) for r in rows)
    ge1 = statistics.mean(sum(int(r[c]) >= 1 for c in classes) for r in rows)
    return (f"{len(rows)} clients, samples min {min(sizes)} / median {statistics.median(sizes):g} / "
            f"max {max(sizes)}, total {sum(sizes)}; classes per client with >=10 samples {ge10:.2f}, "
            f"with >=1 {ge1:.2f}")


def summarize(root, configs):
    lines = ["| config | system | threads / workers | final acc % | mean acc % last 5 | best acc % | "
             "mean s/round | median s/round | FedSwift / FedLab-best | peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for config in configs:
        d = os.path.join(root, config)
        rows = {}
        for run, system, setting in RUNS:
            path = os.path.join(d, run + ".jsonl")
            if not os.path.exists(path):
                continue
            rounds, final = load(path)
            accs = [r["accuracy"] for r in rounds if "accuracy" in r]
            secs = [r["seconds"] for r in rounds]
            if not accs or not secs:
                continue
            rows[run] = dict(system=system, setting=workers_of(os.path.join(d, run + ".time"), setting),
                             final=accs[-1] * 100, last5=statistics.mean(accs[-5:]) * 100,
                             best=max(accs) * 100, mean=statistics.mean(secs),
                             median=statistics.median(secs), n=len(rounds),
                             rss=peak_rss_mib(os.path.join(d, run + ".time"), final))
        fedlab = [rows[r]["mean"] for r in ("fedlab-t1", "fedlab-t2") if r in rows]
        best = min(fedlab) if fedlab else None
        for run, _, _ in RUNS:
            if run not in rows:
                continue
            r = rows[run]
            ratio = f"{r['mean'] / best:.3f}" if best and r["system"] == "FedSwift" else ""
            rss = f"{r['rss']:.0f}" if r["rss"] else "?"
            lines.append(f"| {config} | {r['system']} | {r['setting']} | {r['final']:.2f} (r{r['n']}) | "
                         f"{r['last5']:.2f} | {r['best']:.2f} | {r['mean']:.4f} | {r['median']:.4f} | "
                         f"{ratio} | {rss} |")
        for name in ("fedlab", "fedswift"):
            p = os.path.join(d, f"partition-{name}.csv")
            if os.path.exists(p):
                notes.append(f"- {config} partition ({'FedLab' if name == 'fedlab' else 'FedSwift'}): "
                             f"{partition_stats(p)}")
    return "\n".join(lines + ([""] + notes if notes else []))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: summarize.py RESULTS_DIR [CONFIG...]")
    root = sys.argv[1]
    configs = sys.argv[2:] or sorted(c for c in os.listdir(root) if os.path.isdir(os.path.join(root, c)))
    print(summarize(root, configs))
