"""Benchmark: batched streaming mean spectrum vs the literal loop of Algorithm 1 (Wu et al. 2022).

    python benchmarks/bench_spectra.py [--data DIR] [--n N] [--batch B] [--repeat R]
                                       [--threads T ...]

On real data from the data directory (``--data``, else ``$CMT_DATA``, else ``../shared/data``
relative to the repository root):

* FSDD: N spoken-digit WAVs (``fsdd/recordings``), centre-cropped / zero-padded to 4096 samples,
  shape (N, 1, 4096), 1-D spectra;
* Imagenette: N validation JPEGs (``imagenette/val/*/``), RGB float in [0, 1],
  shape (N, 3, 224, 224), 2-D spectra.

For each it times ``helpers.spectra.SpectrumMean`` (torch, batched, float64) against
``helpers.spectra.algorithm1_reference`` (one NumPy fft per sample and channel), checks that they
agree (max |difference| <= 1e-6 x max), and prints samples, times, speed ratio and peak memory:
tracemalloc peak for the NumPy loop (NumPy reports its buffers to tracemalloc); for torch, whose
CPU allocator tracemalloc does not see, the peak rise of the process RSS above its level before
the call, sampled every 1 ms by a background thread with psutil (approximate: it also counts
allocator caching). Both exclude the input array, which is loaded before timing.
Exits with status 1 if the two disagree. Timings are the best of ``--repeat`` interleaved runs.

The batched path is timed with torch's default thread count and, when that is more than one, also
with one thread: on a shared 2-core machine a parallel torch op waits for the second core whenever
another process holds it, so the default-thread time measures the machine's load as much as the
code. The load average is printed at the start and end.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers.spectra import SpectrumMean, algorithm1_reference  # noqa: E402

FSDD_LEN = 4096
IMG_SIZE = 224


# ---------------------------------------------------------------- data (kept small on purpose)
def load_fsdd(root: Path, n: int | None) -> np.ndarray:
    import soundfile as sf

    files = sorted(glob.glob(str(root / "fsdd" / "recordings" / "*.wav")))
    if not files:
        raise SystemExit(
            f"FSDD not found under {root / 'fsdd' / 'recordings'} (set --data or CMT_DATA)"
        )
    files = files[:n] if n else files
    out = np.zeros((len(files), 1, FSDD_LEN), dtype=np.float32)
    for i, f in enumerate(files):
        x, _ = sf.read(f, dtype="float32")
        if x.ndim > 1:
            x = x.mean(axis=1)
        if len(x) >= FSDD_LEN:  # centre crop
            start = (len(x) - FSDD_LEN) // 2
            out[i, 0] = x[start : start + FSDD_LEN]
        else:  # centre zero-pad
            start = (FSDD_LEN - len(x)) // 2
            out[i, 0, start : start + len(x)] = x
    return out


def load_imagenette(root: Path, n: int | None) -> np.ndarray:
    from PIL import Image

    files = sorted(glob.glob(str(root / "imagenette" / "val" / "*" / "*.JPEG")))
    if not files:
        raise SystemExit(
            f"Imagenette not found under {root / 'imagenette' / 'val'} (set --data or CMT_DATA)"
        )
    files = files[:n] if n else files
    out = np.empty((len(files), 3, IMG_SIZE, IMG_SIZE), dtype=np.float32)
    for i, f in enumerate(files):
        with Image.open(f) as im:
            im = im.convert("RGB")
            if im.size != (IMG_SIZE, IMG_SIZE):
                im = im.resize((IMG_SIZE, IMG_SIZE), Image.BILINEAR)
            out[i] = np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return out


# ---------------------------------------------------------------- measurement
class RssPeak:
    """Peak rise of the process RSS above its starting level, sampled every ``interval`` s."""

    def __init__(self, interval: float = 0.001):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.delta = self.peak - self.base


def batched(data: np.ndarray, ndim: int, batch: int, dtype=None) -> torch.Tensor:
    acc = SpectrumMean(ndim=ndim, normalize=True, compute_dtype=dtype)
    t = torch.from_numpy(
        data
    )  # shares memory: batches are views, as a DataLoader would hand them over
    for i in range(0, len(t), batch):
        acc.update(t[i : i + batch])
    return acc.mean


def bench(name: str, data: np.ndarray, ndim: int, batch: int, repeat: int, thread_counts) -> bool:
    """Time both FFT precisions of the batched path (at each thread count) against the float64
    loop."""
    paths = {}
    for dtype, dname in ((None, "float32"), (torch.float64, "float64")):
        for th in thread_counts:
            paths[f"batched ({dname} FFT, {th} thr)"] = (dtype, th)
    default_threads = torch.get_num_threads()

    def run(dtype, th):
        torch.set_num_threads(th)
        try:
            return batched(data, ndim, batch, dtype)
        finally:
            torch.set_num_threads(default_threads)

    # warm-up (first-call overheads of torch and numpy FFT plans), not timed
    for dtype, th in paths.values():
        torch.set_num_threads(th)
        batched(data[: min(len(data), batch)], ndim, batch, dtype)
    torch.set_num_threads(default_threads)
    algorithm1_reference(data[:2])

    # interleaved repeats, so that load from other processes hits every path alike; best is kept
    times = {"loop": float("inf"), **{label: float("inf") for label in paths}}
    for _ in range(repeat):
        times["loop"] = min(times["loop"], _timed(lambda: algorithm1_reference(data)))
        for label, (dtype, th) in paths.items():
            times[label] = min(times[label], _timed(lambda dtype=dtype, th=th: run(dtype, th)))

    tracemalloc.start()
    ref = algorithm1_reference(data)
    _, loop_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    shape = "x".join(str(s) for s in data.shape)
    print(f"{name:<11} samples {len(data):>5} ({shape} {data.dtype}, batch {batch})")
    print(
        f"  {'loop (numpy, float64 FFT)':<30} {times['loop']:8.3f} s   "
        f"peak {loop_peak / 2**20:7.1f} MiB (tracemalloc)"
    )
    ok = True
    for label, (dtype, th) in paths.items():
        with RssPeak() as rss:
            fast = run(dtype, th).numpy()
        err = float(np.max(np.abs(fast - ref)) / np.max(np.abs(ref)))
        ok &= err <= 1e-6
        print(
            f"  {label:<30} {times[label]:8.3f} s   "
            f"peak {rss.delta / 2**20:7.1f} MiB (RSS rise, psutil)   "
            f"ratio {times['loop'] / times[label]:5.1f}x   max|diff|/max {err:.1e} "
            f"{'ok' if err <= 1e-6 else 'DISAGREE'}"
        )
    return ok


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = os.environ.get("CMT_DATA") or str((ROOT / ".." / "shared" / "data").resolve())
    p.add_argument(
        "--data", default=default_data, help="data directory laid out like ../shared/data"
    )
    p.add_argument(
        "--n",
        type=int,
        default=None,
        help="samples per dataset (default: all available -- 3000 FSDD, 300 Imagenette)",
    )
    p.add_argument(
        "--batch", type=int, default=64, help="batch size of the streaming mean (default 64)"
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="timing repeats, best is reported (default 3)"
    )
    p.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=None,
        help="torch thread counts to time the batched path with (default: torch's default, "
        "and also 1 when that is more)",
    )
    args = p.parse_args(argv)
    threads = args.threads or sorted({torch.get_num_threads(), 1}, reverse=True)
    if args.n is not None and args.n < 1:
        p.error(f"--n must be a positive int, got {args.n}")
    root = Path(args.data)

    print(
        f"torch {torch.__version__}, numpy {np.__version__}, "
        f"torch threads {torch.get_num_threads()}, "
        f"cpus {os.cpu_count()}, OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
        f"load average {os.getloadavg()[0]:.1f}, data {root}"
    )
    ok = True
    t0 = time.perf_counter()
    ok &= bench(
        "FSDD",
        load_fsdd(root, args.n),
        ndim=1,
        batch=args.batch,
        repeat=args.repeat,
        thread_counts=threads,
    )
    ok &= bench(
        "Imagenette",
        load_imagenette(root, args.n),
        ndim=2,
        batch=args.batch,
        repeat=args.repeat,
        thread_counts=threads,
    )
    print(f"total {time.perf_counter() - t0:.1f} s, load average {os.getloadavg()[0]:.1f}")
    if not ok:
        print("FAIL: batched and loop spectra disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
