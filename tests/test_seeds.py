"""The notebook ``seed`` means something: another seed gives other seed-dependent numbers, and the
verdicts are recomputed from them (never carried over as text).

Runs chapter 1 (the cheapest chapter with seeded draws) once more with ``-p seed 1`` and compares
it with the session's book build (seed 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import book, claims

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "notebooks/01_modulation"


def glued(executed: Path) -> dict[str, str]:
    """Every value a notebook glued (myst-nb's scrapbook outputs): name -> text/plain."""
    nb = json.loads(executed.read_text())
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            book_ = o.get("metadata", {}).get("scrapbook", {})
            if book_.get("name"):
                key = f"{book_.get('mime_prefix', '')}text/plain"
                out[book_["name"]] = "".join(o.get("data", {}).get(key, ""))
    assert out and all(out.values()), f"{executed.name}: no glued text found"
    return out


@pytest.fixture(scope="module")
def seed1(book_build, tmp_path_factory):
    if CHAPTER not in book.chapters(ROOT):
        pytest.skip(f"{CHAPTER} is not in _toc.yml")
    out = tmp_path_factory.mktemp("seed1")
    run = book.execute_chapter(CHAPTER, "quick", out, ROOT, parameters={"seed": 1})
    return run.output, out / "claims" / "ch01.json"


def test_seed_changes_the_seed_dependent_numbers(book_build, seed1):
    base = ROOT / "_build" / "executed" / f"{CHAPTER}.ipynb"
    g0, g1 = glued(base), glued(seed1[0])
    assert g0.keys() == g1.keys(), "the same keys are glued under every seed"
    # the stamp ("verified": date, seed, seconds) always differs; it must not make this pass
    changed = [k for k in g0 if k != "verified" and g0[k] != g1[k]]
    assert changed, "seed 1 changed none of chapter 1's glued numbers"


def test_verdicts_are_recomputed_from_the_numbers_of_each_seed(book_build, seed1):
    runs = {0: ROOT / "_build" / "executed" / "claims" / "ch01.json", 1: seed1[1]}
    ledgers = {s: json.loads(p.read_text()) for s, p in runs.items()}
    assert [ledgers[s]["seed"] for s in (0, 1)] == [0, 1]
    ids = [[c["id"] for c in ledgers[s]["claims"]] for s in (0, 1)]
    assert ids[0] == ids[1] and ids[0], "both runs record the same claims"
    values = {s: [c["values"] for c in ledgers[s]["claims"]] for s in (0, 1)}
    assert values[0] != values[1], "the recorded measurements do not depend on the seed"
    for s in (0, 1):
        for c in claims.read_chapter(runs[s]):
            assert c.verdict.split(" (")[0] in claims.VERDICTS
            assert c.seeds and c.seeds[0] == s, f"{c.id} was measured with seeds {c.seeds}"
