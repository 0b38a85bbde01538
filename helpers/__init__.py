"""Helpers for the book "Convolutional Modulation Theory": one module per concept.

Math (tensors in, tensors out; import nothing from the layers below):
checks (argument checks) · signals (carriers, DSB-SC, FDM, MIMO; paper 001 eqs 1-12) · spectra
(energy spectra, Algorithm 1, the ``Spectrum`` value) · layers (convolution as multi-carrier MIMO,
activations as DSB-SC) · pooling (pooling and deconvolution as filters) · noise (alpha-stable
noise, the digital link) · volterra (Volterra kernels of CNNs) · postshift (the post-shift filter
of eq 43, fitted per frequency) · frequency (DCT bands, low/high splits and which frequencies a
classifier listens to: band occlusion, integrated gradients, Fourier heat maps).

Networks and training: nets (networks by family, ``NetConfig``) · train (the one trainer, metrics,
the network cache) · probes (forward and backward spectra of a network's layers).

Running the book: runtime (modes, devices, seeds, paths) · data (real datasets) · integrity
(datasets verified against their manifests) · claims (verdicts computed from measurements) ·
plotting (one style, explorer widgets) · book (the runner) · assets (offline JS).

Importing ``helpers`` checks that the packages it needs are present at the versions it needs
(``pyproject.toml``'s dependencies) and says what to do when one is not: on Colab the helpers are
installed with ``--no-deps`` beside Colab's own torch and numpy, which they never replace.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

__version__ = "0.1.0"

DISTRIBUTION = "cmt-book-helpers"
_IMPORT_NAME = {"pyyaml": "yaml"}


def requirements() -> list[tuple[str, str]]:
    """``(package, minimum version)`` for each dependency: ``pyproject.toml`` when the helpers are
    used from a clone, else the installed distribution's metadata."""
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.exists():  # a clone (its own pyproject, whatever else is installed)
        import tomllib

        reqs = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    else:
        try:
            reqs = metadata.requires(DISTRIBUTION) or []
        except metadata.PackageNotFoundError:
            return []
    out = []
    for req in reqs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", req)
        if m and "extra ==" not in req:
            out.append((m.group(1).lower(), m.group(2)))
    return out


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3])


def check_versions(found=metadata.version) -> None:
    """Raise ``ImportError`` naming every dependency that is missing or older than required, and
    the remedy (``found(name) -> version`` is ``importlib.metadata.version``)."""
    problems = []
    for name, minimum in requirements():
        try:
            version = found(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} >= {minimum} is not installed")
            continue
        if _release(version) < _release(minimum):
            problems.append(f"{name} >= {minimum} is needed, {version} is installed")
    if problems:
        raise ImportError(
            "the book's helpers cannot run here: " + "; ".join(problems) + ". On Colab: "
            "Runtime > Disconnect and delete runtime, then run the chapter from its first cell "
            "(do not pip install torch, numpy or ipywidgets: Colab's own are the ones to use). "
            "Elsewhere: pip install -r requirements.txt (see the README)."
        )


check_versions()
