"""The book runner: execute every chapter once, then render the HTML from the executed copies.

``python -m helpers book --mode quick``

1. Reads the chapter list from ``_toc.yml`` (every ``notebooks/NN_*`` entry, in order).
2. Executes each chapter's output-free ``.ipynb`` with papermill (parameter ``mode``) into
   ``_build/executed/``; the first failing cell stops the run with the chapter and cell named.
3. Prints a table: chapter, mode, seconds, peak RSS of the kernel.
4. Stages ``_config.yml``, ``_toc.yml``, ``book/`` and the executed notebooks in ``_build/stage``
   and builds them with Jupyter Book 1.x, execution off and warnings as errors, into
   ``_build/html``.

No chapter runs twice: the HTML shows exactly the outputs that were validated.

``python -m helpers book --smoke`` (or ``CMT_SMOKE=1``) executes every chapter as a smoke run:
the full-mode code path with budgets clamped to a few batches on the data present (see
``helpers.runtime``), no HTML; a check that full mode runs, not results.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = "_build"


class ChapterFailed(RuntimeError):
    """A chapter's cell raised: the message names the chapter, the cell and the error."""


@dataclass
class ChapterRun:
    chapter: str
    mode: str
    seconds: float
    peak_rss_mb: float
    output: Path
    smoke: bool = False


@dataclass
class BuildResult:
    runs: list[ChapterRun] = field(default_factory=list)
    html: Path | None = None
    student_html: Path | None = None


def chapters(root: Path = ROOT) -> list[str]:
    """Chapter stems listed in ``_toc.yml`` (e.g. ``notebooks/01_modulation``), in book order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            f = node.get("file")
            if isinstance(f, str) and f.startswith("notebooks/"):
                found.append(f[: -len(Path(f).suffix)] if Path(f).suffix else f)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    return found


class _PeakRSS:
    """Poll the RSS of this process's children (the kernel) in a thread; keep the maximum."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            for child in self._proc.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self._interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def _kernel_env(root: Path, claims_dir: Path, helpers_from_clone: bool = True, smoke: bool = False):
    """Environment for the chapter kernels, restored afterwards.

    ``helpers`` importable from the clone (the venv is shared between clones, the clone is not
    installed), and matplotlib's inline backend: a non-interactive backend such as Agg, inherited
    from a shell that set ``MPLBACKEND``, would leave every figure cell without output. The
    chapters' claim ledgers go to ``claims_dir`` (``CMT_CLAIMS_DIR``), where :func:`stage` reads
    them. ``smoke`` sets ``CMT_SMOKE`` (1 or 0) for them.
    """
    names = ("PYTHONPATH", "MPLBACKEND", "CMT_CLAIMS_DIR", "CMT_HEADLESS", "CMT_SMOKE")
    saved = {k: os.environ.get(k) for k in names}
    parts = [str(root)] * helpers_from_clone + [
        p for p in (saved["PYTHONPATH"] or "").split(os.pathsep) if p
    ]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ["CMT_CLAIMS_DIR"] = str(claims_dir)
    os.environ["CMT_HEADLESS"] = "1"  # plotting.explorer: no frontend will draw widgets
    os.environ["CMT_SMOKE"] = "1" if smoke else "0"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: Per-cell time limits (seconds). A quick-mode cell never needs minutes; in full mode a training
#: cell may; a smoke run's cell (budgets clamped) never does.
CELL_TIMEOUT = {"quick": 420, "full": 3600, "smoke": 420}


def _is_stall(err: BaseException) -> bool:
    """A cell that never reported back: nbclient's timeout, or the kernel died under us.

    Seen here about once in tens of runs: the kernel finishes the cell and goes idle, but the client
    never receives the reply, and waits for the whole cell timeout.
    """
    names = {type(e).__name__ for e in (err, err.__cause__, err.__context__) if e is not None}
    return bool(names & {"TimeoutError", "CellTimeoutError", "DeadKernelError"})


