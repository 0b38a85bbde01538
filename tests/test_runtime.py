"""runtime: mode resolution, devices, seeds, paths, banner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import runtime


def test_mode_from_argument_env_and_hardware(monkeypatch):
    monkeypatch.delenv("CMT_MODE", raising=False)
    assert runtime.resolve_mode("full") == "full"
    assert runtime.resolve_mode("QUICK") == "quick"
    monkeypatch.setenv("CMT_MODE", "full")
    assert runtime.resolve_mode(None) == "full"
    assert runtime.resolve_mode("quick") == "quick", "the argument (papermill parameter) wins"
    monkeypatch.delenv("CMT_MODE")
    monkeypatch.setattr(runtime, "_cuda_available", lambda: True)
    assert runtime.resolve_mode(None) == "full"
    monkeypatch.setattr(runtime, "_cuda_available", lambda: False)
    assert runtime.resolve_mode(None) == "quick"


@pytest.mark.parametrize("bad", ["fast", 1, "ful"])
def test_bad_mode_names_argument(bad, monkeypatch):
    monkeypatch.delenv("CMT_MODE", raising=False)
    with pytest.raises(ValueError, match="mode"):
        runtime.resolve_mode(bad)


def test_bad_mode_from_environment_names_variable(monkeypatch):
    monkeypatch.setenv("CMT_MODE", "turbo")
    with pytest.raises(ValueError, match="CMT_MODE"):
        runtime.resolve_mode(None)


def test_devices(monkeypatch):
    monkeypatch.setattr(runtime, "_cuda_available", lambda: False)
    assert runtime.resolve_device(None) == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        runtime.resolve_device("cuda")
    with pytest.raises(ValueError, match="device"):
        runtime.resolve_device("tpu")
    with pytest.raises(TypeError, match="device"):
        runtime.resolve_device(0)


def test_seed_makes_runs_repeat():
    runtime.seed_everything(3)
    a = (torch.rand(4), np.random.rand(4))
    runtime.seed_everything(3)
    b = (torch.rand(4), np.random.rand(4))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    runtime.seed_everything(4)
    assert not torch.equal(a[0], torch.rand(4))


@pytest.mark.parametrize(
    "bad, exc", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)]
)
def test_bad_seed(bad, exc):
    with pytest.raises(exc, match="seed"):
        runtime.seed_everything(bad)


def test_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("CMT_DATA", str(tmp_path))
    assert runtime.data_dir() == tmp_path.resolve()
    monkeypatch.setenv("CMT_DATA", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="CMT_DATA"):
        runtime.data_dir()
    with pytest.raises(ValueError, match="data_dir argument"):
        runtime.data_dir(tmp_path / "nope")
    monkeypatch.delenv("CMT_DATA")
    assert runtime.data_dir() is None
    monkeypatch.setenv("CMT_CACHE", str(tmp_path / "c"))
    assert runtime.cache_dir() == (tmp_path / "c").resolve() and (tmp_path / "c").is_dir()


def test_start_prints_banner(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    monkeypatch.delenv("CMT_DATA", raising=False)
    run = runtime.start(mode="quick", seed=1, device="cpu", datasets=["fsdd"])
    out = capsys.readouterr().out
    assert "mode     : quick" in out and "device   : cpu" in out and torch.__version__ in out
    assert "datasets : fsdd" in out
    assert run.pick(1, 2) == 1 and run.quick
    with pytest.raises(TypeError, match="datasets"):
        runtime.start(mode="quick", datasets="fsdd", verbose=False)


def test_glue_checks_name_and_records_without_error():
    runtime.glue(
        "ch0_value", 1.5, display=False
    )  # myst-nb is installed here: records, returns None
    with pytest.raises(ValueError, match="name"):
        runtime.glue("not a key", 1.0)


def test_plain_number_turns_numpy_and_tensor_scalars_into_python_numbers():
    import numpy as np
    import torch

    for value, expected in (
        (np.float64(0.25), 0.25),
        (np.int64(3), 3),
        (np.array([1.5]), 1.5),
        (torch.tensor(2.5), 2.5),
        (torch.tensor([7]), 7),
        (np.bool_(True), True),
    ):
        out = runtime.plain_number(value)
        assert out == expected and type(out) in (float, int, bool), (value, out)
        assert "np." not in repr(out) and "tensor" not in repr(out)
    for value in (0.5, 3, "text", None, [1, 2], np.zeros(3)):
        assert runtime.plain_number(value) is value


def test_run_seeds_start_at_the_chapter_seed_and_follow_the_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    quick = runtime.start(mode="quick", seed=4, verbose=False)
    full = runtime.start(mode="full", seed=4, device="cpu", verbose=False)
    assert quick.seeds() == [4, 5, 6] and full.seeds() == [4, 5, 6, 7, 8]
    assert quick.seeds(quick=1, full=2) == [4]
    with pytest.raises(ValueError, match="number of seeds"):
        quick.seeds(quick=0)


def test_stamp_records_the_run_and_names_a_bad_chapter(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    monkeypatch.setenv("CMT_CLAIMS_DIR", str(tmp_path / "claims"))
    run = runtime.start(mode="quick", seed=3, device="cpu", verbose=False)
    run.started -= 12.0  # as if the chapter ran for 12 s
    st = run.stamp("ch04")
    assert (st.mode, st.seed, st.device, st.torch) == ("quick", 3, "cpu", torch.__version__)
    assert 12.0 <= st.seconds < 60 and st.date.endswith("UTC")
    assert "quick mode, seed 3, on cpu, torch " + torch.__version__ in st.text()
    assert json.loads((tmp_path / "claims" / "stamps" / "ch04.json").read_text())["seconds"] == (
        st.seconds
    )
    for bad in ("4", "chapter4", 4):
        with pytest.raises(ValueError, match="chapter"):
            run.stamp(bad)
