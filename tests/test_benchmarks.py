"""The benchmarks run and agree with their references (the speed ratio is printed, not asserted:
timing on a shared 2-core machine is not a correctness property)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import require_dataset

ROOT = Path(__file__).resolve().parents[1]


def test_bench_spectra_agrees_with_algorithm1_loop():
    require_dataset("fsdd", "fsdd/recordings")
    require_dataset("imagenette")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_spectra.py"),
            "--n",
            "48",
            "--repeat",
            "1",
            "--threads",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ratio" in proc.stdout.lower()


def test_bench_probes_class_spectra_agree_with_the_per_image_loop():
    require_dataset("imagenette")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_probes.py"),
            "--n",
            "20",
            "--size",
            "32",
            "--repeat",
            "1",
            "--threads",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ratio" in proc.stdout.lower()


def test_bench_volterra_autograd_agrees_with_finite_differences():
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_volterra.py"),
            "--repeat",
            "1",
            "--threads",
            "1",
            "--max-layers",
            "3",
            "--max-layers-order2",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ratio" in proc.stdout.lower()
