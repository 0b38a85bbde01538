"""Chapters: jupytext pairs, the Colab set-up cell, and quick-mode execution through the runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from helpers import book

ROOT = Path(__file__).resolve().parents[1]
MDS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
QUICK_BUDGET_S = 180  # every chapter under 3 minutes in quick mode on 2 cores


def test_every_toc_chapter_has_a_pair():
    stems = book.chapters(ROOT)
    assert stems, "_toc.yml lists no chapter"
    for stem in stems:
        assert (ROOT / f"{stem}.md").exists(), f"{stem}.md missing"
        assert (ROOT / f"{stem}.ipynb").exists(), f"{stem}.ipynb missing"


@pytest.mark.parametrize("md", MDS, ids=[m.stem for m in MDS])
def test_pair_in_sync_and_output_free(md):
    assert book.check_pair(md) == []


def test_check_pair_detects_drift_and_outputs(tmp_path):
    """The pair check itself must be able to fail."""
    import jupytext

    md = tmp_path / "01_x.md"
    md.write_text(
        "---\njupytext:\n  formats: ipynb,md:myst\n  text_representation:\n"
        "    extension: .md\n    format_name: myst\nkernelspec:\n  name: python3\n"
        "  display_name: Python 3\n---\n# T\n\n```{code-cell} ipython3\nx = 1\n```\n"
    )
    nb = jupytext.read(md)
    jupytext.write(nb, tmp_path / "01_x.ipynb", fmt="ipynb")
    assert book.check_pair(md) == []
    md.write_text(md.read_text().replace("x = 1", "x = 2"))
    assert any("differ" in p for p in book.check_pair(md))
    md.write_text(md.read_text().replace("x = 2", "x = 1"))
    raw = json.loads((tmp_path / "01_x.ipynb").read_text())
    code = next(c for c in raw["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    (tmp_path / "01_x.ipynb").write_text(json.dumps(raw))
    assert any("outputs" in p for p in book.check_pair(md))


@pytest.mark.parametrize("md", MDS, ids=[m.stem for m in MDS])
def test_chapter_template(md):
    """Parameters cell, Colab cell pointing at the repository of _config.yml, asserts, exercises."""
    text = md.read_text()
    nb = json.loads(md.with_suffix(".ipynb").read_text())
    tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
    assert "parameters" in tags
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    tag = book.release_tag(ROOT)
    assert f"git+{repo}@{tag}" in text, (
        f"Colab set-up cell of {md.name} does not install from {repo} at the release {tag}"
    )
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    src = "".join(first["source"])
    assert "google.colab" in src and "--no-deps" in src and "find_spec" in src, (
        f"the first code cell of {md.name} is not the Colab install cell"
    )
    assert not re.search(r"\b(torch|numpy|ipywidgets)\b(?!,| or)", src.split("import sys", 1)[1]), (
        "the install cell imports or installs a heavy package"
    )
    assert re.search(r"^\s*assert\b", text, re.M), f"{md.name} asserts nothing"
    assert text.count("{exercise}") >= 3, f"{md.name} has fewer than 3 exercises"
    assert "{cite" in text


def test_every_chapter_runs_in_quick_mode(book_build):
    runs = {r.chapter: r for r in book_build.runs}
    assert set(runs) == set(book.chapters(ROOT))
    for stem, r in runs.items():
        assert r.mode == "quick"
        assert r.seconds < QUICK_BUDGET_S, (
            f"{stem} took {r.seconds:.0f} s in quick mode (> {QUICK_BUDGET_S} s)"
        )
        nb = json.loads(r.output.read_text())
        errors = [
            o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
        ]
        assert not errors, f"{stem} has error outputs"
        images = [
            o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})
        ]
        assert images, f"{stem} produced no figure"
        for c in nb["cells"]:
            name = c.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
            if name:
                assert any("image/png" in o.get("data", {}) for o in c.get("outputs", [])), (
                    f"{stem}: figure cell {name!r} has no image output"
                )
        banner = "".join(
            "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
        )
        assert "mode     : quick" in banner, f"{stem} does not print the run banner"


def test_failing_cell_names_chapter_and_cell(tmp_path):
    """The runner stops on a failing cell and names the chapter and the cell."""
    import nbformat

    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("mode = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('ok')"),
        nbformat.v4.new_code_cell("raise ValueError('boom')"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, nbdir / "99_fail.ipynb")
    with pytest.raises(book.ChapterFailed, match=r"notebooks/99_fail.*ValueError: boom"):
        book.execute_chapter(
            "notebooks/99_fail", "quick", tmp_path / "out", root=tmp_path, timeout=120
        )


def test_set_repo_rewrites_config_and_colab_cells(tmp_path):
    import shutil

    shutil.copy2(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "notebooks").mkdir()
    for md in MDS:
        shutil.copy2(md, tmp_path / "notebooks" / md.name)
    book.set_repo("https://github.com/someone/fork", root=tmp_path)
    cfg = yaml.safe_load((tmp_path / "_config.yml").read_text())
    assert cfg["repository"]["url"] == "https://github.com/someone/fork"
    tag = book.release_tag(ROOT)
    for md in (tmp_path / "notebooks").glob("*.md"):
        assert f"git+https://github.com/someone/fork@{tag}" in md.read_text()
        assert book.check_pair(md) == []
    with pytest.raises(ValueError, match="url"):
        book.set_repo("not a url", root=tmp_path)


def test_set_release_moves_version_and_every_install_cell_together(tmp_path):
    import shutil

    for name in ("pyproject.toml", "_config.yml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "helpers").mkdir()
    shutil.copy2(ROOT / "helpers" / "__init__.py", tmp_path / "helpers" / "__init__.py")
    (tmp_path / "notebooks").mkdir()
    for md in MDS:
        shutil.copy2(md, tmp_path / "notebooks" / md.name)
    book.set_release("9.8.7", root=tmp_path)
    assert book.release_tag(tmp_path) == "v9.8.7"
    assert '__version__ = "9.8.7"' in (tmp_path / "helpers" / "__init__.py").read_text()
    for md in (tmp_path / "notebooks").glob("*.md"):
        assert md.read_text().count("cnn-modulation-book@v9.8.7") == 1, md.name
    with pytest.raises(ValueError, match="version"):
        book.set_release("v1.0", root=tmp_path)


def test_release_is_one_version():
    import helpers

    assert book.release_tag(ROOT) == f"v{helpers.__version__}"


def test_stalled_cell_is_retried_once_then_reported(tmp_path):
    """A cell that gives no reply within the timeout is retried from a fresh kernel, once."""
    import nbformat

    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    flag = tmp_path / "first_attempt_done"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("mode = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            f"import pathlib, time\nflag = pathlib.Path({str(flag)!r})\n"
            "if not flag.exists():\n    flag.touch()\n    time.sleep(60)\nprint('done')"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, nbdir / "98_stall.ipynb")
    logged = []
    run = book.execute_chapter(
        "notebooks/98_stall", "quick", tmp_path / "out", root=tmp_path, timeout=8, log=logged.append
    )
    assert flag.exists() and any("retrying" in m for m in logged)
    assert run.seconds < 60
    flag.unlink()
    with pytest.raises(book.ChapterFailed, match="stalled"):
        book.execute_chapter(
            "notebooks/98_stall",
            "quick",
            tmp_path / "out",
            root=tmp_path,
            timeout=8,
            retries=0,
            log=logged.append,
        )
