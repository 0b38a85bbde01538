"""The built HTML book (``_build/html``, built once per session by the ``built_book`` fixture).

* every chapter listed in ``_toc.yml`` has a page with at least one matplotlib figure and no error
  output; the reference pages exist;
* the book is complete offline: no page mentions a CDN, every script and stylesheet a page loads is
  a local file that exists;
* each chapter's Colab button opens the committed notebook of the repository set in ``_config.yml``;
* a headless Chromium opens each chapter (and the pages with equations) from ``file://`` with no
  network and we read back the DOM: MathJax typeset every equation, no TeX is left raw, no TeX
  error, every saved widget rendered, and no uncaught JavaScript error.

The Chromium part needs Debian's ``chromium`` (``scripts/test.sh`` installs it when it can); without
it those tests skip, unless ``CMT_REQUIRE_DATA=1`` or ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from helpers import book

ROOT = Path(__file__).resolve().parents[1]
CDN_HOSTS = ("cdn.jsdelivr", "unpkg.com", "cdnjs")
REFERENCE_PAGES = (
    "book/intro",
    "book/how_to_run",
    "book/notation",
    "book/scorecard",
    "book/course",
    "book/runs",
    "book/references",
)
MATH_PAGES = ("book/intro", "book/notation", "book/scorecard")  # other pages with equations
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=15000",
    "--enable-logging=stderr",
    "--v=0",
)
RAW_TEX = ("$$", "\\begin", "\\(", "\\[")


# ------------------------------------------------------------------------------ the book's layout


def toc_files(root: Path = ROOT) -> list[str]:
    """Every ``file`` entry of ``_toc.yml`` (jb-book format), root first, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [
        str(Path(f).with_suffix("")) if Path(f).suffix in (".md", ".ipynb") else f for f in files
    ]


def toc_chapters(root: Path = ROOT) -> list[str]:
    """The chapter notebooks (``notebooks/NN_topic``) listed in ``_toc.yml``."""
    return [f for f in toc_files(root) if f.startswith("notebooks/")]


CHAPTERS = toc_chapters()


def page(html: Path, doc: str) -> Path:
    path = html / f"{doc}.html"
    assert path.is_file(), f"{doc} is in _toc.yml but {path} was not built"
    return path


# ------------------------------------------------------------------------------ a small DOM

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}


class Node:
    def __init__(self, tag: str, attrs: dict | None = None, parent: "Node | None" = None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs or {}, parent, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list["Node"]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
        ]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def own_text(self, skip: str) -> str:
        """Text of this subtree outside elements whose tag starts with ``skip`` (e.g. ``mjx-``)."""
        return "".join(
            c if isinstance(c, str) else ("" if c.tag.startswith(skip) else c.own_text(skip))
            for c in self.children
        )


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document")

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v or "") for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: (v or "") for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def math_nodes(tree: Node) -> list[Node]:
    """Sphinx's math: ``<span class="math ...">`` (inline) and ``<div class="math ...">``
    (display)."""
    return [n for n in tree.iter() if n.tag in ("span", "div") and "math" in n.classes]


def widget_views(text: str) -> int:
    return text.count('type="application/vnd.jupyter.widget-view+json"')


# ------------------------------------------------------------------------------ static checks


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_page_has_figures_and_no_errors(built_book: Path, stem: str):
    path = page(built_book, stem)
    tree = parse(path.read_text(encoding="utf-8"))
    figures = [
        img
        for img in tree.find_all("img")
        if "_images/" in img.attrs.get("src", "") and img.attrs["src"].lower().endswith(".png")
    ]
    assert figures, f"{stem}: no matplotlib figure (<img src=.../_images/*.png>) on the page"
    for img in figures:
        assert (path.parent / unquote(img.attrs["src"])).is_file(), (
            f"{stem}: missing image {img.attrs['src']}"
        )

    problems = []
    for node in tree.iter():
        if "traceback" in node.classes:
            problems.append(f"error output: {node.text().strip()[:300]}")
        elif {"output", "stderr"} <= node.classes:
            text = node.text()
            if "Traceback" in text or re.search(r"\b(?:[A-Z]\w*)?Error\b", text):
                problems.append(f"stderr output with an error: {text.strip()[:300]}")
    raw = path.read_text(encoding="utf-8")
    if "papermill-error-cell" in raw or "An Exception was encountered" in raw:
        problems.append("papermill marked a failing cell")
    assert not problems, f"{stem}:\n" + "\n".join(problems)


@pytest.mark.parametrize("doc", REFERENCE_PAGES)
def test_reference_page_exists(built_book: Path, doc: str):
    tree = parse(page(built_book, doc).read_text(encoding="utf-8"))
    titles = [h.text().strip() for h in tree.find_all("h1")]
    assert titles and titles[0], f"{doc}: page has no title"
    assert (built_book / "index.html").is_file(), "no index.html at the root of the book"


