"""Build the documentation site into `_docs/` without a Quarto binary (`make docs`).

The pipeline is nbdev's and smalldocs's, with the gaps between them filled here rather than in a fork:

1. nbdev's notebook processing (what `nbdev_proc_nbs` runs, less its "install Quarto" step, its rewrite of the committed
   `nbs/nbdev.yml` and its `nbs/sidebar.yml`): `nbs/` -> `_proc/`, cached (only changed notebooks are done again), with a
   `show_doc` entry (signature, docments, docstring) for every exported function and class.
2. `_proc/sidebar.yml`: the pages in the book's order (`index`, then the numbered chapters), as `nbdev_sidebar` writes it.
3. smalldocs renders the Quarto project in `_proc/` into `_docs/`, through a subclass of its `Site` that does what Quarto
   does and smalldocs 0.5 does not: a notebook's `output-file` (nbdev's `core.html` for `00_core.ipynb`) names its page;
   nbdev's symbol links (absolute URLs on `doc_host`) point into this build; the links nbdev puts inside a signature's
   docments (Markdown in a code block) are kept as plain names.
4. After rendering: KaTeX, which smalldocs loads from a CDN, comes from the npm registry instead (`npm pack
   katex@VERSION`, cached in `.venv/share/`) and is copied into `_docs/site_libs/katex/`, on every page (a sidebar title
   may hold maths); with no npm the maths stays as readable TeX (`\\(x_{ij}\\)`) and no page refers to a CDN. nbdev links
   to symbols that have no entry (private helpers, `Class.method`) go to the class's entry or become plain code. Search
   works from a page opened as a file. Notebook tables get Quarto-like styling.

`--screenshots DIR` also saves DIR/home.png and DIR/chapter.png (headless Chromium); `--docments` lists the exported
parameters that have no docments comment. Where a real Quarto is installed, `nbdev_docs` builds a site from the same files.
"""
import argparse, json, os, re, shutil, subprocess, sys, tarfile, tempfile, time
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
KATEX_VERSION = "0.16.22"
KATEX_CACHE = ROOT / ".venv" / "share" / f"katex-{KATEX_VERSION}"
KATEX_FILES = ["katex.min.css", "katex.min.js", "contrib/auto-render.min.js"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def say(*a): print("build_docs:", *a, file=sys.stderr, flush=True)


def source_pages(nbs: Path) -> list[Path]:
    "The pages of the book in reading order: `index` first, then the others by name (00_core, 01_..., ...)."
    pages = [p for p in nbs.iterdir() if p.suffix in (".ipynb", ".qmd", ".md") and not p.name.startswith(("_", "."))
             and p.stem.lower() != "readme"]
    return sorted(pages, key=lambda p: (not p.stem.startswith("index"), p.name))


# ---------------------------------------------------------------- 1-2. nbdev: nbs -> _proc

def proc_notebooks(force: bool = False) -> Path:
    "Run nbdev's docs processing of the notebooks into `_proc/` (cached: only changed notebooks are redone)."
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    cfg = get_config(path=ROOT)
    nbs, proc = cfg.nbs_path, cfg.config_path / "_proc"
    # nbdev_proc_nbs = _ensure_quarto (downloads Quarto: not here) + refresh_quarto_yml (rewrites the committed
    # nbs/nbdev.yml) + _build_modidx (nbdev_export keeps it) + nbdev_sidebar (writes nbs/sidebar.yml) + proc_nbs.
    # Only proc_nbs is needed; the sidebar is written straight into _proc below.
    # nbdev's hint about cells that mix imports and code is for notebook authors; it would flood `make docs`
    os.environ.setdefault("PYTHONWARNINGS", "ignore:Found cells containing imports")
    proc_nbs(nbs, n_workers=int(os.environ.get("DOCS_JOBS", "2")), force=force)
    keep = {p.name for p in nbs.iterdir()} | {"sidebar.yml"}
    for p in proc.iterdir():                                  # a notebook removed from nbs/ leaves the site too
        if p.suffix in (".ipynb", ".qmd", ".md") and p.name not in keep: p.unlink()
    if not (str(cfg.get("custom_sidebar", "False")).lower() in ("true", "1") and (nbs / "sidebar.yml").exists()):
        import yaml
        contents = [p.name for p in source_pages(proc)]
        (proc / "sidebar.yml").write_text(yaml.safe_dump({"website": {"sidebar": {"contents": contents}}}, sort_keys=False))
    return proc


# ---------------------------------------------------------------- 3. smalldocs: _proc -> _docs

def front_matter(nb: Path) -> dict:
    "The front matter nbdev put in a processed notebook's first (raw) cell."
    import yaml
    try: cells = json.loads(nb.read_text()).get("cells", [])
    except ValueError: return {}
    if not cells or cells[0].get("cell_type") != "raw": return {}
    src = "".join(cells[0].get("source", ""))
    m = re.match(r"\s*---\n(.*?)\n---", src, re.S)
    return (yaml.safe_load(m.group(1)) or {}) if m else {}


FENCE_RE = re.compile(r"^```python\n.*?^```$", re.S | re.M)
LINK_IN_CODE_RE = re.compile(r"\[(`[^`\n]+`)\]\([^)\s]+\)")


def make_site(proc: Path, out: Path):
    "A smalldocs `Site` for `proc` that writes to `out`, reads `output-file`, and keeps nbdev's symbol links inside the build."
    from smalldocs.config import load
    from smalldocs.site import Site
    from nbdev.config import get_config
    cfg = get_config(path=ROOT)
    doc_url = (cfg.get("doc_host", "").rstrip("/") + "/" + cfg.get("doc_baseurl", "").strip("/")).rstrip("/")
    outfile = {p.name: front_matter(p).get("output-file") for p in proc.glob("*.ipynb")}
    by_html = {(o or Path(n).with_suffix(".html").name): n for n, o in outfile.items()}
    link_re = re.compile(re.escape(doc_url) + r"/([\w.-]+\.html)") if doc_url else None

    class NbdevSite(Site):
        def render_page(self, page):
            super().render_page(page)
            page.env["math"] = True                        # KaTeX on every page: a sidebar title may hold maths

        def read(self, src):
            page = super().read(src)
            name = outfile.get(src.name) if src.parent == PurePosixPath(".") else None
            if name: page.out = src.with_name(name)
            # nbdev links the names in a signature's docments, which shows as Markdown inside the code block: keep the name
            page.body = FENCE_RE.sub(lambda m: LINK_IN_CODE_RE.sub(r"\1", m.group(0)), page.body)
            if link_re:                                    # https://host/base/core.html#imputer -> 00_core.ipynb#imputer
                page.body = link_re.sub(lambda m: by_html.get(m.group(1), m.group(1)), page.body)
            return page

    project = load(proc)
    project.config.setdefault("project", {})["output-dir"] = str(out)
    # keys that only Quarto reads; smalldocs would warn about them on every build
    html = (project.config.get("format") or {}).get("html") or {}
    html.pop("html-math-method", None)                     # KaTeX is what smalldocs uses, and what _quarto.yml asks for
    html.pop("keep-md", None)
    project.warnings = [w for w in project.warnings if "html-math-method" not in w and "keep-md" not in w]
    site = NbdevSite(project, quiet=True)
    _warn = site.warn
    site.warn = lambda msg: None if msg.endswith("output-file is not read by smalldocs") else _warn(msg)  # NbdevSite reads it
    return site


# ---------------------------------------------------------------- 4. KaTeX without a CDN

def katex_assets() -> Path | None:
    "KaTeX's dist folder from the npm registry (`npm pack`), cached in .venv/share; None when it cannot be had."
    dist = KATEX_CACHE / "dist"
    if all((dist / f).exists() for f in KATEX_FILES): return dist
    npm = shutil.which("npm")
    if not npm:
        say("npm not found: maths stays as readable TeX"); return None
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([npm, "pack", f"katex@{KATEX_VERSION}", "--silent", "--pack-destination", tmp],
                           capture_output=True, text=True, timeout=300)
        tgz = next(Path(tmp).glob("katex-*.tgz"), None)
        if r.returncode or tgz is None:
            say(f"npm pack katex failed ({r.stderr.strip()[-300:]}): maths stays as readable TeX"); return None
        with tarfile.open(tgz) as t:
            members = [m for m in t.getmembers() if m.isfile() and m.name.startswith("package/dist/")
                       and (m.name.endswith(("katex.min.css", "katex.min.js", "auto-render.min.js", ".woff2", "LICENSE")))]
            t.extractall(tmp, members=members, filter="data")
        shutil.rmtree(KATEX_CACHE, ignore_errors=True)
        KATEX_CACHE.mkdir(parents=True)
        shutil.move(str(Path(tmp) / "package" / "dist"), str(dist))
    return dist


EXTRA_CSS = """/* added by tools/build_docs.py: what Quarto's bootstrap styles give a notebook's tables */
.cell-output-display table { border-collapse: collapse; border: none; margin: 0.5rem 0 1rem; font-size: 0.875em; }
.cell-output-display table th, .cell-output-display table td { border: none; border-bottom: 1px solid #dee2e6; padding: 0.25rem 0.6rem; text-align: right; }
.cell-output-display table thead th { border-bottom: 2px solid #adb5bd; }
.cell-output-display table tbody tr:nth-child(odd) { background: rgba(0, 0, 0, 0.03); }
.cell-output-display img { max-width: 100%; height: auto; }
"""


# A page opened from disk (file://) cannot fetch() search.json: load the same index as a script instead, when asked for
FILE_SEARCH = """(() => { if (location.protocol !== "file:") return; const f = window.fetch;
window.fetch = function (u, ...a) { const url = String(u); if (!url.endsWith("search.json")) return f.call(this, u, ...a);
  return new Promise((ok, fail) => { const s = document.createElement("script");
    s.src = url.replace(/search\\.json$/, "site_libs/search-index.js"); s.onerror = fail;
    s.onload = () => ok(new Response(JSON.stringify(window.SMALLDOCS_SEARCH || []), {headers: {"Content-Type": "application/json"}}));
    document.head.appendChild(s); }); }; })();"""


def finish_pages(out: Path) -> str:
    "Point every page's KaTeX at `site_libs/katex` (copied from npm's package), or drop it so maths stays as TeX text; add our CSS."
    from smalldocs.layout import KATEX
    dist = katex_assets()
    if dist: shutil.copytree(dist, out / "site_libs" / "katex", dirs_exist_ok=True)
    (out / "site_libs" / "nbdev-docs.css").write_text(EXTRA_CSS)
    ids = {p.resolve(): set(re.findall(r'\bid="([^"]+)"', p.read_text(encoding="utf-8"))) for p in out.rglob("*.html")}

    def dead_symbol_link(m, page):                         # nbdev links every name in its index, private ones too, but
        href, inner = m.group(1), m.group(2)               # only exported ones get an entry: keep the name, drop the link
        path, _, frag = href.partition("#")
        target = (page.parent / path).resolve() if path else page.resolve()
        have = ids.get(target, {frag})
        if not frag or target.suffix != ".html" or frag in have: return m.group(0)
        cls = frag.split(".")[0]                            # `Imputer.fit` -> the entry of `Imputer`, when it has one
        return f'<a href="{path}#{cls}">{inner}</a>' if "." in frag and cls in have else inner

    if (out / "search.json").is_file():                    # search from a page opened as a file: no fetch() there
        (out / "site_libs" / "search-index.js").write_text("window.SMALLDOCS_SEARCH = " + (out / "search.json").read_text() + ";\n")
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        text = re.sub(r'<a href="([^":?]*#[^"]+)">(<code>[^<]*</code>)</a>', lambda m: dead_symbol_link(m, page), text)
        up = "../" * (len(page.relative_to(out).parts) - 1)
        if dist: text = text.replace(KATEX, f"{up}site_libs/katex")
        else: text = re.sub(r'<link[^>]*' + re.escape(KATEX) + r'[^>]*>|<script[^>]*' + re.escape(KATEX) + r'[^>]*></script>', "", text)
        text = text.replace("</head>", f'<link rel="stylesheet" href="{up}site_libs/nbdev-docs.css"><script>{FILE_SEARCH}</script></head>', 1)
        page.write_text(text, encoding="utf-8")
    return f"KaTeX {KATEX_VERSION} from npm, copied into site_libs/katex (no CDN)" if dist else "readable TeX text (KaTeX could not be had)"


# ---------------------------------------------------------------- screenshots

def screenshot(html: Path, png: Path, size=(1280, 900)) -> None:
    "Headless Chromium's screenshot of a built page."
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as prof:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={prof}",
                        f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=5000", f"--screenshot={png}",
                        html.resolve().as_uri()], check=True, capture_output=True, timeout=120)


