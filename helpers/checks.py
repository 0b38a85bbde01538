"""Argument checks shared by every helper module: one definition of each, one wording of each error.

Each check takes the value and the argument's name, raises ``TypeError`` (wrong kind) or
``ValueError`` (right kind, bad value) with a message that names the argument and what was expected,
and returns the value normalised (``int``, ``float``, ``bool``, a lower-case choice, a floating tensor).

* :func:`tensor` -- a tensor, NumPy array or nested sequence of numbers as a floating tensor.
* :func:`integer`, :func:`real`, :func:`positive`, :func:`boolean`, :func:`choice`,
  :func:`function`, :func:`ndim` -- scalars and options.

This module imports nothing from the rest of ``helpers`` (every other module may import it).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["tensor", "integer", "real", "positive", "boolean", "choice", "function", "ndim"]


def tensor(x, name: str, *, allow_complex: bool = True, min_ndim: int = 0,
           check_finite: bool = True) -> torch.Tensor:
    """Convert ``x`` (tensor, NumPy array or nested sequence of numbers) to a floating tensor.

    Integers (and NumPy integer arrays) become float64; float16/bfloat16 become float32; float32 and
    float64 are kept. Raises TypeError naming ``name`` for anything that is not numeric.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a torch.Tensor or a numpy array of numbers, got {type(x).__name__}")
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        if x.dtype.kind not in "iufc":
            raise TypeError(f"{name} must hold numbers (int, float or complex), got numpy dtype {x.dtype}")
        t = torch.as_tensor(np.ascontiguousarray(x))
    elif isinstance(x, (numbers.Number, Sequence)) and not isinstance(x, bool):
        try:
            t = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a torch.Tensor or a numpy array of numbers, "
                            f"could not convert {type(x).__name__}: {err}") from None
    else:
        raise TypeError(f"{name} must be a torch.Tensor or a numpy array of numbers, got {type(x).__name__}")
    if t.dtype == torch.bool:
        raise TypeError(f"{name} must hold numbers (int, float or complex), got dtype torch.bool")
    if t.is_complex():
        if not allow_complex:
            raise TypeError(f"{name} must be real (float or int), got complex dtype {t.dtype}")
        if t.dtype == torch.complex32:
            t = t.to(torch.complex64)
    elif not t.is_floating_point():
        t = t.to(torch.float64)
    elif t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    if t.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {tuple(t.shape)}")
    if check_finite and t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or inf values")
    return t


def ndim(ndim) -> int:
    if isinstance(ndim, bool) or not isinstance(ndim, (int, np.integer)):
        raise TypeError(f"ndim must be the int 1 or 2, got {type(ndim).__name__}")
    if int(ndim) not in (1, 2):
        raise ValueError(f"ndim must be 1 (signals, last dim) or 2 (images, last two dims), got {ndim}")
    return int(ndim)


def boolean(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def integer(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def real(value, name: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def positive(value, name: str) -> float:
    """A finite real number > 0, as ``float``."""
    value = real(value, name)
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


def choice(value, name: str, choices) -> str:
    """One of ``choices`` (strings, compared case-insensitively), as the lower-case string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(choices)}, got {type(value).__name__}")
    key = value.lower()
    if key not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return key


def function(value, name: str, what: str = "a callable", optional: bool = False):
    """A callable (or ``None`` when ``optional``); ``what`` says what it should compute."""
    if value is None and optional:
        return None
    if not callable(value):
        raise TypeError(f"{name} must be {what}{' or None' if optional else ''}, "
                        f"got {type(value).__name__}")
    return value
