"""A Dask DataFrame's partitions imputed in parallel threads against one at a time (the partition lock forced), per imputer.

Usage, from the repository root:  OMP_NUM_THREADS=1 .venv/bin/python tools/dask_threads.py

Chapter 0 ("A Dask DataFrame, partition by partition") quotes its table: it is why MICE and MissForest (`holds_gil`) take turns and the
torch-based imputers do not. Diabetes repeated 16 times (7,072 rows), 20% of the entries hidden completely at random, 8 partitions,
Dask's threads scheduler with 2 workers; each imputer fitted on the first 442 rows; the best of two runs of each mode, and whether
every run gave the same table.
"""
import time, numpy as np, pandas as pd, dask, dask.dataframe as dd
from sklearn.datasets import load_diabetes
from causalimpute import make_imputer, core

SETTINGS = {"knn": {}, "mice": {}, "missforest": dict(n_estimators=20), "gain": {}, "ot": dict(n_iter=300), "miri": dict(n_rounds=2),
            "miracle": dict(baseline="mean", epochs=50)}

if __name__ == "__main__":
    X, rng = load_diabetes(as_frame=True).data, np.random.default_rng(0)
    big = pd.concat([X] * 16, ignore_index=True)
    big = big.mask(rng.random(big.shape) < 0.2)
    D, rows = dd.from_pandas(big, npartitions=8), []
    for name, kw in SETTINGS.items():
        imp, times, outs = make_imputer(name, seed=0, verbose=False, **kw).fit(big.iloc[:442]), {}, []
        for mode in ("one at a time", "at once") * 2:
            lock = core._partition_lock() if mode == "one at a time" else None
            t = time.perf_counter()
            with dask.config.set(scheduler="threads", num_workers=2):
                outs.append(D.map_partitions(core._imputed_partition, imp, D._meta, None, lock, meta=D._meta).compute())
            times.setdefault(mode, []).append(time.perf_counter() - t)
        rows.append({"imputer": name, "one at a time (s)": min(times["one at a time"]), "at once (s)": min(times["at once"]),
                     "at once / one at a time": min(times["at once"]) / min(times["one at a time"]),
                     "same table": all(o.equals(outs[0]) for o in outs), "holds_gil": type(imp).holds_gil})
        print(rows[-1], flush=True)
    print(pd.DataFrame(rows).round(2).to_string(index=False))
