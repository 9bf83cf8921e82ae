"""Run chapter 10a's full coverage studies in batches of repetitions, each batch saved, then combine them.

Usage, from nbs/ (the chapter's definitions are executed as the chapter runs them):

    python ../tools/run_coverage.py PART 100 10    # repetitions 0-9, 10-19, ... of PART, in 2 worker processes
    python ../tools/run_coverage.py combine        # the tables chapter 10a reads

A part runs the same repetitions as one `coverage(..., n_reps=100)` call and skips batches already saved under
bench/coverage/batches/. `combine` writes bench/coverage/{simulation,wine_quality_red,wine_replacement_hc3,wine_replacement400_hc3}.csv
(a strategy that a later part re-ran is read from that part only) and replaces the re-run strategies' rows of
bench/coverage/wine_subsamples{,_hc3}.csv, which the chapter's slow cells write whole.

The parts, by study. MIRACLE runs as `MIRACLE_AS_RUN` and MIRI as `MIRI_AS_RUN` (the settings the first studies ran) unless a
part says "default" (MIRACLE: baseline="auto", tune="penalty"; MIRI: preset="accurate", the default since 2026-12-06).

simulation (y on x1-x3; simulation.csv)
    simulation, bootstrap, miri_bootstrap          the first studies
    sim_miracle                                    MIRACLE's point and residual draws, re-run at its current code
    sim_default                                    MIRACLE at its default
    sim_pooled, sim_default_pooled                 MIRACLE's bootstrap draws after they pooled their noise and held a row's copies out
    sim_chained, sim_default_chained               and after chapter 7 chained them (bootstrap and residual draws)
    sim_miri_accurate, sim_miri_accurate_single    MIRI's default: bootstrap draws, and one fit's draws
the whole wine table (wine_quality_red.csv)
    wine_quality_red, wine_miri_bootstrap, wine_miracle, wine_residual
    wine_chained, wine_chained_residual            MIRACLE's chained draws (bootstrap, residual)
200 of the 1,599 wines drawn without replacement (wine_subsamples.csv; HC3 errors: wine_subsamples_hc3.csv)
    wine_sub, wine_sub_hc3                         MIRACLE's pooled bootstrap draws
    wine_sub_chained, wine_sub_hc3_chained, wine_sub_residual, wine_sub_hc3_residual
    wine_sub_hc3_miri_start                        MIRI's bootstrap draws from a regression start (init="mice", min_batches=100)
    wine_sub_hc3_miri_start_64                     and from that start with batches of 64 at 5e-3
    wine_sub_hc3_miri_default                      MIRI's default, bootstrap draws
drawn with replacement, HC3 errors
    wine_boot_hc3, wine_boot_hc3_miracle_default   200 wines; MIRACLE's default's bootstrap draws second (wine_replacement_hc3.csv)
    wine_boot400_hc3, wine_boot400_hc3_miracle     400 wines, every method at its default; MIRACLE's bootstrap draws second
                                                   (wine_replacement400_hc3.csv)
    wine_boot400_hc3_miri256                       MIRI's default with batches of 256 (batch_size=256, epoch_batches=0), bootstrap
                                                   draws (a third part of wine_replacement400_hc3.csv)
"""
import sys, time
import pandas as pd, numpy as np
from pathlib import Path
from execnb.nbio import read_nb
ROOT = Path(__file__).resolve().parents[1]
out = ROOT / "bench" / "coverage" / "batches"

def aggregate(df):
    "Batches' rows pooled per strategy and parameter, weighted by repetitions (the RMSE through its square)."
    w = df.reps
    g = lambda col: (df[col] * w).groupby(level=[0, 1], sort=False).sum() / w.groupby(level=[0, 1], sort=False).sum()
    return pd.DataFrame(dict(coverage=g("coverage"), width=g("width"), bias=g("bias"),
                             rmse=np.sqrt((df.rmse ** 2 * w).groupby(level=[0, 1], sort=False).sum() / w.groupby(level=[0, 1], sort=False).sum()),
                             reps=w.groupby(level=[0, 1], sort=False).sum()))

