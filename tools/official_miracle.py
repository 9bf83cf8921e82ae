"""Run the official MIRACLE code (TensorFlow) on chapter 7's synthetic MAR workload, for a side-by-side comparison.

Three steps, in two environments (the official code needs TensorFlow, which causalimpute does not install):

    python tools/official_miracle.py data DIR                        # causalimpute's venv: tables, masks, baseline imputations
    /path/to/tf-venv/bin/python tools/official_miracle.py run DIR --repo PATH   # a venv with tensorflow-cpu, loguru, pandas, scikit-learn
    python tools/official_miracle.py score DIR -o bench/miracle_official.csv    # causalimpute's venv: standardised RMSE per seed

`--fit-seeds K ...` (steps run and score) runs the official code with each `random_seed` K on every table instead of K = the
table's seed: the spread of one table's RMSE over the official code's own seeds (score writes one row per fit seed).

The workload: `sample_dag(12, seed=s)`, `simulate_scm(A, 1000, kind="nonlinear", seed=s)`,
`simulate_mgraph_missingness(X, A, "MAR", rate=0.3, seed=s)` for seeds 0-2; baselines mean and KNN (causalimpute's, seeded s).
The official code runs at its class defaults (batch 32, lr 1e-3, reg_lambda = reg_beta = reg_m = 1, window 10, max_steps 400,
random_seed s) on the table standardised by its observed means and standard deviations (as causalimpute's MIRACLE sees it),
seeded with the baseline imputation, on one CPU thread. PATH is a checkout of github.com/vanderschaarlab/MIRACLE.
"""
import argparse, os, sys, time
from pathlib import Path
import numpy as np

SEEDS, BASELINES = (0, 1, 2), ("mean", "knn")


def data(out: Path):
    from causalimpute.scm import sample_dag, simulate_scm, simulate_mgraph_missingness
    from causalimpute.core import make_imputer
    import causalimpute.baselines  # noqa: F401  (registers the baselines)
    out.mkdir(parents=True, exist_ok=True)
    for s in SEEDS:
        A = sample_dag(12, seed=s); X = simulate_scm(A, 1000, kind="nonlinear", seed=s)
        Xm = np.asarray(simulate_mgraph_missingness(X, A, "MAR", rate=0.3, seed=s)[0], dtype=float)
        arrays = dict(X=np.asarray(X, dtype=float), Xm=Xm, mu=np.nanmean(Xm, 0), sd=np.nanstd(Xm, 0))
        for b in BASELINES: arrays[b] = np.asarray(make_imputer(b, seed=s, verbose=False).fit_transform(Xm), dtype=float)
        np.savez(out / f"data{s}.npz", **arrays)
        print(f"seed {s}: {Xm.shape}, {np.isnan(Xm).mean():.1%} missing", flush=True)


def _result(out: Path, s: int, b: str, k=None) -> Path:
    "The file of the official imputation of table `s` refined from baseline `b` with random_seed `k` (None: `s`, the original runs)."
    return out / (f"official_{s}_{b}.npy" if k is None or k == s else f"official_{s}_{b}_fit{k}.npy")


def run(out: Path, repo: Path, fit_seeds=None, seeds=SEEDS):
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    sys.path.insert(0, str(repo))
    import tensorflow.compat.v1 as tf
    tf.config.threading.set_intra_op_parallelism_threads(1); tf.config.threading.set_inter_op_parallelism_threads(1)
    from miracle import MIRACLE
    for s in seeds:
        D = np.load(out / f"data{s}.npz")
        Xm = (D["Xm"] - D["mu"]) / D["sd"]
        for b in BASELINES:
            for k in (fit_seeds or [s]):
                f = _result(out, s, b, k)
                if f.exists(): continue
                tf.reset_default_graph()
                t0 = time.perf_counter()
                m = MIRACLE(num_inputs=Xm.shape[1], missing_list=list(np.flatnonzero(np.isnan(Xm).any(0))), random_seed=k,
                            ckpt_file=str(out / f"ckpt_{s}_{b}_{k}"))
                res = m.fit(Xm.copy(), X_seed=(D[b] - D["mu"]) / D["sd"])
                secs = time.perf_counter() - t0
                np.save(f, res * D["sd"] + D["mu"])
                f.with_suffix(".seconds").write_text(f"{secs:.2f}\n")
                print(f"seed {s}, {b}, random_seed {k}: {secs:.1f} s", flush=True)


def score(out: Path, csv: Path, fit_seeds=None, seeds=SEEDS):
    import pandas as pd
    from causalimpute.metrics import rmse
    rows = []
    for s in seeds:
        D = np.load(out / f"data{s}.npz"); mask = ~np.isnan(D["Xm"])
        for b in BASELINES:
            for k in (fit_seeds or [s]):
                f = _result(out, s, b, k)
                if not f.exists(): continue
                rows.append(dict(seed=s, baseline=b, **({"fit_seed": k} if fit_seeds else {}),
                                 rmse_baseline=rmse(D["X"], D[b], mask, standardise=True),
                                 rmse_official=rmse(D["X"], np.load(f), mask, standardise=True),
                                 seconds=float(f.with_suffix(".seconds").read_text())))
    df = pd.DataFrame(rows).round(4)
    csv.parent.mkdir(parents=True, exist_ok=True); df.to_csv(csv, index=False); print(df.to_string(index=False))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=["data", "run", "score"]); p.add_argument("dir", type=Path)
    p.add_argument("--repo", type=Path, help="checkout of the official MIRACLE repository (step run)")
    p.add_argument("-o", "--out", type=Path, default=Path("bench/miracle_official.csv"), help="CSV written by step score")
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="the tables (data seeds) to run or score (default: 0 1 2)")
    p.add_argument("--fit-seeds", type=int, nargs="+", help="the official code's random_seed values (default: each table's seed)")
    a = p.parse_args()
    if a.step == "data": data(a.dir)
    elif a.step == "run":
        if a.repo is None: p.error("run needs --repo")
        run(a.dir, a.repo, a.fit_seeds, a.seeds)
    else: score(a.dir, a.out, a.fit_seeds, a.seeds)
