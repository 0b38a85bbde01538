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
    assert checks.real(torch.tensor(2.5), "fc") == 2.5 and type(checks.real(np.float32(1), "fc")) is float
    assert checks.real(-3, "fc") == -3.0
    for bad in ("1", True, None, torch.tensor([1.0, 2.0]), 1j):
        assert_raises_naming(lambda b=bad: checks.real(b, "fc"), TypeError, "fc")
    for bad in (float("nan"), float("inf")):
        assert_raises_naming(lambda b=bad: checks.real(b, "fc"), ValueError, "fc")
    assert checks.positive(0.5, "alpha") == 0.5
    for bad in (0, -1e-300):
        assert_raises_naming(lambda b=bad: checks.positive(b, "alpha"), ValueError, "alpha")


def test_boolean_accepts_python_and_numpy_bools_only():
    assert checks.boolean(np.bool_(False), "shift") is False and checks.boolean(True, "shift") is True
    for bad in (0, 1, "True", None):
        assert_raises_naming(lambda b=bad: checks.boolean(b, "shift"), TypeError, "shift")


def test_choice_is_case_insensitive_and_lists_the_choices():
    assert checks.choice("ReLU", "activation", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'tanh'\]"):
        checks.choice("gelu", "activation", ("relu", "tanh"))
    assert_raises_naming(lambda: checks.choice(1, "activation", ("relu",)), TypeError, "activation")


def test_function_and_ndim():
    assert checks.function(len, "metric") is len and checks.function(None, "metric", optional=True) is None
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
    assert_raises_naming(lambda: checks.tensor(torch.ones(2, dtype=torch.complex64), "x",
                                               allow_complex=False), TypeError, "x")
    assert_raises_naming(lambda: checks.tensor(torch.ones(3), "x", min_ndim=2), ValueError, "x")
    assert_raises_naming(lambda: checks.tensor([1.0, float("nan")], "x"), ValueError, "x")
    assert checks.tensor([1.0, float("nan")], "x", check_finite=False).isnan().any()
    for bad in ("abc", torch.ones(2, dtype=torch.bool), np.array(["a"]), {1: 2}):
        assert_raises_naming(lambda b=bad: checks.tensor(b, "x"), TypeError, "x")