def combine(study, parts):
    "One study's table from its batches (and extra strategy runs): per strategy and parameter, weighted by repetitions; a strategy that a later part re-ran is read from that part only."
    frames = [pd.read_csv(f, index_col=[0, 1]).assign(part=k) for k, p in enumerate(parts) for f in sorted(out.glob(f"{p}_[0-9][0-9][0-9].csv"))]
    df = pd.concat(frames)
    order = list(dict.fromkeys(df.index))
    last = df.groupby(level=0).part.max()
    df = df[df.part.to_numpy() == last.reindex(df.index.get_level_values(0)).to_numpy()].drop(columns="part")
    res = aggregate(df).loc[order]
    res.index.names = ["strategy", "parameter"]
    res.to_csv(ROOT / "bench" / "coverage" / f"{study}.csv"); print(res.reps.groupby(level=0, sort=False).min().to_string())

def replace_rows(table, part):
    "Replace the rows of `table` (a population-study csv) for the strategies that the batches of `part` re-ran, in place."
    files = sorted(out.glob(f"{part}_[0-9][0-9][0-9].csv"))
    if not files: return
    f = ROOT / "bench" / "coverage" / f"{table}.csv"
    old, res = pd.read_csv(f, index_col=[0, 1]), aggregate(pd.concat([pd.read_csv(x, index_col=[0, 1]) for x in files]))
    for k in res.index: old.loc[k, res.columns] = res.loc[k].to_numpy()
    old["reps"] = old.reps.astype(int); old.to_csv(f); print(table, res.reps.groupby(level=0, sort=False).min().to_string())

if len(sys.argv) not in (2, 4): sys.exit(__doc__)
if sys.argv[1] == "combine":
    combine("simulation", ["simulation", "sim_miracle", "bootstrap", "miri_bootstrap", "sim_default", "sim_pooled", "sim_default_pooled",
                           "sim_chained", "sim_default_chained", "sim_miri_accurate", "sim_miri_accurate_single"])
    combine("wine_quality_red", ["wine_quality_red", "wine_residual", "wine_miri_bootstrap", "wine_miracle", "wine_chained", "wine_chained_residual"])
    if list(out.glob("wine_boot_hc3_[0-9][0-9][0-9].csv")): combine("wine_replacement_hc3", ["wine_boot_hc3", "wine_boot_hc3_miracle_default"])
    if list(out.glob("wine_boot400_hc3_[0-9][0-9][0-9].csv")): combine("wine_replacement400_hc3", ["wine_boot400_hc3", "wine_boot400_hc3_miracle", "wine_boot400_hc3_miri256"])
    for table, part in [("wine_subsamples", "wine_sub"), ("wine_subsamples_hc3", "wine_sub_hc3")]:   # later parts replace earlier ones
        for p in (part, f"{part}_chained", f"{part}_residual", f"{part}_miri_start", f"{part}_miri_start_64", f"{part}_miri_default"): replace_rows(table, p)
    sys.exit()