def _loaded_resources(tree: Node) -> list[str]:
    """Every URL a page *loads* (scripts, stylesheets, icons, images, preloads), not plain links."""
    urls = [
        n.attrs["src"]
        for n in tree.iter()
        if n.tag in ("script", "img", "iframe", "audio", "source") and n.attrs.get("src")
    ]
    urls += [n.attrs["href"] for n in tree.find_all("link") if n.attrs.get("href")]
    return urls


def test_offline_complete_no_cdn(built_book: Path):
    # the book's pages; _static/ holds theme template fragments and _vendor/ third-party files
    pages = [
        p
        for p in sorted(built_book.rglob("*.html"))
        if not p.relative_to(built_book).parts[0].startswith("_")
    ]
    assert pages, f"no HTML pages under {built_book}"
    problems = []
    for path in pages:
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(built_book)
        problems += [f"{rel}: mentions {host}" for host in CDN_HOSTS if host in text]
        for url in _loaded_resources(parse(text)):
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            if parts.scheme or url.startswith("//"):
                problems.append(f"{rel}: loads {url} from the network")
            elif parts.path and not (path.parent / unquote(parts.path)).exists():
                problems.append(f"{rel}: loads {url}, which is not in the built book")
    for needed in ("mathjax/tex-chtml.js", "requirejs/require.js", "jupyter-widgets/embed-amd.js"):
        if not (built_book / "_vendor" / needed).is_file():
            problems.append(f"_vendor/{needed} is missing")
    assert not problems, "\n".join(problems[:50])


@pytest.mark.parametrize("stem", CHAPTERS)
def test_colab_button_opens_the_committed_notebook(built_book: Path, stem: str):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo, colab = config["repository"], config["launch_buttons"]["colab_url"].rstrip("/")
    owner_repo = urlsplit(repo["url"]).path.strip("/").removesuffix(".git")
    prefix = repo.get("path_to_book", "").strip("/")
    notebook = f"{prefix}/{stem}.ipynb" if prefix else f"{stem}.ipynb"
    # the release tag, not the moving branch of _config.yml: the notebook whose install cell
    # installs the helpers of the same release (book.stage writes it into the staged config)
    expected = f"{colab}/github/{owner_repo}/blob/{book.release_tag(ROOT)}/{notebook}"
    hrefs = {
        a.attrs.get("href", "")
        for a in parse(page(built_book, stem).read_text(encoding="utf-8")).find_all("a")
    }
    colab_links = sorted(h for h in hrefs if h.startswith(colab))
    assert expected in hrefs, f"{stem}: Colab link should be {expected}, page has {colab_links}"
    assert (ROOT / prefix / f"{stem}.ipynb").is_file(), (
        f"the Colab link opens {notebook}, which is not in the repository"
    )


# ------------------------------------------------------------------------------ the two editions


def solution_nodes(tree: Node) -> list[Node]:
    """sphinx-exercise's rendered solutions (gated or not): ``<div class="... solution ...">``."""
    return [n for n in tree.iter() if n.tag == "div" and "solution" in n.classes]


