"""helpers.checks: every argument check accepts what it documents, normalises it, and refuses the
rest with the right exception type and a message that names the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import assert_raises_naming
from helpers import checks


def test_integer_accepts_integers_and_refuses_the_rest():
    assert checks.integer(3, "order") == 3 and checks.integer(np.int64(0), "order", 0) == 0
    assert type(checks.integer(np.int64(4), "order")) is int
    for bad in (2.5, 3.0, "3", True, np.bool_(True), None):
        assert_raises_naming(lambda b=bad: checks.integer(b, "order"), TypeError, "order")
    assert_raises_naming(lambda: checks.integer(0, "order"), ValueError, "order")
    assert_raises_naming(lambda: checks.integer(4, "order", 5), ValueError, "order")


def test_real_and_positive():
    assert (
        checks.real(torch.tensor(2.5), "fc") == 2.5
        and type(checks.real(np.float32(1), "fc")) is float
    )
    assert checks.real(-3, "fc") == -3.0
    for bad in ("1", True, None, torch.tensor([1.0, 2.0]), 1j):
        assert_raises_naming(lambda b=bad: checks.real(b, "fc"), TypeError, "fc")
    for bad in (float("nan"), float("inf")):
        assert_raises_naming(lambda b=bad: checks.real(b, "fc"), ValueError, "fc")
    assert checks.positive(0.5, "alpha") == 0.5
    for bad in (0, -1e-300):
        assert_raises_naming(lambda b=bad: checks.positive(b, "alpha"), ValueError, "alpha")


def test_boolean_accepts_python_and_numpy_bools_only():
    assert (
        checks.boolean(np.bool_(False), "shift") is False and checks.boolean(True, "shift") is True
    )
    for bad in (0, 1, "True", None):
        assert_raises_naming(lambda b=bad: checks.boolean(b, "shift"), TypeError, "shift")


def test_choice_is_case_insensitive_and_lists_the_choices():
    assert checks.choice("ReLU", "activation", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'tanh'\]"):
        checks.choice("gelu", "activation", ("relu", "tanh"))
    assert_raises_naming(lambda: checks.choice(1, "activation", ("relu",)), TypeError, "activation")


def test_function_and_ndim():
    assert (
        checks.function(len, "metric") is len
        and checks.function(None, "metric", optional=True) is None
    )
    with pytest.raises(TypeError, match="metric must be a metric\\(output, target\\) or None"):
        checks.function(3, "metric", "a metric(output, target)", optional=True)
    assert_raises_naming(lambda: checks.function(None, "loss"), TypeError, "loss")
    assert checks.ndim(np.int64(2)) == 2
    assert_raises_naming(lambda: checks.ndim(3), ValueError, "ndim")
    assert_raises_naming(lambda: checks.ndim(True), TypeError, "ndim")


def test_tensor_promotes_dtypes_and_refuses_non_numbers():
    assert checks.tensor([1, 2], "x").dtype == torch.float64
    assert checks.tensor(np.ones(3, np.float16), "x").dtype == torch.float32
    assert checks.tensor(torch.ones(2, dtype=torch.complex64), "x").dtype == torch.complex64
    assert_raises_naming(
        lambda: checks.tensor(torch.ones(2, dtype=torch.complex64), "x", allow_complex=False),
        TypeError,
        "x",
    )
    assert_raises_naming(lambda: checks.tensor(torch.ones(3), "x", min_ndim=2), ValueError, "x")
    assert_raises_naming(lambda: checks.tensor([1.0, float("nan")], "x"), ValueError, "x")
    assert checks.tensor([1.0, float("nan")], "x", check_finite=False).isnan().any()
    for bad in ("abc", torch.ones(2, dtype=torch.bool), np.array(["a"]), {1: 2}):
        assert_raises_naming(lambda b=bad: checks.tensor(b, "x"), TypeError, "x")


def test_integer_range_note_and_type_error():
    assert checks.integer(10, "fold", 1, 10) == 10 and checks.integer(-3, "shift", None) == -3
    for bad in (0, 11):
        assert_raises_naming(lambda b=bad: checks.integer(b, "fold", 1, 10), ValueError, "fold")
    with pytest.raises(ValueError, match=r"n must be a positive int \(number of terms\), got 0"):
        checks.integer(0, "n", note=" (number of terms)")
    for bad in (2.0, "3", True):  # an older contract: a wrong kind is a ValueError
        assert_raises_naming(
            lambda b=bad: checks.integer(b, "fold", type_error=ValueError), ValueError, "fold"
        )
    assert_raises_naming(lambda: checks.integer(1.5, "shift", None), TypeError, "shift")


@pytest.mark.parametrize(
    "kwargs, good, bad",
    [
        (dict(minimum=0.0, maximum=0.5), (0.0, 0.5), (-1e-9, 0.5000001)),
        (dict(above=0.0, maximum=2.0), (1e-9, 2.0), (0.0, 2.1)),
        (dict(above=0.0, below=1.0), (0.5,), (0.0, 1.0)),
        (dict(minimum=0.0), (0.0, 1e300), (-1.0,)),
    ],
)
def test_real_range_is_inclusive_or_exclusive_as_asked(kwargs, good, bad):
    for g in good:
        assert checks.real(g, "fc", **kwargs) == g
    for b in bad:
        assert_raises_naming(lambda b=b: checks.real(b, "fc", **kwargs), ValueError, "fc")
    with pytest.raises(ValueError, match="finite"):
        checks.real(float("nan"), "fc", **kwargs)


def test_real_messages_show_the_interval_and_the_note():
    with pytest.raises(ValueError, match=r"alpha must be a real number in \(0.0, 2.0\] \(stab"):
        checks.real(3.0, "alpha", above=0.0, maximum=2.0, note=" (stability index)")
    assert_raises_naming(
        lambda: checks.real("1", "timeout", type_error=ValueError), ValueError, "timeout"
    )
    assert_raises_naming(
        lambda: checks.positive("1", "timeout", type_error=ValueError), ValueError, "timeout"
    )


def test_choice_note_and_type_error():
    with pytest.raises(ValueError, match=r"split must be one of \['test', 'train'\] for 'fsdd'"):
        checks.choice("val", "split", ("train", "test"), note=" for 'fsdd'")
    assert_raises_naming(
        lambda: checks.choice(1, "mode", ("quick",), type_error=ValueError), ValueError, "mode"
    )


def test_instance_and_sequence():
    g = torch.Generator()
    assert checks.instance(g, "generator", torch.Generator, "a torch.Generator") is g
    assert checks.instance(None, "generator", torch.Generator, "a torch.Generator", True) is None
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        checks.instance(0, "generator", torch.Generator, "a torch.Generator", optional=True)
    assert_raises_naming(
        lambda: checks.instance(None, "model", torch.nn.Module, "a module"), TypeError, "model"
    )
    assert checks.sequence((1, 2, 3), "input_shape", length=3) == (1, 2, 3)
    assert checks.sequence(torch.Size([1, 2]), "freqs", length=2) == (1, 2)
    for bad in ("abc", torch.zeros(3), np.zeros(3), {1, 2, 3}, 3, None):
        assert_raises_naming(
            lambda b=bad: checks.sequence(b, "input_shape", length=3), TypeError, "input_shape"
        )
    assert_raises_naming(
        lambda: checks.sequence([1, 2], "input_shape", length=3), TypeError, "input_shape"
    )
    assert_raises_naming(lambda: checks.sequence([], "diffs", nonempty=True), TypeError, "diffs")


def test_int_tuple_broadcasts_and_refuses():
    assert checks.int_tuple(3, "stride", 2) == (3, 3) and checks.int_tuple([1, 2], "k", 2) == (1, 2)
    assert checks.int_tuple(torch.Size([2, 0]), "shape", None, 0) == (2, 0)
    assert checks.int_tuple(np.int64(4), "shape", None, 0) == (4,)
    for bad in (True, 2.5, (1, 2.0), (1, True), "3", None, (1, 2, 3)):
        assert_raises_naming(lambda b=bad: checks.int_tuple(b, "stride", 2), TypeError, "stride")
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        checks.int_tuple(-1, "padding", 1, 0)
    assert_raises_naming(lambda: checks.int_tuple((2, -1), "shape", None, 0), ValueError, "shape")


def test_floating_dtype_and_tensor_without_promotion():
    assert checks.floating_dtype(torch.float32) is torch.float32
    for bad in (torch.int64, "float32", float, None):
        assert_raises_naming(lambda b=bad: checks.floating_dtype(b), TypeError, "dtype")
    half = torch.ones(2, dtype=torch.float16)
    assert checks.tensor(half, "x", promote=False).dtype == torch.float16
    assert checks.tensor([1, 2], "x", promote=False).dtype == torch.int64
    assert checks.tensor([1.0], "x", promote=False).dtype == torch.get_default_dtype()
    assert_raises_naming(lambda: checks.tensor([1.0], "x", sequences=False), TypeError, "x")
    assert checks.tensor(np.ones(2, np.float32), "x", sequences=False).dtype == torch.float32


def test_checks_does_not_import_torch_until_a_check_needs_it():
    """runtime, claims and book import helpers.checks; importing it must not pull in torch."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; import helpers.checks as c; c.integer(3, 'n'); c.real(2.0, 'x'); "
        "c.sequence([1], 'x'); print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "False"


def test_iterable_refuses_strings_and_tensors():
    assert checks.iterable([1], "loader") == [1]
    gen = (i for i in range(2))
    assert checks.iterable(gen, "loader") is gen
    for bad in ("abc", b"x", torch.ones(3), 3, None):
        assert_raises_naming(
            lambda b=bad: checks.iterable(b, "loader", "batches"), TypeError, "loader"
        )


def test_value_range_is_none_or_an_increasing_pair():
    assert checks.value_range(None) is None
    assert checks.value_range((0, 1)) == (0.0, 1.0)
    with pytest.raises(ValueError, match=r"clip must be \(low, high\) with low < high"):
        checks.value_range((1.0, 1.0))
    with pytest.raises((TypeError, ValueError), match="bounds"):
        checks.value_range((0.0,), "bounds")
