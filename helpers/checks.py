"""Argument checks shared by every helper module: one definition of each, one wording of each error.

Each check takes the value and the argument's name, raises ``TypeError`` (wrong kind) or
``ValueError`` (right kind, bad value) with a message that names the argument and what was
expected, and returns the value normalised (``int``, ``float``, ``bool``, a lower-case choice, a
floating tensor).

* :func:`tensor` -- a tensor, NumPy array or nested sequence of numbers as a floating tensor.
* :func:`integer`, :func:`real`, :func:`positive`, :func:`boolean`, :func:`choice`,
  :func:`function`, :func:`ndim` -- scalars and options; ``integer`` and ``real`` take an optional
  range (``minimum``/``maximum`` inclusive, ``above``/``below`` exclusive for ``real``).
* :func:`instance`, :func:`sequence`, :func:`int_tuple`, :func:`floating_dtype` -- objects,
  sequences, per-dimension sizes and dtypes.

``note`` (where taken) is appended to what the message says was expected, e.g. ``" cycles/sample"``.
``type_error`` (where taken) is the exception raised for a value of the wrong kind: ``TypeError``
by default, ``ValueError`` where a function's documented contract has always said so.

This module imports nothing from the rest of ``helpers`` (every other module may import it), and
torch only when a check needs it, so the light modules (runtime, claims, book) stay light.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence

import numpy as np

__all__ = [
    "tensor",
    "integer",
    "real",
    "positive",
    "boolean",
    "choice",
    "function",
    "ndim",
    "instance",
    "sequence",
    "iterable",
    "int_tuple",
    "floating_dtype",
    "value_range",
]


def _is_torch_tensor(x) -> bool:
    """Whether ``x`` is a torch.Tensor, without importing torch (no torch loaded: it is not)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def tensor(
    x,
    name: str,
    *,
    allow_complex: bool = True,
    min_ndim: int = 0,
    check_finite: bool = True,
    promote: bool = True,
    sequences: bool = True,
):
    """Convert ``x`` (tensor, NumPy array or nested sequence of numbers) to a floating tensor.

    Integers (and NumPy integer arrays) become float64; float16/bfloat16 become float32; float32
    and float64 are kept. Raises TypeError naming ``name`` for anything that is not numeric.
    ``promote=False`` keeps the dtype as given (a list of Python floats: torch's default dtype,
    as ``torch.as_tensor`` gives); ``sequences=False`` accepts only a tensor or a NumPy
    array (no lists or scalars); ``check_finite=False`` lets NaN and inf through.
    """
    import torch

    what = "a torch.Tensor or a numpy array of numbers"
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be {what}, got {type(x).__name__}")
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        if x.dtype.kind not in "iufc":
            raise TypeError(
                f"{name} must hold numbers (int, float or complex), got numpy dtype {x.dtype}"
            )
        t = torch.as_tensor(np.ascontiguousarray(x))
    elif sequences and isinstance(x, (numbers.Number, Sequence)) and not isinstance(x, bool):
        try:
            t = torch.as_tensor(np.asarray(x) if promote else x)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"{name} must be {what}, could not convert {type(x).__name__}: {err}"
            ) from None
    else:
        raise TypeError(f"{name} must be {what}, got {type(x).__name__}")
    if t.dtype == torch.bool:
        raise TypeError(f"{name} must hold numbers (int, float or complex), got dtype torch.bool")
    if t.is_complex():
        if not allow_complex:
            raise TypeError(f"{name} must be real (float or int), got complex dtype {t.dtype}")
        if promote and t.dtype == torch.complex32:
            t = t.to(torch.complex64)
    elif not promote:
        pass
    elif not t.is_floating_point():
        t = t.to(torch.float64)
    elif t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    if t.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s), got shape {tuple(t.shape)}"
        )
    if check_finite and t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or inf values")
    return t


def ndim(ndim) -> int:
    """1 (signals, last dim) or 2 (images, last two dims), as ``int``."""
    if isinstance(ndim, (bool, np.bool_)) or not isinstance(ndim, (int, np.integer)):
        raise TypeError(f"ndim must be the int 1 or 2, got {type(ndim).__name__}")
    if int(ndim) not in (1, 2):
        raise ValueError(
            f"ndim must be 1 (signals, last dim) or 2 (images, last two dims), got {ndim}"
        )
    return int(ndim)


