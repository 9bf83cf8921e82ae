"""MIRACLE refining `auto` (issue 16) on the 21 (table, mechanism) pairs of bench/results.csv, scored against the other methods there.

    python tools/bench_miracle_auto.py [N_JOBS]

Runs the cells of ("miracle_auto", "miracle", {"baseline": "auto"}) with the grid of `bench/results.csv` (its tables, mechanisms,
rate, seeds; 1,000 rows at most), cached in bench/miracle_auto/cache, writes bench/miracle_auto/results.{csv,md}, and prints per pair the
lowest RMSE of the other methods, MIRACLE's (refining MICE, as run there) and MIRACLE-auto's, and how many pairs each is lowest or within 1% of
the lowest.
"""
import sys
from pathlib import Path
import pandas as pd
from causalimpute import benchmark

if __name__ == "__main__":
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    old = pd.read_csv("bench/results.csv")
    grid = dict(datasets=list(old.dataset.unique()), mechanisms=list(old.mechanism.unique()), rates=sorted(old.rate.unique()),
                seeds=sorted(old.seed.unique()), max_rows=1000)
    out = Path("bench/miracle_auto")
    new = benchmark.run_benchmark(**grid, methods=[("miracle_auto", "miracle", {"baseline": "auto"})], cache_dir=out / "cache", n_jobs=n_jobs)
    benchmark.write_results(new, out, title="MIRACLE refining auto")
    both = pd.concat([old, new], ignore_index=True)
    m = both[both.status == "ok"].groupby(["dataset", "mechanism", "method"]).rmse.mean().unstack()
    others = m.drop(columns=["miracle", "miracle_auto"])
    table = pd.DataFrame({"best other": others.idxmin(axis=1), "its RMSE": others.min(axis=1), "miracle (mice)": m["miracle"],
                          "miracle (auto)": m["miracle_auto"]})
    for c in ["miracle", "miracle_auto"]:       # each against the other methods (the two MIRACLE rows are alternatives, not rivals)
        table[f"{c} within 1%"] = m[c] <= 1.01 * pd.concat([others.min(axis=1), m[c]], axis=1).min(axis=1)
    print(table.round(3).to_string())
    print(f"lowest or within 1% of the lowest, of {len(m)} pairs: MIRACLE (mice) {table['miracle within 1%'].sum()}, "
          f"MIRACLE (auto) {table['miracle_auto within 1%'].sum()}")
    table.round(4).to_csv(out / "comparison.csv")
