"""The Colab stack: every chapter executes in quick mode with the versions Colab publishes
(requirements-colab.txt: Python 3.13, torch 2.11, matplotlib 3.10.0, ipywidgets 7.7.1, ...) and the
helpers installed as the chapters' Colab cell installs them (``pip install --no-deps``).

The pinned stack of requirements.txt hides incompatibilities (matplotlib 3.10.0's ``stem`` on a
tensor, ipywidgets 7's API, a subpackage missing from the wheel); this runs the chapters where
students run them. Its networks are cached apart (``$CMT_CACHE/colab-stack``), so the two stacks
never read each other's trained weights.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import book

ROOT = Path(__file__).resolve().parents[1]
PINS = dict(
    re.findall(
        r"^([A-Za-z0-9_.-]+)==([^\s#]+)", (ROOT / "requirements-colab.txt").read_text(), re.M
    )
)


def colab_python() -> str:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "colab-env.sh")], capture_output=True, text=True
    )
    if done.returncode == 3 and os.environ.get("CI") != "true":
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, f"scripts/colab-env.sh failed:\n{done.stderr[-4000:]}"
    return done.stdout.strip().splitlines()[-1]


def test_the_listing_names_its_source_and_the_published_versions():
    text = (ROOT / "requirements-colab.txt").read_text()
    assert "Source:" in text and re.search(r"\b20\d\d-\d\d\b", text)
    for name in (
        "torch",
        "torchvision",
        "torchaudio",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "ipykernel",
    ):
        assert name in PINS, f"requirements-colab.txt pins no {name}"


@pytest.mark.timeout(3600)
def test_every_chapter_runs_on_the_colab_stack(tmp_path):
    py = colab_python()
    env = dict(os.environ)
    cache = Path(env.get("CMT_CACHE") or Path.home() / ".cache" / "cmt-book") / "colab-stack"
    env["CMT_CACHE"] = str(cache)
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [py, str(ROOT / "scripts" / "colab_check.py"), "--out", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    sys.stdout.write(done.stdout[-6000:])
    report_file = tmp_path / "colab-stack.json"
    assert report_file.exists(), f"colab_check.py wrote no report:\n{done.stderr[-6000:]}"
    report = json.loads(report_file.read_text())
    failed = {k: v["error"] for k, v in report["chapters"].items() if "error" in v}
    assert not failed and done.returncode == 0, (failed, done.stderr[-6000:])
    assert report["python"].startswith("3.13"), report["python"]
    for name, version in report["versions"].items():
        assert version == PINS[name], (
            f"{name} {version} on the Colab stack, listing says {PINS[name]}"
        )
    assert set(report["chapters"]) == set(book.chapters(ROOT))
    assert str(ROOT) not in report["helpers"], "the chapters imported the clone's helpers"
