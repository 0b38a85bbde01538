"""Execute every chapter on the Colab stack, with the helpers installed as the Colab cell does.

Run by ``tests/test_colab_stack.py`` with the python of ``scripts/colab-env.sh`` (Colab's published
versions, ``requirements-colab.txt``)::

    $(bash scripts/colab-env.sh | tail -1) scripts/colab_check.py --out DIR [--chapters STEM ...]

It installs this clone's helpers into that environment with ``pip install --no-deps`` (what the
chapters' Colab cell runs, from the repository at the book's commit), checks that the chapters'
kernels import that installed copy and not the clone, executes each chapter in quick mode with
papermill, and writes ``DIR/colab-stack.json`` (versions, and per chapter: seconds, peak memory or
the error). Exit status 1 when any chapter fails; every chapter is run either way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import traceback
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = ("torch", "torchvision", "torchaudio", "numpy", "matplotlib", "ipywidgets", "ipykernel")


def install_helpers() -> str:
    """``pip install --no-deps`` of this clone's package (built from a copy, so no build folder is
    left in the clone); returns where ``helpers`` is imported from."""
    with tempfile.TemporaryDirectory(prefix="cmt-colab-src-") as tmp:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, Path(tmp) / name)
        shutil.copytree(
            ROOT / "helpers", Path(tmp) / "helpers", ignore=shutil.ignore_patterns("__pycache__")
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--force-reinstall",
                "--no-build-isolation",
                tmp,
            ],
            check=True,
        )
    where = subprocess.run(
        [sys.executable, "-c", "import helpers, helpers.nets; print(helpers.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if Path(where).resolve().is_relative_to(ROOT):
        raise RuntimeError(f"helpers imports from the clone ({where}), not from the installed copy")
    return where


def check_widgets() -> None:
    """The explorer's sliders build with this stack's ipywidgets (the chapters' batch runs skip
    them: no frontend draws a widget there)."""
    from helpers import plotting

    def f(a=2, b=0.5):
        return a * b

    w = plotting.explorer(f, headless=False, a=(0, 4, 1, "a"), b=(0.0, 1.0, 0.1, "b"))
    assert [type(c).__name__ for c in w.children[:2]] == ["IntSlider", "FloatSlider"], w.children


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="folder for executed notebooks")
    p.add_argument("--chapters", nargs="*", default=None, help="stems (default: _toc.yml)")
    p.add_argument("--mode", default="quick", choices=("quick", "full"))
    p.add_argument(
        "--skip-missing-data",
        action="store_true",
        help="list a chapter whose dataset is missing as skipped (the GPU check)",
    )
    args = p.parse_args(argv)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # ipykernel 6 debugger noise
    where = install_helpers()
    from helpers import book  # the installed copy (this script's folder is scripts/)

    report = {
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in STACK},
        "helpers": where,
        "chapters": {},
    }
    print(
        f"[colab-stack] python {report['python']}, "
        + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        flush=True,
    )
    failed, runs = 0, []
    for stem in args.chapters or book.chapters(ROOT):
        try:
            run = book.execute_chapter(
                stem, args.mode, args.out, root=ROOT, helpers_from_clone=False
            )
            runs.append(run)
            report["chapters"][stem] = {
                "seconds": round(run.seconds, 1),
                "peak_rss_mb": round(run.peak_rss_mb),
            }
            print(f"[colab-stack] {stem}: ok in {run.seconds:.0f} s", flush=True)
        except Exception as err:  # every chapter runs; the report names each failure
            text = f"{type(err).__name__}: {err}"
            if args.skip_missing_data and "DatasetUnavailable" in text:
                report["chapters"][stem] = {"skipped": text[-600:]}
                print(f"[colab-stack] {stem}: skipped, a dataset is missing", flush=True)
                continue
            failed += 1
            report["chapters"][stem] = {"error": text}
            print(f"[colab-stack] {stem}: FAILED\n{traceback.format_exc()}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "colab-stack.json").write_text(json.dumps(report, indent=1))
    missing = [
        f"{stem:<32} {args.mode:<6} {'skipped: no data' if 'skipped' in v else 'FAILED'}"
        for stem, v in report["chapters"].items()
        if "seconds" not in v
    ]
    (args.out / "times.txt").write_text("\n".join([book.format_table(runs), *missing]) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
