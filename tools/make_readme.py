"""Write README.md from nbs/index.ipynb without Quarto (nbdev_readme needs a Quarto binary).

Hidden cells (`#| hide`) are left out, directive lines are dropped, code goes in ```python fences and each
cell's text output (stream or plain-text repr) follows it. `--check` only reports whether README.md is current.
"""
import sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]

def _directives(src): return [l.strip() for l in src.splitlines() if l.strip().startswith("#|")]

def render(nb_path=ROOT / "nbs" / "index.ipynb") -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown":
            parts.append(src.strip()); continue
        if cell.cell_type != "code" or any(d.replace(" ", "") in ("#|hide", "#|include:false") for d in _directives(src)): continue
        code = "\n".join(l for l in src.splitlines() if not l.strip().startswith("#|")).strip()
        if code: parts.append(f"```python\n{code}\n```")
        for out in cell.get("outputs", []):
            text = out.get("text") if out.output_type == "stream" else out.get("data", {}).get("text/plain")
            if text: parts.append("```\n" + "".join(text).rstrip() + "\n```")
    return "\n\n".join(p for p in parts if p) + "\n"

if __name__ == "__main__":
    text = render()
    readme = ROOT / "README.md"
    if "--check" in sys.argv:
        ok = readme.exists() and readme.read_text() == text
        print("README.md is current" if ok else "README.md is out of date: run `make readme`")
        sys.exit(0 if ok else 1)
    readme.write_text(text)
    print(f"wrote {readme} ({len(text)} chars)")