def execute_chapter(
    stem: str,
    mode: str,
    out_dir: Path,
    root: Path = ROOT,
    timeout: int | None = None,
    retries: int = 1,
    log=print,
    parameters: dict | None = None,
    helpers_from_clone: bool = True,
    smoke: bool | None = None,
) -> ChapterRun:
    """Execute ``<stem>.ipynb`` with papermill (``-p mode <mode>`` and ``parameters``, e.g.
    ``{"seed": 1}``) into ``out_dir``; its claims ledger goes to ``out_dir/claims``.

    A cell that raises stops the chapter (:class:`ChapterFailed`, naming chapter and cell). A cell
    that stalls past ``timeout`` (default :data:`CELL_TIMEOUT` for the mode) is retried from a fresh
    kernel up to ``retries`` times, and the retry is logged; the reported seconds are the last
    run's. ``helpers_from_clone=False`` leaves ``root`` off the kernels' ``PYTHONPATH``, so they
    import the installed helpers (the Colab-stack check, ``scripts/colab_check.py``).

    ``smoke`` (``None``: ``$CMT_SMOKE``) executes a smoke run: mode ``full`` whatever ``mode``
    says, ``CMT_SMOKE=1`` in the kernel, budgets clamped by the helpers (``helpers.runtime``).
    """
    import papermill as pm

    from helpers import runtime

    smoke = runtime.resolve_smoke(smoke)
    if smoke:
        mode = "full"

    src = root / f"{stem}.ipynb"
    if not src.exists():
        raise FileNotFoundError(f"chapter {stem!r} is listed in _toc.yml but {src} does not exist")
    out = out_dir / f"{stem}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    timeout = (
        timeout or CELL_TIMEOUT["smoke" if smoke else mode if mode in CELL_TIMEOUT else "full"]
    )
    for attempt in range(retries + 1):
        t0 = time.perf_counter()
        env = _kernel_env(root, out_dir / "claims", helpers_from_clone, smoke)
        with env, _PeakRSS() as rss:
            try:
                pm.execute_notebook(
                    str(src),
                    str(out),
                    parameters={"mode": mode, **(parameters or {})},
                    kernel_name="python3",
                    cwd=str(src.parent),
                    execution_timeout=timeout,
                    progress_bar=False,
                )
            except pm.PapermillExecutionError as err:
                raise ChapterFailed(
                    f"chapter {stem} failed in cell {err.exec_count} ({err.ename}: "
                    f"{err.evalue}); executed copy with the traceback: {out}"
                ) from None
            except Exception as err:  # noqa: BLE001 - only stalls are retried, the rest re-raised
                if not _is_stall(err):
                    raise
                if attempt == retries:
                    raise ChapterFailed(
                        f"chapter {stem} stalled: no reply from a cell within {timeout} s, "
                        f"{retries + 1} times ({type(err).__name__}: {err})"
                    ) from err
                log(
                    f"  {stem}: a cell gave no reply within {timeout} s ({type(err).__name__}); "
                    f"retrying with a fresh kernel"
                )
                continue
        result = ChapterRun(stem, mode, time.perf_counter() - t0, rss.peak / 2**20, out, smoke)
        record_run(result, out_dir / "claims")
        return result
    raise AssertionError("unreachable")


RUNS_FILE = "runs.json"


def record_run(run: ChapterRun, claims_dir: Path) -> Path:
    """Add (or replace) ``run``'s row of the runner's table in ``claims_dir/runs.json``."""
    path = Path(claims_dir) / RUNS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(path.read_text()) if path.exists() else []
    rows = [r for r in rows if r["chapter"] != run.chapter]
    rows.append(
        {
            "chapter": run.chapter,
            "mode": "smoke" if run.smoke else run.mode,
            "seconds": round(run.seconds, 1),
            "peak_rss_mb": round(run.peak_rss_mb),
        }
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=1))
    tmp.replace(path)
    return path


RUNS_MARK = "<!-- RUNS -->"


