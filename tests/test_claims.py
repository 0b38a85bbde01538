"""Claims: verdicts computed from the measurement by the stated criterion, saved and tabulated."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from scipy import stats

from helpers import book, claims


@pytest.fixture(autouse=True)
def claims_dir(tmp_path, monkeypatch):
    folder = tmp_path / "claims"
    monkeypatch.setenv(claims.ENV_CLAIMS, str(folder))
    monkeypatch.setenv("CMT_CACHE", str(tmp_path / "cache"))
    return folder


class _Run:
    mode, seed = "quick", 7


def test_t_interval_matches_scipy():
    m = claims.sample([1.0, 2.0, 4.0], "x")
    lo, hi = m.interval
    ref = stats.t.interval(0.95, 2, loc=7 / 3, scale=stats.sem([1.0, 2.0, 4.0]))
    assert math.isclose(lo, ref[0], rel_tol=1e-12) and math.isclose(hi, ref[1], rel_tol=1e-12)
    assert m.n == 3 and math.isclose(m.mean, 7 / 3, rel_tol=1e-15)
    one = claims.value(2.5e-16, "error")
    assert one.interval == (2.5e-16, 2.5e-16) and one.sd == 0.0 and one.text() == "error 2.5e-16"


def test_paired_differences_and_bad_input():
    m = claims.paired([3.0, 4.0, 6.0], [1.0, 1.0, 1.0], what="gain", unit="points")
    assert m.values == (2.0, 3.0, 5.0) and "gain 3.33 points (95 % CI" in m.text()
    with pytest.raises(ValueError, match="pair up"):
        claims.paired([1.0, 2.0], [1.0], what="gain")
    with pytest.raises(ValueError, match="finite"):
        claims.sample([1.0, float("nan")], "x")
    with pytest.raises(ValueError, match="at least one"):
        claims.sample([], "x")
    with pytest.raises(ValueError, match="level"):
        claims.sample([1.0, 2.0], "x", level=1.5)


@pytest.mark.parametrize(
    "values, verdict",
    [
        ([2.0, 2.1, 1.9], "reproduced"),  # CI well above 0
        ([-1.0, 3.0, 0.5], "not reproduced"),  # CI includes 0
        ([-2.0, -2.1, -1.9], "not reproduced"),  # CI below 0
    ],
)
def test_greater_than_uses_the_whole_interval(values, verdict):
    v, why = claims.greater_than(0).judge(claims.sample(values, "d"))
    assert v == verdict and "d " in why
    assert claims.less_than(0).judge(claims.sample([-x for x in values], "d"))[0] == verdict


def test_min_n_gives_not_tested_yet():
    v, why = claims.greater_than(0, min_n=3).judge(claims.sample([5.0, 6.0], "d"))
    assert v == "not tested yet" and "needs 3" in why


def test_at_most_and_all_of():
    ok = claims.value(1e-16, "err")
    bad = claims.value(1e-3, "err")
    assert claims.at_most(1e-12).judge(ok)[0] == "reproduced"
    assert claims.at_most(1e-12).judge(bad)[0] == "not reproduced"
    tol = claims.at_most(1e-12)
    assert claims.all_of(parts=(("a", ok, tol), ("b", ok, tol))).judge_parts()[0] == "reproduced"
    v, why = claims.all_of(parts=(("a", ok, tol), ("b", bad, tol))).judge_parts()
    assert v == "partly reproduced" and why.startswith("holds for a only")
    assert claims.all_of(parts=(("a", bad, tol),)).judge_parts()[0] == "not reproduced"
    with pytest.raises(ValueError, match="at least one"):
        claims.all_of().judge_parts()


def test_ledger_records_saves_and_refuses_bad_input(claims_dir):
    ledger = claims.Ledger(3, _Run())
    c = ledger.record(
        "ch3-mirror",
        statement="s",
        source="{cite:t}`wu2022cmt`, eq 3",
        measured=claims.sample([1.0, 1.2, 0.9], "gain"),
        criterion=claims.greater_than(0),
        data="FSDD test",
        budget="3 epochs",
        seeds=[7, 8, 9],
    )
    assert c.verdict == "reproduced" and c.mode == "quick" and c.seeds == [7, 8, 9]
    saved = json.loads((claims_dir / "ch03.json").read_text())
    assert saved["claims"][0]["verdict"] == "reproduced" and saved["seed"] == 7
    u = ledger.record(
        "ch3-under",
        statement="s",
        source="x",
        measured=claims.value(5.0, "acc"),
        criterion=claims.greater_than(0),
        data="d",
        tested=False,
    )
    assert u.verdict == "not tested yet (quick budget)" and "no verdict" in u.reason
    with pytest.raises(ValueError, match="twice"):
        ledger.record(
            "ch3-under",
            statement="s",
            source="x",
            measured=claims.value(1, "a"),
            criterion=claims.at_most(2),
            data="d",
        )
    with pytest.raises(TypeError, match="criterion"):
        ledger.record(
            "ch3-x",
            statement="s",
            source="x",
            measured=claims.value(1, "a"),
            criterion="reproduced",
            data="d",
        )
    with pytest.raises(TypeError, match="measured"):
        ledger.record(
            "ch3-y", statement="s", source="x", measured=1.0, criterion=claims.at_most(2), data="d"
        )
    with pytest.raises(ValueError, match="id"):
        ledger.record(
            "no spaces",
            statement="s",
            source="x",
            measured=claims.value(1, "a"),
            criterion=claims.at_most(2),
            data="d",
        )
    with pytest.raises(ValueError, match="chapter"):
        claims.Ledger("chapter three")
    assert [x.id for x in claims.read_chapter(claims_dir / "ch03.json")] == [
        "ch3-mirror",
        "ch3-under",
    ]
    # a re-run starts a fresh ledger
    claims.Ledger(3, _Run())
    assert not (claims_dir / "ch03.json").exists()


def test_verdict_follows_the_numbers_not_the_text(claims_dir):
    """The same record with other measurements gives another verdict (nothing is typed)."""
    verdicts = []
    for values in ([1.0, 1.1, 0.9], [-1.0, 1.0, 0.1]):
        ledger = claims.Ledger(4, _Run())
        verdicts.append(
            ledger.record(
                "ch4-x",
                statement="s",
                source="x",
                measured=claims.sample(values, "d"),
                criterion=claims.greater_than(0),
                data="d",
            ).verdict
        )
    assert verdicts == ["reproduced", "not reproduced"]


def test_scorecard_is_filled_from_the_ledgers(tmp_path, claims_dir):
    ledger = claims.Ledger(1, _Run())
    ledger.record(
        "ch1-eq3",
        statement="DSB-SC | spectrum",
        source="eq 3",
        measured=claims.value(3e-16, "relative error"),
        criterion=claims.at_most(1e-12),
        data="an FSDD digit",
    )
    page = tmp_path / "scorecard.md"
    page.write_text("A\n<!-- CLAIMS ch01 -->\nB\n<!-- CLAIMS ch09 -->\n")
    book.fill_scorecard(page, claims_dir)
    text = page.read_text()
    assert (
        "| DSB-SC \\| spectrum | eq 3 | relative error 3e-16 | an FSDD digit; quick; seed 7 |"
        in text
    )
    assert "**reproduced**: at most 1e-12" in text and "{doc}`1 </notebooks/01_modulation>`" in text
    assert "Chapter 9 was not executed in this build" in text and "CLAIMS" not in text


def test_at_least_float64_tol_and_min_n_through_the_ledger(claims_dir):
    assert claims.float64_tol(4000) == 4000 * 2.0**-52
    with pytest.raises(ValueError, match="positive int"):
        claims.float64_tol(0)
    assert claims.at_least(0.01).judge(claims.value(0.03, "err"))[0] == "reproduced"
    assert claims.at_least(0.01).judge(claims.value(1e-16, "err"))[0] == "not reproduced"
    ledger = claims.Ledger(5, _Run())
    c = ledger.record(
        "ch5-few",
        statement="s",
        source="x",
        data="d",
        measured=claims.sample([1.0, 2.0], "gain"),
        criterion=claims.greater_than(0, min_n=3),
    )
    assert c.verdict == "not tested yet (quick budget)" and "needs 3" in c.reason
    tol = claims.at_most(1e-12)
    c = ledger.record(
        "ch5-parts",
        statement="s",
        source="x",
        data="d",
        criterion=claims.all_of(parts=(("a", claims.value(0.0, "e"), tol),)),
    )
    assert c.verdict == "reproduced" and c.measured == ["a: e 0"]


def test_scorecard_source_types_no_table_or_verdict():
    """book/scorecard.md holds no table row and no verdict word outside its legend: every row of the
    published chapters is generated from their ledgers (a typed "quick" or "reproduced" would go
    stale in a full-mode build)."""
    text = (Path(__file__).resolve().parents[1] / "book" / "scorecard.md").read_text()
    legend, _, body = text.partition("- **chapter**")
    assert body, "the legend's last item (chapter) is missing from book/scorecard.md"
    rows = [line for line in body.splitlines() if line.lstrip().startswith("|")]
    assert not rows, f"typed table rows in the scorecard source: {rows[:2]}"
    typed = re.findall(r"(?<!not )\b(?:partly reproduced|reproduced|not tested yet)\b", body)
    assert not typed, f"typed verdict words outside the legend: {typed}"
    chapters = {int(n) for n in re.findall(r"<!-- CLAIMS ch(\d\d) -->", body)}
    toc = (Path(__file__).resolve().parents[1] / "_toc.yml").read_text()
    published = {int(n) for n in re.findall(r"notebooks/(\d\d)_", toc)}
    assert chapters == published, (chapters, published)


def test_bootstrap_uses_the_estimate_and_the_percentile_interval(claims_dir):
    import numpy as np

    draws = np.linspace(0.0, 1.0, 101)
    m = claims.bootstrap(draws, 0.4, "spread", unit="nats")
    assert m.mean == 0.4 and m.interval == pytest.approx((0.025, 0.975))
    assert "bootstrap interval" in m.text() and "101 resamples" in m.text()
    assert claims.greater_than(0.05).judge(m)[0] == "not reproduced"
    assert claims.greater_than(0.0).judge(m)[0] == "reproduced"
    with pytest.raises(ValueError, match="resamples"):
        claims.bootstrap([0.3], 0.3, "spread")
    with pytest.raises(TypeError, match="estimate"):
        claims.bootstrap([0.3, 0.4], "x", "spread")


def test_runs_table_joins_the_runner_table_and_the_stamps(tmp_path):
    import json

    claims_dir = tmp_path / "claims"
    run = book.ChapterRun("notebooks/01_modulation", "quick", 9.6, 812.4, tmp_path / "x.ipynb")
    book.record_run(run, claims_dir)
    book.record_run(
        book.ChapterRun("notebooks/01_modulation", "quick", 10.4, 800.0, run.output), claims_dir
    )  # a rerun replaces the row
    (claims_dir / "stamps").mkdir()
    (claims_dir / "stamps" / "ch01.json").write_text(
        json.dumps(
            {
                "chapter": "ch01",
                "date": "2026-12-02 19:00 UTC",
                "mode": "quick",
                "device": "cpu",
                "torch": "2.9.1",
                "python": "3.11.7",
                "seed": 0,
                "seconds": 9.9,
            }
        )
    )
    rows = json.loads((claims_dir / book.RUNS_FILE).read_text())
    assert len(rows) == 1 and rows[0]["seconds"] == 10.4
    page = tmp_path / "runs.md"
    page.write_text(f"A\n{book.RUNS_MARK}\nB\n")
    text = book.fill_runs(page, claims_dir).read_text()
    assert (
        "| {doc}`1 </notebooks/01_modulation>` | quick | 0 | 10 | 800 | cpu | 2.9.1 | 2026-12-02"
        in text
    )
    assert "{doc}`9 </notebooks/09_frequency_attribution>` | not executed in this build" in text
    assert book.RUNS_MARK not in text
    with pytest.raises(RuntimeError, match="RUNS"):
        book.fill_runs(page, claims_dir)


def test_paired_bootstrap_two_way_over_draws_and_images():
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, (4, 300)).astype(float)
    # a constant paired difference: every resample equals it (pairing removes what is shared)
    m = claims.paired_bootstrap(a, a - 0.25, "gap", scale=100)
    assert m.mean == pytest.approx(25.0, abs=1e-12) and m.interval == pytest.approx((25.0, 25.0))
    # one draw: the bootstrap s.d. over images is the standard error sqrt(p(1-p)/n) of the mean
    # of Bernoulli differences; 4000 resamples estimate it within ~2.5 % (s.e. of an s.d.)
    d = (rng.random((1, 2000)) < 0.3).astype(float)
    m = claims.paired_bootstrap(d, np.zeros_like(d), "p", n_boot=4000, seed=1)
    p = d.mean()
    assert m.mean == pytest.approx(p, abs=1e-15)
    assert m.sd == pytest.approx(math.sqrt(p * (1 - p) / d.size), rel=0.1)
    # rows (draws) are resampled too: a draw-level offset widens the interval
    rows = np.arange(6)[:, None] * 0.1 + np.zeros((6, 500))
    wide = claims.paired_bootstrap(rows, np.zeros_like(rows), "draw offsets", seed=2)
    assert wide.sd == pytest.approx(np.std(np.arange(6) * 0.1) / math.sqrt(6), rel=0.15)
    with pytest.raises(ValueError, match="same shape"):
        claims.paired_bootstrap(a, a[:, :10], "bad")
    with pytest.raises(ValueError, match="finite"):
        claims.paired_bootstrap(a * np.nan, a, "bad")