@pytest.mark.parametrize("stem", CHAPTERS)
def test_each_edition_has_exactly_the_solutions_it_should(built_book, student_book, stem):
    from helpers import edition

    md = (ROOT / f"{stem}.md").read_text()
    labels = edition.exercise_labels(md)
    teacher = parse(page(built_book, stem).read_text(encoding="utf-8"))
    student_html = page(student_book, stem).read_text(encoding="utf-8")
    student = parse(student_html)
    # instructor: one rendered solution per exercise; student: the exercises, no solution at all
    assert len(solution_nodes(teacher)) == len(labels), f"{stem}: instructor solutions"
    assert solution_nodes(student) == [], f"{stem}: the student edition shows a solution"
    ids = {n.attrs.get("id", "") for n in student.iter()}
    assert all(lab in ids for lab in labels), f"{stem}: an exercise is missing in the student page"
    # and none of the solutions' text: each solution's longest line is absent from the page
    for node in solution_nodes(teacher):
        lines = sorted((ln.strip() for ln in node.text().splitlines()), key=len)
        if lines and len(lines[-1]) > 30:
            assert lines[-1] not in student.text(), f"{stem}: solution text in the student page"
    assert book.STUDENT_BANNER in student.text(), f"{stem}: no student-edition banner"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_student_colab_button_opens_the_student_notebook(student_book, stem):
    from helpers import edition

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    owner_repo = urlsplit(config["repository"]["url"]).path.strip("/").removesuffix(".git")
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    name = Path(stem).name
    expected = (
        f"{colab}/github/{owner_repo}/blob/{book.release_tag(ROOT)}/{edition.STUDENT_DIR}/"
        f"{name}.ipynb"
    )
    tree = parse(page(student_book, stem).read_text(encoding="utf-8"))
    hrefs = {a.attrs.get("href", "") for a in tree.find_all("a")}
    assert expected in hrefs, f"{stem}: student Colab link should be {expected}"
    assert (ROOT / edition.STUDENT_DIR / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_shows_when_it_was_verified_and_the_runs_page_lists_it(built_book, stem):
    """The chapter's closing stamp (glued from its run) and its row on the runs page agree."""
    text = parse(page(built_book, stem).read_text(encoding="utf-8")).text()
    m = re.search(r"Last verified:\s*(\d{4}-\d\d-\d\d \d\d:\d\d UTC), (\w+) mode, seed (\d+)", text)
    assert m, f"{stem}: no 'Last verified:' stamp on the page"
    runs = parse(page(built_book, "book/runs").read_text(encoding="utf-8"))
    rows = [
        [td.text().strip() for td in tr.find_all("td")]
        for tr in runs.find_all("tr")
        if tr.find_all("td")
    ]
    number = str(int(Path(stem).name[:2]))
    row = next((r for r in rows if r and r[0] == number), None)
    assert row, f"{stem}: no row on the runs page"
    assert row[1] == m.group(2) and row[2] == m.group(3) and row[7] == m.group(1), (row, m.groups())
    assert float(row[3]) > 0 and row[5] not in ("", "?")


# ------------------------------------------------------------------------------ headless Chromium


def _must_not_skip() -> bool:
    return (
        os.environ.get("CMT_REQUIRE_DATA", "") == "1" or os.environ.get("CI", "").lower() == "true"
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not exe:
        reason = (
            "headless Chromium not found "
            "(Debian: apt-get install chromium; scripts/test.sh does it as root)"
        )
        if _must_not_skip():
            pytest.fail(f"{reason}; CMT_REQUIRE_DATA=1 / CI=true forbid skipping the browser test")
        pytest.skip(reason)
    return exe


def render(chromium: str, path: Path) -> tuple[str, str]:
    """Open ``path`` from file:// in headless Chromium, no network; return (DOM after scripts,
    log)."""
    with tempfile.TemporaryDirectory(prefix="cmt-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            path.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            pytest.fail(f"chromium did not finish rendering {path} within 180 s")
    if proc.returncode != 0 or "</html>" not in proc.stdout:
        pytest.fail(f"chromium failed on {path} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout, proc.stderr


@pytest.mark.parametrize("doc", CHAPTERS + list(MATH_PAGES))
def test_page_renders_offline_in_chromium(built_book: Path, chromium: str, doc: str):
    path = page(built_book, doc)
    source = path.read_text(encoding="utf-8")
    n_math = len(math_nodes(parse(source)))
    n_views = widget_views(source)
    dom_text, log = render(chromium, path)
    dom = parse(dom_text)
    problems = []

    # MathJax: every Sphinx math element holds a typeset mjx-container, no TeX left, no TeX error
    typeset = math_nodes(dom)
    if len(typeset) < n_math:
        problems.append(f"{n_math} math elements in the page but {len(typeset)} in the DOM")
    for node in typeset:
        if not node.find_all("mjx-container"):
            problems.append(f"equation not typeset by MathJax: {node.text().strip()[:120]!r}")
        raw = node.own_text(skip="mjx-")
        if any(token in raw for token in RAW_TEX):
            problems.append(f"raw TeX left in a math element: {raw.strip()[:120]!r}")
    errors = dom.find_all("mjx-merror")
    problems += [f"MathJax TeX error: {e.text().strip()[:120]!r}" for e in errors]
    if n_math and not dom.find_all("mjx-container"):
        problems.append(
            "MathJax did not run (no mjx-container in the DOM): is _vendor/mathjax served?"
        )

    # widgets: each saved view is rendered into a widget-subarea holding jupyter-widgets elements
    if n_views:
        rendered = [
            s
            for s in dom.find_all("div", "widget-subarea")
            if any(
                "jupyter-widgets" in n.classes or any(c.startswith("widget-") for c in n.classes)
                for n in s.iter()
            )
        ]
        if len(rendered) < n_views:
            problems.append(
                f"{n_views} saved widget views but {len(rendered)} rendered widgets in the DOM"
            )
        if "Error displaying widget" in dom_text:
            problems.append(
                "the widget manager could not display a widget ('Error displaying widget')"
            )

    # JavaScript: nothing uncaught (Chromium logs console messages to stderr with --enable-logging)
    uncaught = [
        line.split("CONSOLE", 1)[-1][:300]
        for line in log.splitlines()
        if "CONSOLE" in line and ("Uncaught" in line or "Error displaying widget" in line)
    ]
    problems += [f"JavaScript error: {line}" for line in uncaught]
    assert not problems, f"{doc}:\n" + "\n".join(problems[:40])
