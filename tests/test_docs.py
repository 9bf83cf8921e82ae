"""The documentation site, opened in a real browser.

`make docs` (tools/build_docs.py) builds `_docs/`; `make test` builds it first, and this module builds it again when a notebook
is newer than the site. Headless Chromium (Debian's `chromium`, `make chromium`) opens every page with the network cut off and
the DOM it shows is checked: each notebook of `nbs/` is a page with its title, at least one rendered output, its maths typeset
by the site's own KaTeX, and an API entry for every exported function and class showing its documented parameters; the
sidebar lists the pages in the book's order; every internal link, anchor and asset resolves inside `_docs/` (no CDN); no
script error. Screenshots of the home page and the first chapter are kept in `build/docs-screenshots/`.
"""
import ast, fcntl, hashlib, os, re, subprocess, sys, tempfile
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import NBS, ROOT

DOCS = ROOT / "_docs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "build" / "docs-screenshots"
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def page_name(nb: Path) -> str:
    "The page nbdev gives a notebook: `00_core.ipynb` -> `core.html` (the number prefix dropped), `index.ipynb` -> `index.html`."
    return re.sub(r"^\d+[a-zA-Z0-9]*_", "", nb.name.lower()).removesuffix(".ipynb") + ".html"


# ---------------------------------------------------------------- what the notebooks promise

def nb_cells(nb: Path) -> list[dict]:
    import json
    return [dict(c, source="".join(c["source"]) if isinstance(c["source"], list) else c["source"]) for c in json.loads(nb.read_text())["cells"]]


def nb_title(nb: Path) -> str:
    "The notebook's `# Title` (its first level-1 heading)."
    for c in nb_cells(nb):
        m = re.search(r"^# (.+)$", c["source"], re.M) if c["cell_type"] == "markdown" else None
        if m: return m.group(1).strip()
    return ""


def nb_has_maths(nb: Path) -> bool:
    "Whether a markdown cell has TeX maths: `$...$` or `$$...$$`."
    return any(c["cell_type"] == "markdown" and re.search(r"\$\$.+?\$\$|\$[^$\s][^$]*\$", c["source"], re.S) for c in nb_cells(nb))


def nb_module(nb: Path) -> str | None:
    "The module a notebook exports to (`#| default_exp name`)."
    for c in nb_cells(nb):
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", c["source"], re.M) if c["cell_type"] == "code" else None
        if m: return m.group(1)
    return None


def exported_api(module: str) -> dict[str, dict[str, str]]:
    "Each exported function and class of `causalimpute.<module>` (in `__all__`, not `@patch`ed) -> its documented parameters."
    import importlib
    from fastcore.docments import docments
    py = ROOT / "causalimpute" / (module.replace(".", "/") + ".py")
    assert py.is_file(), f"causalimpute/{py.name} is missing: run nbdev_export"
    src = ast.parse(py.read_text())
    names = next((ast.literal_eval(n.value) for n in src.body if isinstance(n, ast.Assign)
                  and any(getattr(t, "id", None) == "__all__" for t in n.targets)), [])
    defs = [n.name for n in src.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name in names
            and not any("patch" in ast.unparse(d) for d in n.decorator_list)]
    mod = importlib.import_module(f"causalimpute.{module}")
    out = {}
    for name in defs:
        try: docs = docments(getattr(mod, name))
        except Exception: docs = {}
        out[name] = {k: v for k, v in docs.items() if k not in ("return", "self") and isinstance(v, str) and v.strip()}
    return out


# ---------------------------------------------------------------- what the browser shows

class Dom(HTMLParser):
    "What the checks need from a page: ids, links, assets, classes, the title, the sidebar and the prose text."
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    SKIP = {"pre", "code", "script", "style", "annotation", "math"}  # text that is code, or KaTeX's copy of the TeX

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.assets, self.classes, self.sidebar = set(), [], [], [], []
        self.title, self.h1, self.prose, self.all_text = "", "", [], []
        self._stack = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if a.get("id"): self.ids.add(a["id"])
        self.classes += cls
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
            if "sidebar-link" in cls: self.sidebar.append(a["href"])
        if tag in ("script", "img", "iframe", "source") and a.get("src"): self.assets.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon", "preload"): self.assets.append(a["href"])
        if tag not in self.VOID: self._stack.append((tag, cls))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):       # forgiving: close the nearest open element of that name
            if self._stack[i][0] == tag: del self._stack[i:]; break

    def handle_data(self, data):
        tags = [t for t, _ in self._stack]
        if "title" in tags: self.title += data
        if any(t == "h1" and "title" in c for t, c in self._stack): self.h1 += data
        if "body" in tags: self.all_text.append(data)
        if "main" in tags and not self.SKIP.intersection(tags) and not any("katex" in c for _, c in self._stack):
            self.prose.append(data)


