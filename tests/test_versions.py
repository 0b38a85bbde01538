"""helpers/__init__: the dependency check that runs at import (what a Colab student meets first)."""

from __future__ import annotations

from importlib import metadata

import pytest

import helpers


def test_requirements_come_from_pyproject_and_admit_colab_widgets():
    reqs = dict(helpers.requirements())
    assert {"torch", "numpy", "matplotlib", "ipywidgets", "soundfile", "scipy"} <= set(reqs)
    assert helpers._release(reqs["ipywidgets"]) <= (7, 7, 1), "Colab has ipywidgets 7.7.1"


def test_the_installed_stack_passes():
    helpers.check_versions()


def test_an_old_or_missing_package_is_named_with_the_remedy():
    def found(name):
        if name == "torch":
            return "2.0.1+cu118"
        if name == "soundfile":
            raise metadata.PackageNotFoundError(name)
        return "99.0"

    with pytest.raises(ImportError) as info:
        helpers.check_versions(found)
    msg = str(info.value)
    assert "torch >= 2.1 is needed, 2.0.1+cu118 is installed" in msg
    assert "soundfile >= 0.12 is not installed" in msg
    assert "Colab" in msg and "requirements.txt" in msg
    assert "numpy" not in msg.split(". On Colab")[0]  # numpy 99.0 is new enough


def test_release_parses_local_and_short_versions():
    assert helpers._release("2.11.0+cu126") == (2, 11, 0)
    assert helpers._release("7.7.1") > helpers._release("7.6")
    assert helpers._release("6") == (6,)
