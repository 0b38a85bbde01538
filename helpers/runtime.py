"""Run modes, devices, seeds and paths: what every chapter sets up in its first cell.

Two run modes (see ``book/how_to_run.md``):

* ``quick``: CPU, real data subsets, few epochs; every chapter under 3 minutes on 2 cores.
* ``full``: paper scale on one GPU (Colab T4 class).

The mode is resolved, in order, from the argument (the papermill parameter), the environment
variable ``CMT_MODE``, and the hardware (``full`` when CUDA is available, else ``quick``).

Smoke runs (``CMT_SMOKE=1``, or ``start(..., smoke=True)``; the CI's ``python -m helpers book
--smoke``): the run mode is ``full``, so every ``Run.pick``, ``Run.seeds`` and mode-dependent
config takes its full branch and the text produced is the full-mode text, but the budgets are
clamped where they live, in the helpers: :func:`helpers.train.fit` / ``evaluate`` (and the
probes of ``helpers.probes``) stop after :data:`SMOKE_BATCHES` batches of at most
:data:`SMOKE_ITEMS` items (:func:`smoke_batches`) and :data:`SMOKE_EPOCHS` epochs,
:meth:`Run.seeds` keeps :data:`SMOKE_SEEDS` seeds, smoke networks are cached apart
(``<cache>/smoke/models``), :func:`helpers.data.load` reads only the copies present (the data
directory or the cache, with the quick-mode subsets; it downloads nothing), pretrained weights
that are not cached already are replaced by a random initialisation, and every claim is "not
tested yet (smoke run)". The banner says so. A smoke run checks that the full-mode code path
runs; its numbers are not results. ``Run.pick(quick, full, smoke=...)`` gives the few
full-mode sizes that are expensive in themselves (Monte Carlo bits, noise draws, grids) a smoke
value; without one a smoke run takes the full value.

Paths: ``CMT_DATA`` names a data directory laid out like ``../shared/data`` (read first, never
written); ``CMT_CACHE`` the user cache for downloads and trained networks
(default ``~/.cache/cmt-book``).
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import checks

MODES = ("quick", "full")
ENV_MODE = "CMT_MODE"
ENV_SMOKE = "CMT_SMOKE"
#: Batches per epoch (and per evaluation) and epochs that a smoke run's training is clamped to.
SMOKE_BATCHES = 2
SMOKE_EPOCHS = 2
#: Items a smoke run keeps of each of those batches (the first ones).
SMOKE_ITEMS = 8
#: Seeds (repeats of one measurement) a smoke run keeps of the full mode's: enough to run the
#: code of every repeat after the first.
SMOKE_SEEDS = 2
SMOKE_BANNER = (
    "SMOKE RUN: full-mode code path, budgets clamped to a few batches, data present here; "
    "these numbers are not results"
)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
ENV_DATA = "CMT_DATA"
ENV_CACHE = "CMT_CACHE"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard requirement of the book
        return False
    return bool(torch.cuda.is_available())


def resolve_smoke(smoke: bool | None = None) -> bool:
    """Whether this is a smoke run: the argument (``True``/``False``), else ``$CMT_SMOKE``
    (``1``/``true``/``yes``/``on``; unset, empty, ``0``/``false``/``no``/``off``: not)."""
    if smoke is not None:
        return checks.boolean(smoke, "smoke")
    value = os.environ.get(ENV_SMOKE, "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise ValueError(
            f"environment variable {ENV_SMOKE} must be 1 or 0 (true/false), got {value!r}"
        )
    return value in _TRUE


def smoke_active() -> bool:
    """Whether the process runs a smoke run (``$CMT_SMOKE``, which :func:`start` sets)."""
    return resolve_smoke(None)


def offline_data(mode: str | None = None, smoke: bool | None = None) -> bool:
    """Whether a run with these arguments reads the offline quick copies (quick mode, or a smoke
    run, which never downloads) rather than the full-mode data sets: how a chapter picks its
    default data before :func:`start`."""
    return resolve_smoke(smoke) or resolve_mode(mode) == "quick"


def _head(batch):
    """The first :data:`SMOKE_ITEMS` items of a batch: a tensor, or a tuple/list of them."""
    if isinstance(batch, (tuple, list)):
        return type(batch)(_head(b) for b in batch)
    return batch[:SMOKE_ITEMS] if hasattr(batch, "shape") and len(batch.shape) else batch


def smoke_batches(loader):
    """``loader`` itself in a real run; in a smoke run its first :data:`SMOKE_BATCHES` batches,
    each cut to its first :data:`SMOKE_ITEMS` items (every tensor of a tuple batch alike): how the
    training loop, the evaluation and the probes clamp their budget."""
    if not smoke_active():
        return loader
    import itertools

    return (_head(b) for b in itertools.islice(loader, SMOKE_BATCHES))


def smoke_note(what: str) -> None:
    """Print ``"smoke run: <what>"``: what a smoke run does differently from a real one."""
    print(f"smoke run: {what}", flush=True)


def resolve_mode(mode: str | None = None) -> str:
    """Return ``"quick"`` or ``"full"``: argument, then ``$CMT_MODE``, then the hardware.

    In a smoke run (:func:`smoke_active`) an absent argument gives ``"full"``."""
    source = "argument"
    if mode is None or mode == "":
        if smoke_active():
            return "full"
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


@dataclass(frozen=True)
class Stamp:
    """A chapter's last verification (:meth:`Run.stamp`)."""

    chapter: str
    date: str
    mode: str
    device: str
    torch: str
    python: str
    seed: int
    seconds: float

    def text(self) -> str:
        return (
            f"{self.date}, {self.mode} mode, seed {self.seed}, on {self.device}, torch "
            f"{self.torch} (Python {self.python}), {self.seconds:.0f} s"
        )