@lru_cache(maxsize=None)
def static_dom(path: Path) -> Dom:
    "A built page as written (ids for anchors do not depend on scripts)."
    return Dom(path.read_text(encoding="utf-8"))


def browser_dom(path: Path) -> tuple[Dom, list[str]]:
    "The page as headless Chromium shows it once its scripts ran, with the network cut off; and its script errors."
    with tempfile.TemporaryDirectory() as prof:
        r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={prof}",
                            "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
                            "--virtual-time-budget=5000", "--dump-dom", path.resolve().as_uri()],
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "</html>" in r.stdout, f"chromium could not open {path.name}:\n{r.stderr[-2000:]}"
    errors = [l for l in r.stderr.splitlines() if "CONSOLE" in l and "Uncaught" in l]
    return Dom(r.stdout), errors


# ---------------------------------------------------------------- the site, built and current

def _stale() -> bool:
    index = DOCS / "index.html"
    if not index.exists(): return True
    sources = [*(ROOT / "nbs").iterdir(), ROOT / "tools" / "build_docs.py", ROOT / "settings.ini"]
    return max(p.stat().st_mtime for p in sources if p.is_file()) > index.stat().st_mtime


@pytest.fixture(scope="module")
def site() -> Path:
    "The built site: `make docs` made it, or it is built here (once, under a lock, for pytest's parallel workers)."
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium"
    lock = Path(tempfile.gettempdir()) / f"causalimpute-docs-{hashlib.md5(str(ROOT).encode()).hexdigest()[:8]}.lock"
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        if _stale():
            r = subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py")], cwd=ROOT, capture_output=True, text=True)
            assert r.returncode == 0, f"tools/build_docs.py failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return DOCS


# ---------------------------------------------------------------- the checks

def link_problems(page: Path, dom: Dom) -> list[str]:
    "Internal links that lead nowhere (a missing page or a missing anchor) and assets that are missing or come from outside."
    out = []
    for href in dom.links:
        if EXTERNAL.match(href) or not href: continue
        parts = urlsplit(href)
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir(): target = target / "index.html"
        if DOCS.resolve() not in target.parents: out.append(f"link {href!r} leaves the site"); continue
        if not target.is_file(): out.append(f"broken link {href!r}: no {target.relative_to(DOCS.resolve())}"); continue
        if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in static_dom(target).ids:
            out.append(f"broken link {href!r}: {target.name} has no id {parts.fragment!r}")
    for src in dom.assets:
        if src.startswith("data:"): continue
        if EXTERNAL.match(src): out.append(f"asset from outside the site (needs a network): {src}"); continue
        if not (page.parent / unquote(urlsplit(src).path)).is_file(): out.append(f"missing asset {src}")
    return out


def test_sidebar_lists_the_book_in_order(site):
    expected = [page_name(nb) for nb in sorted(NBS, key=lambda p: (p.stem != "index", p.name))]
    got = static_dom(site / "index.html").sidebar
    assert got == expected, f"sidebar of index.html:\n  {got}\nexpected (nbs/ in order):\n  {expected}"


