"""Run modes, devices, seeds and paths: what every chapter sets up in its first cell.

Two run modes (see ``book/how_to_run.md``):

* ``quick``: CPU, real data subsets, few epochs; every chapter under 3 minutes on 2 cores.
* ``full``: paper scale on one GPU (Colab T4 class).

The mode is resolved, in order, from the argument (the papermill parameter), the environment
variable ``CMT_MODE``, and the hardware (``full`` when CUDA is available, else ``quick``).

Paths: ``CMT_DATA`` names a data directory laid out like ``../shared/data`` (read first, never
written); ``CMT_CACHE`` the user cache for downloads and trained networks
(default ``~/.cache/cmt-book``).
"""

from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checks

MODES = ("quick", "full")
ENV_MODE = "CMT_MODE"
ENV_DATA = "CMT_DATA"
ENV_CACHE = "CMT_CACHE"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard requirement of the book
        return False
    return bool(torch.cuda.is_available())


def resolve_mode(mode: str | None = None) -> str:
    """Return ``"quick"`` or ``"full"``: argument, then ``$CMT_MODE``, then the hardware."""
    source = "argument"
    if mode is None or mode == "":
        mode = os.environ.get(ENV_MODE) or None
        source = f"environment variable {ENV_MODE}"
    if mode is None:
        return "full" if _cuda_available() else "quick"
    return checks.choice(
        mode, f"mode (from {source})", MODES, note=" or None", type_error=ValueError
    )


def resolve_device(device: str | None = None) -> str:
    """Return a torch device string: the argument, else ``"cuda"`` when available, else
    ``"cpu"``."""
    if device is None or device == "":
        return "cuda" if _cuda_available() else "cpu"
    checks.instance(device, "device", str, "a string such as 'cpu' or 'cuda'")
    if device.startswith("cuda") and not _cuda_available():
        raise ValueError(
            f"device={device!r} was asked for but CUDA is not available on this machine"
        )
    if not (device == "cpu" or device.startswith("cuda") or device == "mps"):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
    return device


def seed_everything(seed: int) -> int:
    """Seed Python, NumPy and torch (CPU and CUDA) and ask torch for deterministic kernels."""
    seed = checks.integer(seed, "seed", 0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = False
    return seed


def data_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The read-only data directory: the argument, else ``$CMT_DATA``, else ``None``."""
    value = path if path not in (None, "") else os.environ.get(ENV_DATA) or None
    if value is None:
        return None
    p = Path(value).expanduser()
    if not p.is_dir():
        origin = (
            "data_dir argument" if path not in (None, "") else f"environment variable {ENV_DATA}"
        )
        raise ValueError(f"{origin} points at {str(p)!r}, which is not a directory")
    return p.resolve()


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """The writable user cache: the argument, else ``$CMT_CACHE``, else ``~/.cache/cmt-book``."""
    value = path if path not in (None, "") else os.environ.get(ENV_CACHE) or "~/.cache/cmt-book"
    p = Path(value).expanduser()
    p.mkdir(parents=True, exist_ok=True)
    return p.resolve()


@dataclass
class Run:
    """What a chapter runs with; printed as the banner by :func:`start`."""

    mode: str
    device: str
    seed: int
    data_dir: Path | None
    cache_dir: Path
    datasets: list[str] = field(default_factory=list)

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def pick(self, quick, full):
        """Return ``quick`` in quick mode and ``full`` in full mode (sizes, epochs, ...)."""
        return quick if self.quick else full

    def seeds(self, quick: int = 3, full: int = 5) -> list[int]:
        """The seeds of a claim measured over repeats: ``seed, seed + 1, ...``, as many as the mode
        asks (``quick`` / ``full``). The first is the chapter's own ``seed``, so seed 0's networks
        are shared with every chapter that trains the same configuration."""
        n = self.pick(quick, full)
        n = checks.integer(n, "the number of seeds", type_error=ValueError)
        return [self.seed + k for k in range(n)]

    def banner(self) -> str:
        import torch

        data_dir = self.data_dir if self.data_dir else "(none; canonical downloads into the cache)"
        lines = [
            f"mode     : {self.mode}",
            f"device   : {self.device}"
            + (f" ({torch.cuda.get_device_name()})" if self.device.startswith("cuda") else ""),
            f"seed     : {self.seed}",
            f"python   : {platform.python_version()}   "
            f"torch {torch.__version__}   numpy {np.__version__}",
            f"data dir : {data_dir}",
            f"cache    : {self.cache_dir}",
            f"datasets : {', '.join(self.datasets) if self.datasets else '(none)'}",
        ]
        return "\n".join(lines)


def start(
    mode: str | None = None,
    seed: int = 0,
    device: str | None = None,
    data: str | os.PathLike | None = None,
    datasets: list[str] | tuple[str, ...] = (),
    verbose: bool = True,
) -> Run:
    """Resolve mode, device and paths, seed everything and print the chapter banner."""
    if isinstance(datasets, str):
        raise TypeError("datasets must be a list of dataset names, not a single string")
    run = Run(
        mode=resolve_mode(mode),
        device=resolve_device(device),
        seed=seed_everything(seed),
        data_dir=data_dir(data),
        cache_dir=cache_dir(),
        datasets=list(datasets),
    )
    if verbose:
        print(run.banner())
    return run


def plain_number(value):
    """A NumPy scalar or a one-element tensor/array as a Python ``int``/``float``/``bool``; else
    ``value``.

    ``myst_nb`` formats a glued number from its ``repr``; NumPy 2's ``repr`` of a scalar is
    ``np.float64(0.5)``, which the ``{glue:text}`key:.2f``` format cannot parse, so every number is
    glued as a plain Python number.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.item()
    numel = getattr(value, "numel", None)  # a torch.Tensor (torch is imported lazily here)
    if callable(numel) and callable(getattr(value, "item", None)) and numel() == 1:
        return value.item()
    return value


def glue(name: str, value, display: bool = True):
    """Record ``value`` under ``name`` so the book's text can show it (``{glue:text}`name```).

    In the book build this is ``myst_nb.glue``; where myst-nb is not installed (Colab) the value is
    simply not recorded, and the chapter's printed output still shows it.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    value = plain_number(value)
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return None
    return _glue(name, value, display=display)
