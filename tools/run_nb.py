"""Execute notebooks in place, as the book commits them: every code cell runs in order in a fresh Jupyter kernel and its outputs
are saved, except cells flagged `slow` or `gpu` (their saved outputs are kept as they are) unless `--all`; then `nbdev_clean`.

    python tools/run_nb.py nbs/07_miracle.ipynb [nbs/10_miri.ipynb ...] [--all] [--cells ID ...]

`--cells` also runs the slow or gpu cells with those cell ids (a new experiment, and the slow cells that define what it uses).

It stops at the first cell that raises and leaves that notebook unchanged, printing the error. A notebook edited on disk while it
ran is not overwritten either: the run's copy is saved to a temporary file whose path is printed, and the tool exits with an error.
(`make experiments` runs the experiment chapters whole through nbconvert; this is for the chapters, whose slow cells are
minutes-long runs kept as they are.)
"""
import argparse, hashlib, sys, tempfile, time
from pathlib import Path


def flags(src: str) -> set:
    "The directive names (`#| slow`, `#| export`, ...) at the top of a cell's source."
    out = set()
    for line in src.splitlines():
        s = line.strip()
        if not s: continue
        if not s.startswith("#|"): break
        out.update(s[2:].replace(",", " ").split()[:1])
    return out


def run(path: Path, skip=("slow", "gpu"), timeout=3600, cells=()) -> float:
    "Execute `path` in place (cells flagged with any of `skip` keep their saved outputs, unless their id is in `cells`); return the seconds it took."
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or "nbdev_export(" in cell.source: continue
            if flags(cell.source) & set(skip) and cell.get("id") not in cells: continue
            try: client.execute_cell(cell, i)
            except CellExecutionError as e:
                sys.stderr.write(str(e)[-4000:] + "\n")
                raise SystemExit(f"run_nb: {path.name} failed in cell {i}; the notebook was not changed")
    if hashlib.sha256(path.read_bytes()).hexdigest() != before:     # edited while it ran: keep the edit, not the run
        fd, side = tempfile.mkstemp(prefix=path.stem + ".", suffix=".ipynb")
        with open(fd, "w", encoding="utf-8") as f: nbformat.write(nb, f)
        raise SystemExit(f"run_nb: {path.name} changed on disk while it ran; it was left as it is now and this run was saved to {side}")
    nbformat.write(nb, path)
    return time.perf_counter() - t0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--all", action="store_true", help="run the slow and gpu cells too")
    ap.add_argument("--cells", nargs="*", default=(), help="ids of slow or gpu cells to run too")
    a = ap.parse_args()
    from nbdev.clean import nbdev_clean
    for p in a.notebooks:
        secs = run(p.resolve(), skip=() if a.all else ("slow", "gpu"), cells=set(a.cells))
        nbdev_clean(fname=str(p))
        print(f"run_nb: {p} executed in {secs:.0f} s", flush=True)