which = sys.argv[1]; n_reps = int(sys.argv[2]); batch = int(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
nb = read_nb(ROOT / 'nbs' / '10a_multiple_imputation.ipynb')
g = {'__name__': '__main__'}
for c in nb.cells:
    if c.cell_type != 'code': continue
    s = c.source
    if s.startswith('#| slow'): continue
    if s.startswith('#| export') and 'def coverage' in s: continue
    if 'coverage(make_data, TRUE' in s or 'plot_' in s or 'traces(' in s: continue
    exec(s, g)
    if 'make_data =' in s: break
from causalimpute.multiple_imputation import coverage as cov
AS_RUN = g['MIRACLE_AS_RUN']                                  # MIRACLE as the committed studies ran it (its defaults then)
MIRI_RUN = g['MIRI_AS_RUN']                                  # and MIRI (preset="fast", its default then)
if not which.startswith('wine'):                              # the simulation: each study's strategies
    single, multiple = g['single'], g['multiple']
    point, boot = {"single: MIRACLE": single("miracle", **AS_RUN)}, {"multiple: MIRACLE bootstrap (m=10)": multiple("miracle", **AS_RUN)}
    resid = {"multiple: MIRACLE residual (m=10)": multiple("miracle", draws="residual", **AS_RUN)}
    default = {"multiple: MIRACLE default bootstrap (m=10)": multiple("miracle")}          # today's defaults: auto, tuned
    strategies = {"simulation": {**g['STRATEGIES'], "single: MissForest": single("missforest"), **point, "multiple: MIRI (m=10)": multiple("miri", **MIRI_RUN), **resid},
                  "sim_miracle": {**point, **resid},                                      # re-run after issue 16's changes
                  "sim_default": {"single: MIRACLE default": single("miracle"), **default},
                  "bootstrap": boot, "miri_bootstrap": {"multiple: MIRI bootstrap (m=10)": multiple("miri", draws="bootstrap", **MIRI_RUN)},
                  "sim_pooled": boot, "sim_default_pooled": default,                      # re-run after chapter 7 pooled the noise, held copies out
                  "sim_chained": {**boot, **resid}, "sim_default_chained": default,     # and after it chained the draws
                  "sim_miri_accurate": {"multiple: MIRI accurate bootstrap (m=10)": multiple("miri", draws="bootstrap", preset="accurate")},
                  "sim_miri_accurate_single": {"multiple: MIRI accurate (m=10)": multiple("miri", preset="accurate")}}[which]   # one fit's draws
    make, truth = g['make_data'], g['TRUE']
else:
    src = next(c.source for c in nb.cells if 'def wine_holes' in c.source)   # the wine study's definitions (the slow cell after runs it)
    exec('from causalimpute.datasets import load_dataset', g); exec(src, g)
    make, truth, fit = g['wine_holes'], g['WTRUE'], g['wine_ols']
    if which.startswith('wine_sub'):                            # the population study (200 wines a repetition), model or robust errors
        exec(next(c.source for c in nb.cells if 'N_SUB = 200' in c.source), g)
        make, fit = g['wine_sample'], g['wine_ols_hc3'] if which.startswith('wine_sub_hc3') else g['wine_ols']
    if which.startswith('wine_boot_hc3'):                                # the population drawn with replacement, robust errors
        for key in ('N_SUB = 200', 'def wine_draw'): exec(next(c.source for c in nb.cells if key in c.source), g)
        make, fit = g['wine_draw'], g['wine_ols_hc3']
    if which.startswith('wine_boot400'):                                 # the same at 400 wines, every method at today's defaults
        for key in ('N_SUB = 200', 'def wine_draw', 'N_BIG = 400'): exec(next(c.source for c in nb.cells if key in c.source), g)
        make, fit = g['wine_draw_400'], g['wine_ols_hc3']
    boot = {"multiple: MIRACLE bootstrap (m=10)": g['wmultiple']("miracle", fit, **AS_RUN)}
    mir_default = "multiple: MIRACLE default bootstrap (m=10)"
    rep = g['replacement_strategies'](fit) if which.startswith('wine_boot_hc3') else {}   # the population drawn with replacement
    big = g['big_strategies'](fit) if which.startswith('wine_boot400') else {}           # and at 400 wines
    resid = {"multiple: MIRACLE residual (m=10)": g['wmultiple']("miracle", fit, draws="residual", **AS_RUN)}
    strategies = {"wine_quality_red": g['wine_strategies'], "wine_miri_bootstrap": {"multiple: MIRI bootstrap (m=10)": g['wmultiple']("miri", draws="bootstrap", **MIRI_RUN)},
                  "wine_miracle": {"single: MIRACLE": g['wsingle']("miracle", **AS_RUN), **boot},
                  "wine_residual": resid, "wine_chained": boot, "wine_chained_residual": resid,
                  **{f"wine_sub{e}{k}": v for e in ("", "_hc3") for k, v in [("", boot), ("_chained", boot), ("_residual", resid)]},
                  "wine_sub_hc3_miri_start": g['miri_start'](fit),          # MIRI from the chapter's regression start (MIRI_START)
                  "wine_sub_hc3_miri_start_64": g['miri_start_64'](fit),    # and from it with chapter 12's batches (MIRI_START_64)
                  "wine_sub_hc3_miri_default": g['miri_default'](fit),    # and the default since its start became one chain
                  **({"wine_boot_hc3": {k: v for k, v in rep.items() if k != mir_default},   # as first run,
                      "wine_boot_hc3_miracle_default": {mir_default: rep[mir_default]}} if rep else {}),
                  **({"wine_boot400_hc3": {k: v for k, v in big.items() if k != mir_default},   # everything but MIRACLE's bootstrap,
                      "wine_boot400_hc3_miracle": {mir_default: big[mir_default]}} if big else {}),
                  "wine_boot400_hc3_miri256": g['miri_256'](fit)}[which]   # MIRI with the drift section's quieter steps (BATCHES_256)
for s0 in range(0, n_reps, batch):
    f = out / f"{which}_{s0:03d}.csv"
    if f.exists(): continue
    t = time.time()
    r = cov(make, truth, strategies, n_reps=min(batch, n_reps - s0), seed=s0, n_jobs=2, verbose=False)
    r.to_csv(f); print(which, s0, round(time.time() - t), flush=True)
print("done", which)
