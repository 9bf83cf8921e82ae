"""MIRACLE refining `auto` (issue 16) on the 21 (table, mechanism) pairs of bench/results.csv, scored against the other methods there.

    python tools/bench_miracle_auto.py [N_JOBS] [--tune]

Runs the cells of ("miracle_auto", "miracle", {"baseline": "auto"}) with the grid of `bench/results.csv` (its tables, mechanisms,
rate, seeds; 1,000 rows at most), cached in bench/miracle_auto/cache, writes bench/miracle_auto/results.{csv,md}, and prints per pair the
lowest RMSE of the other methods, MIRACLE's (refining MICE, as run there) and MIRACLE-auto's, and how many pairs each is lowest or within 1% of
the lowest. With `--tune` it runs ("miracle_auto_tune", "miracle", {"baseline": "auto", "tune": "penalty"}) into bench/miracle_auto_tune
instead, and compares it too (the miracle_auto cells are read from their cache).
"""
import sys
from pathlib import Path
import pandas as pd
from causalimpute import benchmark

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--tune"]
    n_jobs, tune = int(args[0]) if args else 2, "--tune" in sys.argv
    old = pd.read_csv("bench/results.csv")
    grid = dict(datasets=list(old.dataset.unique()), mechanisms=list(old.mechanism.unique()), rates=sorted(old.rate.unique()),
                seeds=sorted(old.seed.unique()), max_rows=1000)
    runs = [("miracle_auto", {"baseline": "auto"}, "MIRACLE refining auto")]
    if tune: runs.append(("miracle_auto_tune", {"baseline": "auto", "tune": "penalty"}, "MIRACLE refining auto, penalty tuned"))
    new = []
    for name, params, title in runs:
        out = Path(f"bench/{name}")
        new.append(benchmark.run_benchmark(**grid, methods=[(name, "miracle", params)], cache_dir=out / "cache", n_jobs=n_jobs))
        benchmark.write_results(new[-1], out, title=title)
    both = pd.concat([old, *new], ignore_index=True)
    m = both[both.status == "ok"].groupby(["dataset", "mechanism", "method"]).rmse.mean().unstack()
    ours = ["miracle"] + [name for name, _, _ in runs]
    others = m.drop(columns=ours)
    table = pd.DataFrame({"best other": others.idxmin(axis=1), "its RMSE": others.min(axis=1), "miracle (mice)": m["miracle"],
                          "miracle (auto)": m["miracle_auto"]} | ({"miracle (auto, tuned)": m["miracle_auto_tune"]} if tune else {}))
    for c in ours:                              # each against the other methods (the MIRACLE rows are alternatives, not rivals)
        table[f"{c} within 1%"] = m[c] <= 1.01 * pd.concat([others.min(axis=1), m[c]], axis=1).min(axis=1)
    print(table.round(3).to_string())
    print(f"lowest or within 1% of the lowest, of {len(m)} pairs: " + ", ".join(f"{c} {table[f'{c} within 1%'].sum()}" for c in ours))
    table.round(4).to_csv(out / "comparison.csv")   # the last run's folder
