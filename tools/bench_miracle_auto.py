"""MIRACLE refining `auto` (issue 16) on the 21 (table, mechanism) pairs of bench/results.csv, scored against the other methods there.

    python tools/bench_miracle_auto.py [N_JOBS] [--tune | --ot] [--pairs=DATASET[:MECHANISM],...]

Runs the cells of ("miracle_auto", "miracle", {"baseline": "auto"}) with the grid of `bench/results.csv` (its tables, mechanisms,
rate, seeds; 1,000 rows at most), cached in bench/miracle_auto/cache, writes bench/miracle_auto/results.{csv,md}, and prints per pair the
lowest RMSE of the other methods, MIRACLE's (refining MICE, as run there) and MIRACLE-auto's, and how many pairs each is lowest or within 1% of
the lowest. With `--tune` it runs ("miracle_auto_tune", "miracle", {"baseline": "auto", "tune": "penalty"}) into bench/miracle_auto_tune
instead; with `--ot`, ("miracle_auto_ot", "miracle", {"baseline": AutoImputer(candidates=(mean, knn, mice, missforest, ot))}) into
bench/miracle_auto_ot: the same choice with OT among the candidates (unseeded, so it takes MIRACLE's seed, as `auto` by name does).
Either compares itself with the other methods and with MIRACLE-auto, whose cells are read from bench/miracle_auto/results.csv.
`--pairs` runs and compares only the pairs named: a table (every mechanism) or a table and a mechanism, e.g. `letter,concrete:MCAR`.
"""
import sys
from pathlib import Path
import pandas as pd
from causalimpute import benchmark
from causalimpute.baselines import AutoImputer

OT_CANDIDATES = ("mean", "knn", "mice", "missforest", "ot")

if __name__ == "__main__":
    pairs = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--pairs=")]
    flags = {a for a in sys.argv[1:] if a.startswith("--") and not a.startswith("--pairs=")}
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n_jobs = int(args[0]) if args else 2
    runs = {"--tune": ("miracle_auto_tune", {"baseline": "auto", "tune": "penalty"}, "MIRACLE refining auto, penalty tuned", "miracle (auto, tuned)"),
            "--ot": ("miracle_auto_ot", {"baseline": AutoImputer(candidates=OT_CANDIDATES, verbose=False)},
                     "MIRACLE refining auto, OT among the candidates", "miracle (auto with OT)")}
    if flags - set(runs) or len(flags) > 1: sys.exit(__doc__)
    old = pd.read_csv("bench/results.csv")                 # MIRACLE refining MICE as run in the grid (labelled miracle_mice there, since
    old = old[old.method != "miracle"].replace({"method": {"miracle_mice": "miracle"}})   # "miracle" is the default, auto tuned)
    grid = dict(datasets=list(old.dataset.unique()), mechanisms=list(old.mechanism.unique()), rates=sorted(old.rate.unique()),
                seeds=sorted(old.seed.unique()), max_rows=1000)
    name, params, title, label = runs[flags.pop()] if flags else ("miracle_auto", {"baseline": "auto"}, "MIRACLE refining auto", None)
    out = Path(f"bench/{name}")
    wanted = [tuple(p.split(":")) for p in pairs[0].split(",")] if pairs else None      # (table,) or (table, mechanism)
    if wanted:                                  # the cells of the named pairs only, one run per table
        new = pd.concat([benchmark.run_benchmark(**{**grid, "datasets": [w[0]], "mechanisms": [w[1]] if len(w) > 1 else grid["mechanisms"]},
                                                 methods=[(name, "miracle", params)], cache_dir=out / "cache", n_jobs=n_jobs) for w in wanted],
                        ignore_index=True)
    else: new = benchmark.run_benchmark(**grid, methods=[(name, "miracle", params)], cache_dir=out / "cache", n_jobs=n_jobs)
    benchmark.write_results(new, out, title=title)
    parts = [old, new] + ([pd.read_csv("bench/miracle_auto/results.csv")] if name != "miracle_auto" else [])
    m = pd.concat(parts, ignore_index=True).query("status == 'ok'").groupby(["dataset", "mechanism", "method"]).rmse.mean().unstack()
    ours = ["miracle", "miracle_auto"] + ([name] if name != "miracle_auto" else [])
    if wanted: m = m.loc[sorted({(d, k) for d, k in m.index for w in wanted if w[0] == d and (len(w) == 1 or w[1] == k)})]
    others = m.drop(columns=ours)
    table = pd.DataFrame({"best other": others.idxmin(axis=1), "its RMSE": others.min(axis=1), "miracle (mice)": m["miracle"],
                          "miracle (auto)": m["miracle_auto"]} | ({label: m[name]} if label else {}))
    for c in ours:                              # each against the other methods (the MIRACLE rows are alternatives, not rivals)
        table[f"{c} within 1%"] = m[c] <= 1.01 * pd.concat([others.min(axis=1), m[c]], axis=1).min(axis=1)
    print(table.round(3).to_string())
    print(f"lowest or within 1% of the lowest, of {len(m)} pairs: " + ", ".join(f"{c} {table[f'{c} within 1%'].sum()}" for c in ours))
    table.round(4).to_csv(out / "comparison.csv")
