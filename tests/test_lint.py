"""The linter is part of the test command: ruff (pyproject.toml: line length 100, rules E, F, W,
B) over the helpers, tests, benchmarks, scripts and the chapters' code cells (ruff reads the
.ipynb pairs), and ruff's formatter over the Python files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ["helpers", "tests", "benchmarks", "scripts"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check_passes_on_code_and_chapters():
    done = ruff("check", "--no-cache", *PYTHON, "notebooks")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_ruff_format_leaves_the_python_files_unchanged():
    done = ruff("format", "--check", "--no-cache", *PYTHON)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_the_linter_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx = 1;y = 2\n" + "z = '" + "a" * 120 + "'\n")
    done = ruff("check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert done.returncode == 1
    assert all(code in done.stdout for code in ("F401", "E702", "E501")), done.stdout


def actionlint(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("actionlint")
    return subprocess.run([str(exe), "-no-color", *args], cwd=ROOT, capture_output=True, text=True)


def test_the_workflows_lint_clean():
    """actionlint (requirements.txt: a binary wheel, no download at install) over
    .github/workflows: the pull-request job and the GPU job."""
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {w.name for w in workflows} >= {"tests.yml", "gpu.yml"}
    done = actionlint(*map(str, workflows))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_actionlint_can_fail(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.evnt.name }}\n"
    )
    done = actionlint(str(bad))
    assert done.returncode == 1 and "evnt" in done.stdout, done.stdout
