"""Benchmark: per-stage class spectra through hooks and streaming means vs a literal per-image loop
(Wu et al. 2022, sec 5.1.1, Algorithm 1 per class at every stage of a ResNet; chapter 5).

    python benchmarks/bench_probes.py [--data DIR] [--n N] [--size S] [--depth D] [--batch B]
                                      [--repeat R] [--threads T]

On real data: N Imagenette validation images (``imagenette/val/*/``, from ``--data``, else
``$CMT_DATA``, else ``../shared/data``), resized to S px and normalised as chapter 5 does, with
their class labels, through an untrained torchvision ResNet-D (``weights=None``, seed 0, eval mode).

* **batched**: ``helpers.probes.ClassSpectra`` on the six stages of ``probes.resnet_stages``
  (input, stem, layer1-4): one forward pass per batch of B images, forward hooks split each
  stage's tensor by class into one ``SpectrumMean`` per class (float32 FFTs) and keep per-image
  spectra (what chapter 5 runs);
* **literal**: Algorithm 1 as written, per image: one forward pass of the image alone, stage by
  stage; for every stage and channel one ``numpy.fft.fft2`` in float64, divided by its sum (an
  all-zero channel is skipped), added to its class's running sum; divided by the count at the end.

It checks that the class means agree (max |difference| <= 1e-6 x max, per stage) and prints the
times and the speed ratio (best of ``--repeat``); exits with status 1 if they disagree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers import nets, probes  # noqa: E402

STAGES = ["input", "stem", "layer1", "layer2", "layer3", "layer4"]


def load(root: Path, n: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    from PIL import Image

    folders = sorted(p for p in (root / "imagenette" / "val").glob("*") if p.is_dir())
    if not folders:
        raise SystemExit(f"Imagenette not found under {root / 'imagenette' / 'val'} (set --data)")
    per = max(1, n // len(folders))
    t = nets.imagenet_transform(size)
    xs, ys = [], []
    for label, folder in enumerate(folders):
        for f in sorted(folder.glob("*.JPEG"))[:per]:
            with Image.open(f) as im:
                xs.append(t(im.convert("RGB")))
            ys.append(label)
    return torch.stack(xs), torch.tensor(ys)


def batched(model, x, y, n_classes, batch):
    cs = probes.ClassSpectra(model, probes.resnet_stages(model), n_classes)
    with torch.no_grad():
        cs.run([(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x), batch)])
    return cs.means


def literal(model, x, y, n_classes):
    sums, counts = {}, {}
    with torch.no_grad():
        for i in range(len(x)):  # Algorithm 1, line 1: image by image
            h = x[i : i + 1]
            feats = {"input": h}
            h = model.maxpool(model.relu(model.bn1(model.conv1(h))))
            feats["stem"] = h
            for j in range(1, 5):
                h = getattr(model, f"layer{j}")(h)
                feats[f"layer{j}"] = h
            k = int(y[i])
            for stage, f in feats.items():
                f = f[0].numpy().astype(np.float64)
                s = sums.setdefault(stage, np.zeros((n_classes,) + f.shape[1:]))
                c = counts.setdefault(stage, np.zeros(n_classes))
                for p in range(f.shape[0]):  # line 2: channel by channel
                    e = np.abs(np.fft.fft2(f[p])) ** 2  # line 3
                    total = e.sum()
                    if total > 0:
                        s[k] += e / total  # lines 4-5
                        c[k] += 1
    return {  # lines 6-7
        stage: torch.from_numpy(
            np.fft.fftshift(sums[stage] / counts[stage][:, None, None], (-2, -1))
        )
        for stage in sums
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--n", type=int, default=100, help="images (split evenly over the classes)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--depth", type=int, default=18, help="ResNet depth (chapter 5: 152)")
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    root = a.data or Path(os.environ.get("CMT_DATA") or ROOT.parent / "shared" / "data")
    x, y = load(root, a.n, a.size)
    n_classes = int(y.max()) + 1
    model = nets.imagenet_resnet(a.depth, seed=0)
    print(
        f"{len(x)} Imagenette images at {a.size} px, {n_classes} classes, untrained ResNet-"
        f"{a.depth}, {torch.get_num_threads()} torch thread(s)"
    )
    best = {"batched": float("inf"), "literal": float("inf")}
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        fast = batched(model, x, y, n_classes, a.batch)
        best["batched"] = min(best["batched"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        slow = literal(model, x, y, n_classes)
        best["literal"] = min(best["literal"], time.perf_counter() - t0)
    ok = True
    for stage in STAGES:
        err = float((fast[stage] - slow[stage]).abs().max() / slow[stage].abs().max())
        ok &= err <= 1e-6
        print(f"  {stage:7s} {tuple(fast[stage].shape[1:])}  max rel. difference {err:.1e}")
    print(
        f"batched (hooks + streaming means) {best['batched']:.2f} s, literal loop "
        f"{best['literal']:.2f} s: ratio {best['literal'] / best['batched']:.1f}x"
    )
    if not ok:
        print("FAIL: the two disagree by more than 1e-6")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