@dataclass
class Run:
    """What a chapter runs with; printed as the banner by :func:`start`."""

    mode: str
    device: str
    seed: int
    data_dir: Path | None
    cache_dir: Path
    datasets: list[str] = field(default_factory=list)
    smoke: bool = False
    started: float = field(default_factory=time.time)

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def pick(self, quick, full, smoke=None):
        """Return ``quick`` in quick mode and ``full`` in full mode (sizes, epochs, ...).

        A smoke run (mode ``full``) takes ``full`` too, unless ``smoke`` is given: the size a smoke
        run uses where the full-mode size is expensive in itself (Monte Carlo bit counts, noise
        draws, grids), so that a smoke chapter stays within about two minutes on a CPU. Training
        budgets need no ``smoke`` value: the helpers clamp them (see the module docstring)."""
        if self.smoke and smoke is not None:
            return smoke
        return quick if self.quick else full

    def floor(self, value):
        """An accuracy floor that a trained network must reach: ``value``, or 0 in a smoke run
        (whose networks are trained for a few batches, so any accuracy passes)."""
        return 0 * value if self.smoke else value

    def seeds(self, quick: int = 3, full: int = 5) -> list[int]:
        """The seeds of a claim measured over repeats: ``seed, seed + 1, ...``, as many as the mode
        asks (``quick`` / ``full``). The first is the chapter's own ``seed``, so seed 0's networks
        are shared with every chapter that trains the same configuration. A smoke run keeps the
        first :data:`SMOKE_SEEDS` of the full mode's seeds (every repeat runs the same code)."""
        n = self.pick(quick, full)
        n = checks.integer(n, "the number of seeds", type_error=ValueError)
        if self.smoke:
            n = min(n, SMOKE_SEEDS)
        return [self.seed + k for k in range(n)]

    def stamp(self, chapter: str) -> Stamp:
        """When and how this chapter was last verified: the date (UTC), mode, device, torch and
        Python versions, seed and the seconds since :func:`start`. Glued as ``verified`` (the
        chapter's closing line shows it) and, where the book's runner executes the chapter
        (``$CMT_CLAIMS_DIR`` set), written to ``<claims>/stamps/<chapter>.json`` for the page
        that lists every chapter's last run."""
        import torch

        if not isinstance(chapter, str) or not re.fullmatch(r"ch\d\d", chapter):
            raise ValueError(f"chapter must look like 'ch01' (the ledger's id), got {chapter!r}")
        device = self.device
        if device.startswith("cuda") and torch.cuda.is_available():
            device = f"{device} ({torch.cuda.get_device_name()})"
        st = Stamp(
            chapter=chapter,
            date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            mode="smoke" if self.smoke else self.mode,
            device=device,
            torch=torch.__version__,
            python=platform.python_version(),
            seed=self.seed,
            seconds=round(time.time() - self.started, 1),
        )
        glue("verified", st.text(), display=False)
        out = os.environ.get("CMT_CLAIMS_DIR")
        if out:
            path = Path(out) / "stamps" / f"{chapter}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(asdict(st), indent=1))
        return st

    def banner(self) -> str:
        import torch

        data_dir = self.data_dir if self.data_dir else "(none; canonical downloads into the cache)"
        lines = [SMOKE_BANNER] if self.smoke else []
        lines += [
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
        if self.smoke:
            lines.append(SMOKE_BANNER)
        return "\n".join(lines)


def start(
    mode: str | None = None,
    seed: int = 0,
    device: str | None = None,
    data: str | os.PathLike | None = None,
    datasets: list[str] | tuple[str, ...] = (),
    verbose: bool = True,
    smoke: bool | None = None,
) -> Run:
    """Resolve mode, device and paths, seed everything and print the chapter banner.

    ``smoke`` (the notebook parameter; ``None``: ``$CMT_SMOKE``) makes this a smoke run: mode
    ``full`` whatever ``mode`` says, budgets clamped by the helpers (see the module docstring).
    An explicit ``smoke`` is written to ``$CMT_SMOKE`` so that every helper of the process sees it.
    """
    if isinstance(datasets, str):
        raise TypeError("datasets must be a list of dataset names, not a single string")
    if smoke is not None:
        os.environ[ENV_SMOKE] = "1" if resolve_smoke(smoke) else "0"
    smoke = resolve_smoke(None)
    run = Run(
        mode="full" if smoke else resolve_mode(mode),
        device=resolve_device(device),
        seed=seed_everything(seed),
        data_dir=data_dir(data),
        cache_dir=cache_dir(),
        datasets=list(datasets),
        smoke=smoke,
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
