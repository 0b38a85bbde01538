"""Smoke runs (``CMT_SMOKE=1``): every chapter's full-mode code path with budgets clamped to a few
batches, on the data present, so that a full-mode branch that crashes is caught in CI and not on a
student's GPU.

Unit tests of the switch (runtime, training, cache, data, claims, pretrained weights), then every
chapter of ``_toc.yml`` executed as a smoke run through the book runner.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import book, claims, data, nets, runtime, train

from conftest import require_dataset

ROOT = Path(__file__).resolve().parents[1]
SMOKE_BUDGET_S = 240  # every chapter's smoke run, on 2 cores (chapter 8: 191 s measured)
#: Glued text that only a quick-mode run may produce (a smoke run is a full-mode run).
QUICK_MARKERS = ("quick budget", "(quick mode)")


@pytest.fixture
def smoke(monkeypatch, tmp_path):
    """A smoke run in this process, with a fresh cache (restored afterwards)."""
    monkeypatch.setenv("CMT_SMOKE", "1")
    monkeypatch.setenv("CMT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def real(monkeypatch, tmp_path):
    monkeypatch.setenv("CMT_SMOKE", "0")
    monkeypatch.setenv("CMT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


# ----------------------------------------------------------------------------------- the switch
def test_switch_from_argument_and_environment(monkeypatch):
    monkeypatch.delenv("CMT_SMOKE", raising=False)
    assert runtime.resolve_smoke(None) is False and not runtime.smoke_active()
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("CMT_SMOKE", value)
        assert runtime.resolve_smoke(None) is expected
    monkeypatch.setenv("CMT_SMOKE", "0")
    assert runtime.resolve_smoke(True) is True, "the argument wins"
    monkeypatch.setenv("CMT_SMOKE", "maybe")
    with pytest.raises(ValueError, match="CMT_SMOKE"):
        runtime.resolve_smoke(None)
    with pytest.raises(TypeError, match="smoke"):
        runtime.resolve_smoke(1)


def test_smoke_run_is_full_mode_with_a_banner(smoke, capsys, monkeypatch):
    monkeypatch.setenv("CMT_MODE", "quick")
    run = runtime.start(mode="quick", device="cpu", seed=2)
    out = capsys.readouterr().out
    assert run.smoke and run.mode == "full" and not run.quick
    assert "mode     : full" in out and runtime.SMOKE_BANNER in out
    assert "not results" in runtime.SMOKE_BANNER and "SMOKE RUN" in runtime.SMOKE_BANNER
    assert runtime.resolve_mode(None) == "full", "helpers called without a mode take full"
    assert runtime.resolve_mode("quick") == "quick", "an explicit mode is still honoured"
    assert run.pick(1, 2) == 2 and run.pick(1, 2, smoke=3) == 3
    assert run.seeds(quick=3, full=5) == [2, 3][: runtime.SMOKE_SEEDS]
    assert run.floor(0.9) == 0


def test_notebook_parameter_sets_the_switch_for_the_helpers(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CMT_SMOKE", "0")
    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    run = runtime.start(mode="quick", device="cpu", smoke=True)
    assert run.smoke and runtime.smoke_active() and os.environ["CMT_SMOKE"] == "1"
    run = runtime.start(mode="quick", device="cpu", smoke=False)
    assert not run.smoke and run.mode == "quick" and not runtime.smoke_active()
    assert "SMOKE" not in capsys.readouterr().out.split("mode     : quick")[-1]


def test_real_runs_are_unchanged(real):
    run = runtime.start(mode="quick", device="cpu", verbose=False)
    assert not run.smoke and run.pick(1, 2, smoke=3) == 1 and run.floor(0.9) == 0.9
    assert run.seeds() == [0, 1, 2]
    full = runtime.start(mode="full", device="cpu", verbose=False)
    assert full.pick(1, 2, smoke=3) == 2 and full.seeds() == [0, 1, 2, 3, 4]
    assert runtime.SMOKE_BANNER not in full.banner()


# ------------------------------------------------------------------------------- budgets clamped
class CountingLoader:
    """``n`` batches of 4 random 3-feature inputs; counts the batches handed out."""

    def __init__(self, n: int = 6):
        self.n, self.served = n, 0
        g = torch.Generator().manual_seed(0)
        self.batches = [(torch.randn(4, 3, generator=g), torch.arange(4) % 2) for _ in range(n)]

    def __len__(self):
        return self.n

    def __iter__(self):
        for b in self.batches:
            self.served += 1
            yield b


def test_fit_and_evaluate_read_a_few_batches_in_smoke(smoke, capsys):
    loader, test = CountingLoader(), CountingLoader()
    history = train.fit(nn.Linear(3, 2), loader, epochs=5, lr=1e-2, device="cpu", log=None)
    assert len(history) == runtime.SMOKE_EPOCHS
    assert loader.served == runtime.SMOKE_EPOCHS * runtime.SMOKE_BATCHES
    assert "smoke run: training clamped" in capsys.readouterr().out
    train.evaluate(nn.Linear(3, 2), test, "cpu")
    assert test.served == runtime.SMOKE_BATCHES


def test_fit_and_evaluate_read_everything_in_real_runs(real):
    loader, test = CountingLoader(), CountingLoader()
    history = train.fit(nn.Linear(3, 2), loader, epochs=3, lr=1e-2, device="cpu", log=None)
    assert len(history) == 3 and loader.served == 3 * loader.n
    train.evaluate(nn.Linear(3, 2), test, "cpu")
    assert test.served == test.n


def test_smoke_batches_are_few_and_small(monkeypatch):
    loader = [(torch.arange(20), torch.arange(20) % 3, "meta") for _ in range(5)]
    monkeypatch.setenv("CMT_SMOKE", "0")
    assert runtime.smoke_batches(loader) is loader, "a real run reads the loader as it is"
    monkeypatch.setenv("CMT_SMOKE", "1")
    got = list(runtime.smoke_batches(loader))
    assert len(got) == runtime.SMOKE_BATCHES
    x, y, meta = got[0]
    assert torch.equal(x, torch.arange(runtime.SMOKE_ITEMS)) and len(y) == runtime.SMOKE_ITEMS
    assert meta == "meta" and isinstance(got[0], tuple)
    assert [len(b) for b in runtime.smoke_batches([torch.zeros(3, 2)] * 3)] == [3, 3]


def _tiny_config(**changes):
    return nets.network_audio_1_config("quick", width=0.0625, crop=512, epochs=1, **changes)


def _tiny_loaders(config):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 1, config.crop, generator=g), torch.arange(16) % 10
    ds = torch.utils.data.TensorDataset(x, y)
    return (torch.utils.data.DataLoader(ds, batch_size=4),) * 2


def test_smoke_networks_are_cached_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    cfg = _tiny_config()
    monkeypatch.setenv("CMT_SMOKE", "1")
    smoke_path = train.checkpoint_path(cfg)
    _, rec = train.train_or_load(cfg, make_loaders=_tiny_loaders, device="cpu", log=None)
    assert not rec.loaded and rec.path == smoke_path
    assert smoke_path.parent == tmp_path / "smoke" / "models" and smoke_path.exists()
    assert train.train_or_load(cfg, make_loaders=_tiny_loaders, device="cpu", log=None)[1].loaded
    monkeypatch.setenv("CMT_SMOKE", "0")
    real_path = train.checkpoint_path(cfg)
    assert real_path == tmp_path / "models" / f"{cfg.key()}.pt" and not real_path.exists()
    _, rec = train.train_or_load(cfg, make_loaders=_tiny_loaders, device="cpu", log=None)
    assert not rec.loaded, "a real run never loads a smoke network"
    assert rec.path == real_path and len(rec.history) == cfg.epochs


def test_probes_read_a_few_batches_in_smoke(smoke):
    from helpers import probes

    model = nn.Sequential(nn.Conv1d(1, 2, 3, padding=1))
    loader = [torch.randn(2, 1, 16) for _ in range(5)]
    served = []
    ls = probes.LayerSpectra(model, ["0"])
    ls.run(_Tap(loader, served))
    assert len(served) == runtime.SMOKE_BATCHES


class _Tap:
    def __init__(self, items, served):
        self.items, self.served = items, served

    def __iter__(self):
        for item in self.items:
            self.served.append(1)
            yield item


# --------------------------------------------------------------------------------- data present
def test_smoke_reads_the_quick_copy_present_and_says_so(smoke, capsys):
    root = require_dataset("mnist", data.SOURCES["mnist"].data_path).parent
    ds = data.load("mnist", "test", mode="full", root=root)
    assert len(ds) == data.SOURCES["mnist"].quick["test"], "the quick-mode subset"
    assert "(data directory" in ds.source
    out = capsys.readouterr().out
    assert "smoke run: mnist test read from the copy present" in out and "quick-mode" in out


def test_smoke_downloads_nothing(smoke, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(
        data, "_fill_cache", lambda src, final: calls.append(src.name) or 1 / 0
    )  # never reached
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DatasetUnavailable, match="smoke run.*downloads nothing"):
        data.load("fsdd", "test", root=empty)
    assert calls == []


# ---------------------------------------------------------------------------------------- claims
def test_claims_of_a_smoke_run_get_no_verdict(smoke, monkeypatch, tmp_path):
    monkeypatch.setenv("CMT_CLAIMS_DIR", str(tmp_path / "claims"))
    run = runtime.start(mode="full", device="cpu", verbose=False)
    ledger = claims.Ledger(3, run)
    c = ledger.record(
        "ch3-x",
        statement="an identity",
        source="test",
        criterion=claims.at_most(1e-9),
        measured=claims.value(0.0, "error"),
        data="none",
    )
    assert c.verdict == f"not tested yet ({claims.SMOKE_REASON})" == "not tested yet (smoke run)"
    assert c.mode == "full (smoke run)" and "no verdict" in c.reason
    assert c.verdict.split(" (")[0] in claims.VERDICTS
    saved = json.loads(ledger.path.read_text())
    assert saved["mode"] == "full (smoke run)"
    monkeypatch.setenv("CMT_SMOKE", "0")
    real = claims.Ledger(4, runtime.start(mode="full", device="cpu", verbose=False))
    c = real.record(
        "ch4-x",
        statement="an identity",
        source="test",
        criterion=claims.at_most(1e-9),
        measured=claims.value(0.0, "error"),
        data="none",
    )
    assert c.verdict == "reproduced" and c.mode == "full"


# --------------------------------------------------------------------------- pretrained weights
def test_resnet18_without_cached_weights_is_random_in_smoke_only(
    smoke, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(
        torch.hub, "load_state_dict_from_url", lambda *a, **k: pytest.fail("downloaded")
    )
    net = nets.resnet18_imagenet(5)
    assert net.backbone.fc.out_features == 5
    assert "random initialisation" in capsys.readouterr().out
    monkeypatch.setenv("CMT_SMOKE", "0")
    monkeypatch.setattr(
        torch.hub,
        "load_state_dict_from_url",
        lambda *a, **k: (_ for _ in ()).throw(OSError("offline")),
    )
    with pytest.raises(RuntimeError, match="ImageNet weights.*offline"):
        nets.resnet18_imagenet(5)


# ---------------------------------------------------------------------------------- the runner
def test_runner_executes_a_smoke_run_in_full_mode(tmp_path, monkeypatch):
    """``execute_chapter(..., smoke=True)``: the kernel runs with CMT_SMOKE=1 and mode full,
    whatever mode was asked for; a smoke build renders no HTML."""
    import nbformat

    monkeypatch.setenv("CMT_SMOKE", "0")
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("mode = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import os\nprint('mode=' + mode, 'smoke=' + os.environ['CMT_SMOKE'])"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, nbdir / "97_smoke.ipynb")
    run = book.execute_chapter(
        "notebooks/97_smoke", "quick", tmp_path / "out", tmp_path, smoke=True
    )
    out = "".join(
        "".join(o.get("text", ""))
        for c in json.loads(run.output.read_text())["cells"]
        for o in c.get("outputs", [])
    )
    assert "mode=full smoke=1" in out and run.smoke and run.mode == "full"
    assert "smoke" in book.format_table([run]) and os.environ["CMT_SMOKE"] == "0"
    with pytest.raises(ValueError, match="HTML"):
        book.build(smoke=True, root=tmp_path)


# ------------------------------------------------------------------------------ the chapters
def glued(executed: Path) -> dict[str, str]:
    """Every value a notebook glued (myst-nb's scrapbook outputs): name -> text/plain."""
    nb = json.loads(executed.read_text())
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook", {})
            if meta.get("name"):
                key = f"{meta.get('mime_prefix', '')}text/plain"
                out[meta["name"]] = "".join(o.get("data", {}).get(key, ""))
    return out


@pytest.fixture(scope="module")
def smoke_cache(tmp_path_factory):
    """One fresh cache for the chapters' smoke runs: every network is trained, none loaded."""
    return tmp_path_factory.mktemp("smoke-cache")


@pytest.mark.parametrize("stem", book.chapters(ROOT), ids=lambda s: Path(s).name)
def test_chapter_runs_in_smoke(stem, smoke_cache, tmp_path, monkeypatch):
    require_dataset("fsdd")
    monkeypatch.setenv("CMT_CACHE", str(smoke_cache))
    run = book.execute_chapter(stem, "quick", tmp_path, ROOT, smoke=True)
    assert run.smoke and run.mode == "full"
    nb = json.loads(run.output.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"{stem}: error outputs in a smoke run"
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert runtime.SMOKE_BANNER in text, f"{stem} does not print the smoke banner"
    assert "mode     : full" in text, f"{stem}: the smoke run's mode is not full"
    for name, value in glued(run.output).items():
        for marker in QUICK_MARKERS:
            assert marker not in value, f"{stem}: glued {name!r} = {value!r} is quick-mode text"
    ledger = tmp_path / "claims" / f"ch{Path(stem).name[:2]}.json"
    if ledger.exists():
        for c in claims.read_chapter(ledger):
            assert c.verdict == "not tested yet (smoke run)", f"{stem}: {c.id} got {c.verdict}"
    assert run.seconds < SMOKE_BUDGET_S, (
        f"{stem} took {run.seconds:.0f} s as a smoke run (> {SMOKE_BUDGET_S} s)"
    )