# ---------------------------------------------------------------- main

def chapter_pages(out: Path) -> list[Path]:
    "The built pages in the book's order, read from the sidebar of the built home page."
    html = (out / "index.html").read_text(encoding="utf-8")
    side = html[html.find('id="quarto-sidebar"'):]
    seen = []
    for h in re.findall(r'<a href="([^"#?]+\.html)"[^>]*class="[^"]*sidebar-link', side):
        if h not in seen: seen.append(h)
    return [out / h for h in seen]


def build(force: bool = False) -> Path:
    from nbdev.config import get_config
    t0 = time.time()
    out = get_config(path=ROOT).config_path / get_config(path=ROOT).get("doc_path", "_docs")
    proc = proc_notebooks(force=force)
    t1 = time.time()
    site = make_site(proc, out)
    n = site.build()
    maths = finish_pages(out)
    for w in site.warnings: say("warning:", w)
    say(f"{n} page(s) in {out.relative_to(ROOT)}/ (nbdev {t1 - t0:.1f}s, smalldocs {time.time() - t1:.1f}s); maths: {maths}")
    return out


def undocumented_parameters() -> dict[str, list[str]]:
    "Exported functions and classes (in a module's `__all__`) whose parameters have no docments comment, by `module.name`."
    import ast, importlib, inspect
    from fastcore.docments import docments
    from nbdev.config import get_config
    lib = get_config(path=ROOT).lib_path
    out = {}
    for py in sorted(lib.glob("*.py")):
        if py.name.startswith("_"): continue
        tree = ast.parse(py.read_text())
        names = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                      and any(getattr(t, "id", None) == "__all__" for t in n.targets)), [])
        mod = importlib.import_module(f"{lib.name}.{py.stem}")
        for n in tree.body:
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names:
                obj = getattr(mod, n.name)
                try: docs = docments(obj)
                except Exception as e: out[f"{py.stem}.{n.name}"] = [f"(docments failed: {type(e).__name__}: {e})"]; continue
                try: params = inspect.signature(obj).parameters.values()
                except (TypeError, ValueError): params = []                  # no Python signature (an exception class, say)
                star = {p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
                bare = [k for k, v in docs.items() if k not in ("return", "self") and k not in star and not v]
                if bare: out[f"{py.stem}.{n.name}"] = bare
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="process every notebook again, ignoring nbdev's cache in _proc/")
    ap.add_argument("--screenshots", metavar="DIR", help="also save DIR/home.png and DIR/chapter.png")
    ap.add_argument("--docments", action="store_true", help="only list exported parameters that have no docments comment")
    args = ap.parse_args()
    os.chdir(ROOT)
    if args.docments:
        bare = undocumented_parameters()
        for k, v in bare.items(): print(f"{k}: {', '.join(v)}")
        print(f"{len(bare)} exported function(s)/class(es) with parameters that have no docments comment")
        sys.exit(0)
    out = build(force=args.force)
    if args.screenshots:
        pages = chapter_pages(out)
        screenshot(out / "index.html", Path(args.screenshots) / "home.png")
        chapters = [p for p in pages if p.name != "index.html"]
        if chapters: screenshot(chapters[0], Path(args.screenshots) / "chapter.png")
        say(f"screenshots in {args.screenshots}/")
