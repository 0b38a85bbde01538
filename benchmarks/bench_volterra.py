"""Benchmark: proxy kernels by automatic differentiation vs central finite differences
(Li et al. 2021).

    python benchmarks/bench_volterra.py [--repeat R] [--threads T] [--seed S]

Network: the 4-layer sigmoid CNN of chapter 10 (``helpers.nets.volterra_mnist_cnn``: 10 channels,
3x3 kernels, strides 2, 2, 2, 1; untrained, seeded, float64). For its first k layers (receptive
fields 3, 7, 15, 31) it computes the shift-invariant Volterra kernels with
``helpers.volterra.local_kernels``, timed by ``helpers.volterra.time_kernel_methods``
(the function chapter 10 times with):

* order 1 (Jacobian at 0) for k = 1..4: ``torch.func.jacrev`` (10 vector-Jacobian products, vmapped)
  vs central differences (2 x 31^2 forward passes of the canvas for k = 4, batched);
* order 2 (half the Hessian at 0) for k = 1, 2: ``jacfwd(jacrev)`` vs second differences
  (4 forward passes per pair of input pixels).

Prints, per case, both times (best of ``--repeat``), the speed ratio fd/autograd and the relative
difference ``||fd - autograd|| / ||autograd||``. Exits with status 1 if any difference exceeds
1e-5 (the agreement the chapter and tests assert). Timings on a shared 2-core machine measure the
load too: the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers import nets, volterra  # noqa: E402

TOL = 1e-5


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--repeat", type=int, default=3, help="timing repeats, best is reported (default 3)"
    )
    p.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's default)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--max-layers", type=int, default=4, help="order-1 kernels of layers 1..N (default 4)"
    )
    p.add_argument(
        "--max-layers-order2",
        type=int,
        default=2,
        help="order-2 kernels of layers 1..N (default 2)",
    )
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error(f"--repeat must be a positive int, got {args.repeat}")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net = nets.volterra_mnist_cnn().double().eval()
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpus {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'case':<22} {'autograd s':>10} {'fd s':>9} {'ratio fd/ag':>11} {'rel diff':>9}")
    ok = True
    cases = [(k, 1) for k in range(1, args.max_layers + 1)] + [
        (k, 2) for k in range(1, args.max_layers_order2 + 1)
    ]
    for k, order in cases:
        t = volterra.time_kernel_methods(net.first(k), order, repeat=args.repeat, threads=None)
        K, t_ag, t_fd, err = t.receptive_field, t.autograd_s, t.fd_s, t.error
        ok &= err <= TOL
        print(
            f"{f'layer {k} (K={K}) order {order}':<22} "
            f"{t_ag:10.3f} {t_fd:9.3f} {t_fd / t_ag:10.1f}x "
            f"{err:9.1e} {'ok' if err <= TOL else 'DISAGREE'}"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not ok:
        print(f"FAIL: finite differences and autograd differ by more than {TOL}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