@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_page(site, nb):
    page = site / page_name(nb)
    assert page.is_file(), f"{nb.name} has no page {page.name} in {site.name}/"
    dom, errors = browser_dom(page)
    problems = [f"script error: {e}" for e in errors]
    if "quarto-document-content" not in dom.ids: problems.append("no main content (id quarto-document-content)")
    # the title: the notebook's `# Title`, in <title> and in the page's <h1 class="title">
    want = re.sub(r"\W+", "", nb_title(nb).split("$")[0]).lower()
    if not want: problems.append(f"{nb.name} has no `# Title`")
    if not dom.h1.strip(): problems.append("no <h1 class='title'>")
    if not want or not re.sub(r"\W+", "", dom.title).lower().startswith(want):
        problems.append(f"<title> {dom.title!r} is not the notebook's title {nb_title(nb)!r}")
    # outputs
    if dom.classes.count("cell-output") < 1: problems.append("no rendered cell output (.cell-output)")
    # maths, typeset by KaTeX with no network; no TeX left in the prose
    if nb_has_maths(nb):
        if "katex" not in dom.classes: problems.append("the notebook has maths but the page has no KaTeX output (.katex)")
    if "katex-error" in dom.classes: problems.append("KaTeX could not typeset some maths (.katex-error)")
    prose = " ".join(dom.prose)
    left = re.findall(r"\\\(.{0,40}|\\\[.{0,40}|\$\$.{0,40}", prose)
    if left: problems.append(f"maths left as TeX in the prose: {left[:3]}")
    # navigation: the same sidebar as the home page
    if dom.sidebar != static_dom(site / "index.html").sidebar: problems.append(f"sidebar differs from the home page's: {dom.sidebar}")
    # API entries: every exported function and class, with its documented parameters
    module = nb_module(nb)
    if module:
        text = re.sub(r"\s+", " ", " ".join(dom.all_text))
        for name, params in exported_api(module).items():
            if name.lower() not in dom.ids: problems.append(f"no API entry (anchor #{name.lower()}) for exported {module}.{name}"); continue
            for p, doc in params.items():
                if re.sub(r"\s+", " ", doc.strip()) not in text: problems.append(f"{module}.{name}: parameter {p}'s doc {doc!r} not shown")
    problems += link_problems(page, dom)
    assert not problems, f"{page.name} ({nb.name}):\n  " + "\n  ".join(problems)


def test_diagnostic_plots_are_in_the_docs(site):
    "The multiple-imputation chapter draws its diagnostics (convergence traces, imputed against observed, coverage), and its page shows those figures."
    nb = next(p for p in NBS if p.stem.endswith("multiple_imputation"))
    assets = set(static_dom(site / page_name(nb)).assets)
    for call in ("plot_traces(", "plot_densities(", "plot_coverage("):
        cells = [c for c in nb_cells(nb) if c["cell_type"] == "code" and call in c["source"] and "#| export" not in c["source"]]
        pngs = ["".join(o["data"]["image/png"]).replace("\n", "") for c in cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert pngs, f"{nb.name}: no cell calling {call[:-1]} has a figure among its outputs"
        assert any(f"data:image/png;base64,{b}" in assets for b in pngs), f"{page_name(nb)} does not show the figure of {call[:-1]}"


def test_search_works_offline(site):
    "The search box finds a chapter's API entry from the home page opened as a file (no server, no network)."
    probe = site / f"_search_probe_{os.getpid()}.html"      # a copy of the home page that types into the search box
    typing = ('<script>addEventListener("load", () => setTimeout(() => { const i = document.querySelector(".smalldocs-search input");'
              ' i.value = "observed mask"; i.dispatchEvent(new Event("input")); }, 100));</script></body>')
    probe.write_text((site / "index.html").read_text(encoding="utf-8").replace("</body>", typing, 1), encoding="utf-8")
    try: dom, errors = browser_dom(probe)
    finally: probe.unlink()
    hits = [h for h in dom.links if "#" in h and not h.startswith("#") and h not in static_dom(site / "index.html").links]
    assert not errors, errors
    assert any(h.endswith("core.html#observed_mask") for h in hits), f"search for 'observed mask' found {hits}"


def test_screenshots(site):
    "The home page and the first chapter, as a reader sees them (kept in build/docs-screenshots/ to look at)."
    from PIL import Image
    sidebar = static_dom(site / "index.html").sidebar
    pages = {"home": "index.html", "chapter": next((h for h in sidebar if h != "index.html"), None)}
    assert pages["chapter"], "the sidebar has no chapter"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, href in pages.items():
        png = SHOTS / f"{name}.png"
        png.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as prof:
            subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={prof}",
                            "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,900", "--virtual-time-budget=5000",
                            f"--screenshot={png}", (site / href).resolve().as_uri()], capture_output=True, timeout=120)
        assert png.is_file(), f"no screenshot of {href}"
        im = Image.open(png).convert("RGB")
        assert im.size == (1280, 900), im.size
        colours = im.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50, f"the screenshot of {href} is nearly blank ({len(colours)} colours)"