def runs_table(claims_dir: Path, root: Path = ROOT) -> str:
    """The last run of every chapter in ``_toc.yml``: the runner's table (mode, seconds, peak
    memory) joined with each chapter's stamp (date, device, torch; :meth:`runtime.Run.stamp`)."""
    claims_dir = Path(claims_dir)
    path = claims_dir / RUNS_FILE
    rows = {r["chapter"]: r for r in json.loads(path.read_text())} if path.exists() else {}
    lines = [
        "| chapter | mode | seed | seconds | peak memory (MB) | device | torch | verified (UTC) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for stem in chapters(root):
        name = Path(stem).name
        st_path = claims_dir / "stamps" / f"ch{name[:2]}.json"
        st = json.loads(st_path.read_text()) if st_path.exists() else {}
        r = rows.get(stem)
        doc = f"{{doc}}`{int(name[:2])} </{stem}>`"
        if r is None and not st:
            lines.append(f"| {doc} | not executed in this build | | | | | | |")
            continue
        r = r or {}
        seconds = r.get("seconds", st.get("seconds"))
        lines.append(
            f"| {doc} | {r.get('mode', st.get('mode', '?'))} | {st.get('seed', '?')} | "
            f"{seconds:.0f} | {r.get('peak_rss_mb', '?')} | {st.get('device', '?')} | "
            f"{st.get('torch', '?')} | {st.get('date', '?')} |"
        )
    return "\n".join(lines)


def fill_runs(page: Path, claims_dir: Path, root: Path = ROOT) -> Path:
    """Replace ``<!-- RUNS -->`` of the staged runs page by :func:`runs_table`."""
    text = page.read_text()
    if RUNS_MARK not in text:
        raise RuntimeError(f"{page} has no {RUNS_MARK} marker for the table of runs")
    page.write_text(text.replace(RUNS_MARK, runs_table(claims_dir, root)))
    return page


def format_table(runs: list[ChapterRun]) -> str:
    lines = [f"{'chapter':<32} {'mode':<6} {'seconds':>8} {'peak RSS (MB)':>14}"]
    lines += [
        f"{r.chapter:<32} {'smoke' if r.smoke else r.mode:<6} {r.seconds:8.1f} "
        f"{r.peak_rss_mb:14.0f}"
        for r in runs
    ]
    lines.append(f"{'total':<32} {'':<6} {sum(r.seconds for r in runs):8.1f}")
    return "\n".join(lines)


EDITIONS = ("instructor", "student")


def stage(executed: Path, root: Path = ROOT, edition: str = "instructor") -> Path:
    """Copy config, toc, book pages and the executed notebooks into ``_build/stage`` (the
    instructor edition) or ``_build/stage-student``: the student edition, the same executed
    chapters with every solution removed (:func:`helpers.edition.strip_solutions`), its launch
    buttons opening ``student/notebooks``."""
    from helpers import assets, checks

    edition = checks.choice(edition, "edition", EDITIONS)
    dest = root / BUILD / ("stage" if edition == "instructor" else "stage-student")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, dest / name)
    # launch buttons open the notebooks of the release this build belongs to, as the chapters'
    # Colab cells install its helpers: a page already published never meets a moved branch
    cfg = dest / "_config.yml"
    cfg.write_text(re.sub(r"(?m)^(  branch:\s*)\S+", rf"\g<1>{release_tag(root)}", cfg.read_text()))
    shutil.copytree(root / "book", dest / "book", ignore=shutil.ignore_patterns("_vendor"))
    shutil.copytree(executed / "notebooks", dest / "notebooks")
    if edition == "student":
        _make_student(dest)
    fill_scorecard(dest / "book" / "scorecard.md", executed / "claims", root)
    fill_runs(dest / "book" / "runs.md", executed / "claims", root)
    assets.ensure_vendor(dest / "book" / "_vendor")
    return dest


STUDENT_BANNER = (
    "Student edition: the exercises are yours to solve; worked solutions are in the instructor "
    "edition."
)


def _make_student(dest: Path) -> None:
    """Turn a staged instructor edition into the student edition, in place."""
    import nbformat

    from helpers import edition

    for path in sorted((dest / "notebooks").glob("*.ipynb")):
        nb, _ = edition.strip_solutions(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, path)
    cfg = dest / "_config.yml"
    text = cfg.read_text()
    text, n = re.subn(
        r"(?m)^(  path_to_book:\s*).*$", rf'\g<1>"{edition.STUDENT_DIR.split("/")[0]}"', text
    )
    if n != 1:
        raise RuntimeError("_config.yml: expected one `path_to_book:` under `repository:`")
    text = text.replace("\nhtml:\n", f'\nhtml:\n  announcement: "{STUDENT_BANNER}"\n', 1)
    cfg.write_text(text)


CLAIMS_MARK = re.compile(r"<!-- CLAIMS ch(\d\d) -->")


