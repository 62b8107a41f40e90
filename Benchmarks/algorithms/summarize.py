#!/usr/bin/env python3
"""Prints the algorithm-suite tables (Markdown).

    summarize.py [DIR]                  the suite table from DIR/<algorithm>.jsonl (run.sh)
    summarize.py --side-by-side DIR     FedSwift vs FedLab 1.3.0 from DIR/seed<S>/ (side-by-side.sh)
"""
import json
import pathlib
import statistics
import sys

ORDER = ["fedavg", "fedavgm", "fedprox", "scaffold", "fednova", "feddyn", "fedadagrad", "fedadam", "fedyogi", "qffl", "ditto",
         "pow-d"]


def load(path):
    """(per-round records, final record) of a results file."""
    rows = [json.loads(line) for line in pathlib.Path(path).read_text().splitlines() if line.strip()]
    return [r for r in rows if not r.get("final")], next((r for r in rows if r.get("final")), {})


def suite(directory: str) -> None:
    print("| algorithm | hyper-parameters | final accuracy | best accuracy (round) | final test loss | personal accuracy | s/round |")
    print("|---|---|---|---|---|---|---|")
    for name in ORDER:
        path = pathlib.Path(directory) / f"{name}.jsonl"
        if not path.exists():
            continue
        rounds, final = load(path)
        config = final.get("config", {})
        keys = {"fedavgm": ["server_momentum"], "fedprox": ["mu"], "feddyn": ["feddyn_alpha"], "qffl": ["q"], "ditto": ["ditto_lambda"],
                "fedadagrad": ["tau"], "fedadam": ["tau", "beta1", "beta2"], "fedyogi": ["tau", "beta1", "beta2"],
                "pow-d": ["sample", "sampler"]}.get(name, [])
        params = ", ".join(f"{k}={config.get(k)}" for k in keys)
        if name in ("fedadagrad", "fedadam", "fedyogi"):
            params = f"server_lr={config.get('server_lr', '0.01 (default)')}, " + params
        evaluated = [r for r in rounds if "accuracy" in r]
        best = max(evaluated, key=lambda r: r["accuracy"])
        last = evaluated[-1]
        personal = last.get("personal_accuracy")
        seconds = sum(r["seconds"] for r in rounds) / len(rounds)
        print(f"| {name} | {params or '—'} | {100 * last['accuracy']:.2f}% | {100 * best['accuracy']:.2f}% ({best['round']}) | "
              f"{last['loss']:.4f} | {'—' if personal is None else f'{100 * personal:.2f}%'} | {seconds:.2f} |")


def figures(path):
    """final %, best %, best round, mean s/round, final personal % (or None) of one run, or None if absent."""
    if not path.exists():
        return None
    rounds, _ = load(path)
    evaluated = [r for r in rounds if "accuracy" in r]
    if not evaluated:
        return None
    best = max(evaluated, key=lambda r: r["accuracy"])
    personal = evaluated[-1].get("personal_accuracy")
    return dict(final=100 * evaluated[-1]["accuracy"], best=100 * best["accuracy"], best_round=best["round"],
                last5=100 * statistics.mean(r["accuracy"] for r in evaluated[-5:]),
                rounds=evaluated[-1]["round"], seconds=statistics.mean(r["seconds"] for r in rounds),
                personal=None if personal is None else 100 * personal)


def side_by_side(directory: str) -> None:
    root = pathlib.Path(directory)
    seeds = sorted((p for p in root.iterdir() if p.is_dir() and p.name.startswith("seed")), key=lambda p: int(p.name[4:]))
    print("| algorithm | seed | FedSwift final / best (round) | FedLab final / best (round) | Δ final / Δ best (pp) | "
          "mean of last 5 rounds FedSwift / FedLab | FedLab as shipped final / best | s/round FedSwift / FedLab |")
    print("|---|---|---|---|---|---|---|---|")
    personal_rows, means = [], {}
    for name in ORDER:
        for seed_dir in seeds:
            ours = figures(seed_dir / f"fedswift-{name}.jsonl")
            theirs = figures(seed_dir / f"fedlab-matched-{name}.jsonl")
            shipped = figures(seed_dir / f"fedlab-shipped-{name}.jsonl")
            if ours is None and theirs is None:
                continue

            def cell(f):
                if f is None:
                    return "—"
                short = f" (r{f['rounds']})" if f["rounds"] != ours_rounds else ""
                return f"{f['final']:.2f}% / {f['best']:.2f}% ({f['best_round']}){short}"

            ours_rounds = (ours or theirs)["rounds"]
            delta = "—"
            if ours and theirs:
                delta = f"{ours['final'] - theirs['final']:+.2f} / {ours['best'] - theirs['best']:+.2f}"
                means.setdefault(name, []).append((ours["final"] - theirs["final"], ours["best"] - theirs["best"],
                                                   ours["last5"] - theirs["last5"]))
            shipped_cell = "—" if shipped is None else cell(shipped)
            secs = f"{ours['seconds']:.2f} / {theirs['seconds']:.2f}" if ours and theirs else "—"
            last5 = f"{ours['last5']:.2f}% / {theirs['last5']:.2f}%" if ours and theirs else "—"
            print(f"| {name} | {seed_dir.name[4:]} | {cell(ours)} | {cell(theirs)} | {delta} | {last5} | {shipped_cell} | {secs} |")
            if name == "ditto":
                personal_rows.append((seed_dir.name[4:], ours, theirs, shipped))
    if any(len(v) > 1 for v in means.values()):
        print()
        print("| algorithm | seeds | mean Δ final (pp) | mean Δ best (pp) | mean Δ of last-5 means (pp) |")
        print("|---|---|---|---|---|")
        for name, values in means.items():
            print(f"| {name} | {len(values)} | {statistics.mean(v[0] for v in values):+.2f} | "
                  f"{statistics.mean(v[1] for v in values):+.2f} | {statistics.mean(v[2] for v in values):+.2f} |")
    if personal_rows:
        print()
        print("| Ditto personal accuracy, last round | seed | FedSwift | FedLab | FedLab as shipped |")
        print("|---|---|---|---|---|")
        for seed, ours, theirs, shipped in personal_rows:
            def p(f):
                return "—" if f is None or f["personal"] is None else f"{f['personal']:.2f}%"
            print(f"| ditto | {seed} | {p(ours)} | {p(theirs)} | {p(shipped)} |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--side-by-side":
        side_by_side(sys.argv[2])
    else:
        suite(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/algorithms/results")