def boolean(value, name: str) -> bool:
    """``True`` or ``False`` (Python or NumPy bool; not 0/1), as ``bool``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _int_range(minimum, maximum) -> str:
    if minimum is None:
        return "an int" if maximum is None else f"an int <= {maximum}"
    if maximum is not None:
        return f"an int in [{minimum}, {maximum}]"
    return "a positive int" if minimum == 1 else f"an int >= {minimum}"


def integer(
    value,
    name: str,
    minimum: int | None = 1,
    maximum: int | None = None,
    *,
    note: str = "",
    type_error: type[Exception] = TypeError,
) -> int:
    """An int (Python or NumPy; not bool) in ``[minimum, maximum]`` (``None``: no bound), as
    ``int``."""
    expected = _int_range(minimum, maximum) + note
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise type_error(f"{name} must be {expected}, got {type(value).__name__}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {expected}, got {value}")
    return int(value)


def _interval(minimum, maximum, above, below) -> str:
    low = f"[{minimum}" if minimum is not None else f"({above}" if above is not None else "(-inf"
    high = f"{maximum}]" if maximum is not None else f"{below})" if below is not None else "inf)"
    return f"{low}, {high}"


def real(
    value,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    above: float | None = None,
    below: float | None = None,
    note: str = "",
    type_error: type[Exception] = TypeError,
) -> float:
    """A finite real number (Python, NumPy or a one-element real tensor; not bool), as ``float``.

    Optional range: ``minimum <= value <= maximum`` (inclusive), ``above < value < below``
    (exclusive); any bound may be left out.
    """
    if _is_torch_tensor(value) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    bounded = any(b is not None for b in (minimum, maximum, above, below))
    expected = (
        f"a real number in {_interval(minimum, maximum, above, below)}"
        if bounded
        else "a real number"
    ) + note
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise type_error(f"{name} must be {expected}, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite ({expected}), got {value}")
    if (
        (minimum is not None and not value >= minimum)
        or (maximum is not None and not value <= maximum)
        or (above is not None and not value > above)
        or (below is not None and not value < below)
    ):
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def positive(value, name: str, *, note: str = "", type_error: type[Exception] = TypeError) -> float:
    """A finite real number > 0, as ``float``."""
    value = real(value, name, note=note, type_error=type_error)
    if not value > 0:
        raise ValueError(f"{name} must be a positive number{note}, got {value}")
    return value


def choice(
    value, name: str, choices, *, note: str = "", type_error: type[Exception] = TypeError
) -> str:
    """One of ``choices`` (strings, compared case-insensitively), as the lower-case string."""
    if not isinstance(value, str):
        raise type_error(
            f"{name} must be a string, one of {sorted(choices)}{note}, got {type(value).__name__}"
        )
    key = value.lower()
    if key not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}{note}, got {value!r}")
    return key


def function(value, name: str, what: str = "a callable", optional: bool = False):
    """A callable (or ``None`` when ``optional``); ``what`` says what it should compute."""
    if value is None and optional:
        return None
    if not callable(value):
        raise TypeError(
            f"{name} must be {what}{' or None' if optional else ''}, got {type(value).__name__}"
        )
    return value


def instance(value, name: str, types, what: str, optional: bool = False):
    """An instance of ``types`` (a class or a tuple of them; or ``None`` when ``optional``);
    ``what`` says what was expected, e.g. ``"a torch.Generator"``."""
    if value is None and optional:
        return None
    if not isinstance(value, types):
        raise TypeError(
            f"{name} must be {what}{' or None' if optional else ''}, got {type(value).__name__}"
        )
    return value


def sequence(
    value,
    name: str,
    what: str = "a list or tuple",
    length: int | None = None,
    nonempty: bool = False,
):
    """A list, tuple or other Sequence -- not a string, tensor or array -- of ``length`` items (or
    at least one when ``nonempty``), returned as given; ``what`` says what was expected."""
    if (
        isinstance(value, (str, bytes, np.ndarray))
        or _is_torch_tensor(value)
        or not isinstance(value, Sequence)
    ):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    if (length is not None and len(value) != length) or (nonempty and not len(value)):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    return value


def iterable(value, name: str, what: str = "an iterable"):
    """Something to iterate over (a DataLoader, a list of batches, a generator) -- not a string,
    bytes or a tensor, whose iteration is almost never what was meant; returned as given."""
    if isinstance(value, (str, bytes)) or _is_torch_tensor(value) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def int_tuple(value, name: str, n: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """An int or a tuple/list of ints (``n`` of them when given; an int is repeated ``n`` times),
    each ``>= minimum``, as a tuple of ``int``."""
    of = f"a tuple of {n} ints" if n is not None else "a tuple of ints"
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or {of}, got bool")
    if isinstance(value, numbers.Integral):
        value = (int(value),) * (1 if n is None else n)
    if (
        not isinstance(value, (tuple, list))
        or (n is not None and len(value) != n)
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in value
        )
    ):
        raise TypeError(f"{name} must be an int or {of}, got {value!r}")
    value = tuple(int(v) for v in value)
    if any(v < minimum for v in value):
        shown = value if len(value) != 1 else value[0]
        raise ValueError(f"{name} must be >= {minimum}, got {shown}")
    return value


def floating_dtype(value, name: str = "dtype"):
    """A floating torch dtype (``torch.float32``, ``torch.float64``, ...)."""
    import torch

    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise TypeError(
            f"{name} must be a floating torch dtype such as torch.float64, got {value!r}"
        )
    return value


def value_range(value, name: str = "clip"):
    """``None``, or a pair ``(low, high)`` of real numbers with ``low < high`` (e.g. the image range
    an attack or a perturbation is clipped to), as a tuple of floats."""
    if value is None:
        return None
    sequence(value, name, "a (low, high) pair of numbers or None", length=2)
    low, high = real(value[0], f"{name}[0]"), real(value[1], f"{name}[1]")
    if not low < high:
        raise ValueError(f"{name} must be (low, high) with low < high, got {tuple(value)}")
    return low, high