def fill_scorecard(page: Path, claims_dir: Path, root: Path = ROOT) -> Path:
    """Replace each ``<!-- CLAIMS chNN -->`` of the staged scorecard by the table generated from
    chapter NN's executed ledger (``claims_dir/chNN.json``), so mode, seeds, numbers and verdicts
    are those of this build; a chapter not executed in this build says so."""
    from helpers import claims

    docs = {Path(s).name[:2]: s for s in chapters(root)}

    def table(match) -> str:
        nn = match.group(1)
        doc = f"{{doc}}`{int(nn)} </{docs[nn]}>`" if nn in docs else f"chapter {int(nn)}"
        ledger = claims_dir / f"ch{nn}.json"
        if not ledger.exists():
            return (
                f"*Chapter {int(nn)} was not executed in this build: its claims are not "
                f"tested yet here.*"
            )
        return claims.scorecard_table(claims.read_chapter(ledger), doc)

    page.write_text(CLAIMS_MARK.sub(table, page.read_text()))
    return page


def render(staged: Path, root: Path = ROOT, html_dir: str = "html") -> Path:
    """Build the staged sources with Jupyter Book (execution off, warnings as errors) into
    ``_build/<html_dir>``."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jb) if jb.exists() else "jupyter-book",
        "build",
        str(staged),
        "--path-output",
        str(staged),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-20000:] + proc.stderr[-20000:])
        raise RuntimeError(
            f"jupyter-book build failed (exit {proc.returncode}); warnings are errors"
        )
    html = root / BUILD / html_dir
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(staged / "_build" / "html", html)
    return html


def render_student(executed: Path, root: Path = ROOT) -> Path:
    """The student edition's HTML (``_build/html-student``) from the same executed chapters."""
    return render(stage(executed, root, edition="student"), root, html_dir="html-student")


def build(
    mode: str | None = None,
    root: Path = ROOT,
    only: list[str] | None = None,
    html: bool = True,
    log=None,
    smoke: bool | None = None,
) -> BuildResult:
    """Execute the chapters (all in ``_toc.yml``, or those whose number is in ``only``) and
    render. ``smoke`` (``None``: ``$CMT_SMOKE``): smoke runs of the chapters (mode ``full``,
    budgets clamped; see :func:`execute_chapter`), never rendered: their numbers are not
    results."""
    from helpers import runtime

    log = log or (lambda msg: print(msg, flush=True))
    smoke = runtime.resolve_smoke(smoke)
    mode = "full" if smoke else runtime.resolve_mode(mode)
    if smoke and html:
        raise ValueError("a smoke run (smoke=True, CMT_SMOKE=1) renders no HTML; pass html=False")
    stems = chapters(root)
    if only:
        wanted = {str(n).zfill(2) for n in only}
        stems = [s for s in stems if Path(s).name[:2] in wanted]
        if not stems:
            raise ValueError(f"only={only!r} matches no chapter in _toc.yml")
    executed = root / BUILD / "executed"
    if executed.exists():
        shutil.rmtree(executed)
    result = BuildResult()
    for stem in stems:
        log(f"executing {stem} ({'smoke run, ' if smoke else ''}{mode}) ...")
        run = execute_chapter(stem, mode, executed, root, log=log, smoke=smoke)
        log(f"  {run.seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB")
        result.runs.append(run)
    log(format_table(result.runs))
    if html:
        if only:
            raise ValueError("a partial run (only=...) cannot render the HTML; pass html=False")
        result.html = render(stage(executed, root), root)
        log(f"HTML: {result.html / 'index.html'}")
        result.student_html = render_student(executed, root)
        log(f"student edition: {result.student_html / 'index.html'}")
    return result


def sync(root: Path = ROOT) -> list[Path]:
    """Write each ``notebooks/*.md`` to its paired output-free ``.ipynb`` (the .md is the
    source)."""
    import jupytext

    written = []
    for md in sorted((root / "notebooks").glob("[0-9][0-9]_*.md")):
        nb = jupytext.read(md)
        ipynb = md.with_suffix(".ipynb")
        # keep the ids of unchanged cells, so that diffs of the .ipynb show only real changes;
        # cells with the same source (two "my_prediction = None" prompts) keep theirs in order,
        # and every id stays unique (a duplicate would be renamed at random by nbformat)
        old: dict = {}
        for c in jupytext.read(ipynb).cells if ipynb.exists() else []:
            old.setdefault((c.cell_type, c.source), []).append(c.get("id"))
        used: set = set()
        for i, cell in enumerate(nb.cells):
            kept = [k for k in old.get((cell.cell_type, cell.source), []) if k and k not in used]
            cell["id"] = kept[0] if kept else cell.get("id")
            while not cell["id"] or cell["id"] in used:
                cell["id"] = hashlib.sha1(f"{md.name}:{i}:{cell['id']}".encode()).hexdigest()[:8]
            used.add(cell["id"])
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        jupytext.write(nb, ipynb, fmt="ipynb")
        written.append(ipynb)
        written.append(write_student(ipynb, root))
    return written


def student_copy(ipynb: Path):
    """The student edition of an output-free chapter notebook (solutions out, stubs in)."""
    import nbformat

    from helpers import edition

    nb = nbformat.read(ipynb, as_version=4)
    student, _ = edition.strip_solutions(nb, ipynb.name)
    student.metadata.pop("jupytext", None)  # no paired .md beside the student copy
    return student


def write_student(ipynb: Path, root: Path = ROOT) -> Path:
    """Write ``student/notebooks/<name>.ipynb`` (what the student edition's Colab buttons open)."""
    import nbformat

    from helpers import edition

    dest = root / edition.STUDENT_DIR / ipynb.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(student_copy(ipynb), dest)
    return dest


def check_pair(md: Path) -> list[str]:
    """Problems with a jupytext pair: missing ``.ipynb``, cells differing from the ``.md``, outputs.

    Compares cell types, sources and tags, so it does not depend on file times (which are arbitrary
    in a fresh clone).
    """
    import jupytext

    ipynb = md.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"{md.name}: no paired {ipynb.name}"]
    problems = []
    a, b = jupytext.read(md), jupytext.read(ipynb)
    sig = lambda nb: [
        (c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", []))) for c in nb.cells
    ]
    sa, sb = sig(a), sig(b)
    if sa != sb:
        diff = next((i for i, (x, y) in enumerate(zip(sa, sb)) if x != y), min(len(sa), len(sb)))
        problems.append(
            f"{md.name} and {ipynb.name} differ from cell {diff} on "
            f"({len(sa)} vs {len(sb)} cells): run `python -m helpers sync`"
        )
    import nbformat

    from helpers import edition

    problems += edition.check_solutions(md.read_text(), md.name)
    student = ipynb.parent.parent / edition.STUDENT_DIR / ipynb.name
    if not student.parent.is_dir():
        pass  # a tree without a student edition (e.g. a test's scratch pair): nothing to compare
    elif not student.exists():
        problems.append(
            f"{md.name}: no student copy {edition.STUDENT_DIR}/{ipynb.name}: run "
            "`python -m helpers sync`"
        )
    elif sig(student_copy(ipynb)) != sig(nbformat.read(student, as_version=4)):
        problems.append(
            f"{edition.STUDENT_DIR}/{ipynb.name} is not the student copy of "
            f"{ipynb.name}: run `python -m helpers sync`"
        )
    outputs = sum(len(c.get("outputs", [])) for c in b.cells if c.cell_type == "code")
    counts = sum(1 for c in b.cells if c.cell_type == "code" and c.get("execution_count"))
    if outputs or counts:
        problems.append(
            f"{ipynb.name} is committed with {outputs} outputs / {counts} execution counts"
        )
    return problems


#: A chapter's Colab install: ``git+<repository url>@<release tag>``.
INSTALL_URL = re.compile(r"git\+(https://[^\s\"'@]+)@([\w.+-]+)")


def release_tag(root: Path = ROOT) -> str:
    """``v<version>`` of ``pyproject.toml``: the tag the published pages and their Colab install
    cells point at (a fixed release, never a moving branch)."""
    import tomllib

    return "v" + tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def _rewrite_installs(root: Path, url: str | None = None, tag: str | None = None) -> list[Path]:
    changed = []
    for md in sorted((root / "notebooks").glob("[0-9][0-9]_*.md")):
        t = md.read_text()
        t2 = INSTALL_URL.sub(lambda m: f"git+{url or m.group(1)}@{tag or m.group(2)}", t)
        if t2 != t:
            md.write_text(t2)
            changed.append(md)
    return changed


def set_repo(url: str, root: Path = ROOT) -> list[Path]:
    """Point the launch buttons (``_config.yml``) and every chapter's Colab install cell at ``url``.

    ``_config.yml`` -> ``repository: url:`` is the one repository setting; this keeps the chapters'
    ``pip install git+<url>@<tag>`` cells equal to it (the tag unchanged) and re-syncs the pairs.
    """
    if not isinstance(url, str) or not re.fullmatch(
        r"https://[\w.-]+/[\w.-]+/[\w.-]+", url.rstrip("/")
    ):
        raise ValueError(f"url must look like https://github.com/OWNER/REPO, got {url!r}")
    url = url.rstrip("/")
    cfg = root / "_config.yml"
    text = cfg.read_text()
    new, n = re.subn(r"(repository:\s*\n\s*url:\s*)\S+", rf"\g<1>{url}", text)
    if n != 1:
        raise ValueError(f"{cfg} has no 'repository: url:' setting to change")
    cfg.write_text(new)
    changed = [cfg, *_rewrite_installs(root, url=url)]
    sync(root)
    return changed


def set_release(version: str, root: Path = ROOT) -> list[Path]:
    """Make ``version`` (e.g. ``"0.2.0"``) the book's release: ``pyproject.toml``,
    ``helpers.__version__`` and every chapter's Colab install cell (``@v<version>``); re-syncs the
    pairs. Tag the commit ``v<version>`` when it is published."""
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"version must look like 1.2.3, got {version!r}")
    changed = []
    for path, pattern in (
        (root / "pyproject.toml", r'(?m)^(version = ")[^"]+(")'),
        (root / "helpers" / "__init__.py", r'(?m)^(__version__ = ")[^"]+(")'),
    ):
        text = path.read_text()
        new, n = re.subn(pattern, rf"\g<1>{version}\g<2>", text, count=1)
        if n != 1:
            raise ValueError(f"{path} has no version line to change")
        path.write_text(new)
        changed.append(path)
    changed += _rewrite_installs(root, tag=f"v{version}")
    sync(root)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("book", help="execute every chapter once, then build the HTML")
    b.add_argument(
        "--mode",
        choices=["quick", "full"],
        default=None,
        help="default: $CMT_MODE, else full with CUDA, else quick",
    )
    b.add_argument("--only", nargs="+", metavar="NN", help="execute only these chapters (no HTML)")
    b.add_argument("--no-html", action="store_true", help="execute only")
    b.add_argument(
        "--smoke",
        action="store_true",
        help="smoke run: full-mode code path, budgets clamped to a few batches, data present "
        "(implies --no-html; also CMT_SMOKE=1)",
    )
    sub.add_parser("sync", help="write notebooks/*.md to their paired .ipynb")
    sub.add_parser("check", help="check that every pair is in sync and output-free")
    r = sub.add_parser("set-repo", help="point launch buttons and Colab install cells at a fork")
    r.add_argument("url", help="https://github.com/OWNER/REPO")
    h = sub.add_parser("render", help="build the HTML from chapters executed elsewhere")
    h.add_argument("executed", help="a folder with notebooks/ and claims/ (scripts/gpu-check.sh)")
    v = sub.add_parser("set-release", help="set the release: pyproject, helpers, Colab cells")
    v.add_argument("version", help="e.g. 0.2.0 (the published commit is tagged v0.2.0)")
    m = sub.add_parser("manifest", help="record helpers/manifests/*.json from a data directory")
    m.add_argument("data_dir", help="a folder laid out like ../shared/data")
    args = parser.parse_args(argv)
    if args.cmd == "manifest":
        from helpers import data

        for p in data.record_manifests(args.data_dir):
            print(f"wrote {p.relative_to(ROOT)}")
        return 0
    if args.cmd == "book":
        try:
            from helpers import runtime

            smoke = runtime.resolve_smoke(True if args.smoke else None)
            html = not (args.no_html or args.only or smoke)
            build(args.mode, only=args.only, html=html, smoke=smoke)
        except ChapterFailed as err:
            print(f"FAILED: {err}", file=sys.stderr)
            return 1
        return 0
    if args.cmd == "set-repo":
        for p in set_repo(args.url):
            print(f"updated {p.relative_to(ROOT)}")
        return 0
    if args.cmd == "render":
        executed = Path(args.executed).resolve()
        if not (executed / "notebooks").is_dir():
            print(
                f"render: {executed} has no notebooks/ folder of executed chapters", file=sys.stderr
            )
            return 2
        print(f"HTML: {render(stage(executed, ROOT), ROOT) / 'index.html'}")
        print(f"student edition: {render_student(executed, ROOT) / 'index.html'}")
        return 0
    if args.cmd == "set-release":
        for p in set_release(args.version):
            print(f"updated {p.relative_to(ROOT)}")
        return 0
    if args.cmd == "sync":
        for p in sync():
            print(f"wrote {p.relative_to(ROOT)}")
        return 0
    problems = [
        p for md in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md")) for p in check_pair(md)
    ]
    print("\n".join(problems) or "all pairs in sync and output-free")
    return 1 if problems else 0
