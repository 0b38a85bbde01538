"""scripts/mutation.py: the mutator on a tiny synthetic source (standard library only, no torch)."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mutation.py"

SOURCE = '''"""Module docstring with code-like text: a + b, x < 1, raise ValueError."""
import math


def add(a, b: int = 2) -> list[int]:
    """Docstring: 3 * 4 and not x."""
    return a + b


def check(x):
    if not 0 <= x < 0.5:
        raise ValueError(f"x must be in [0, 0.5), got {x + 1}")
    y = -x * 2.0  # pragma: no mutate
    z = x ** 2 if x > 1 and x != 3 else math.floor(x)
    return z / 3


def message():
    return "a" + "b"
'''


@pytest.fixture(scope="module")
def mut():
    spec = importlib.util.spec_from_file_location("cmt_mutation_tool", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def mutants(mut):
    return mut.enumerate_mutants(SOURCE, "toy")


def find(mutants, line, original, mutant):
    return [m for m in mutants if (m.line, m.original, m.mutant) == (line, original, mutant)]


def test_add_becomes_sub_at_its_line(mut, mutants):
    (m,) = find(mutants, 7, "+", "-")
    assert m.kind == "arith" and m.module == "toy" and m.describe() == "toy.py:7  + -> -"
    out = mut.apply_mutant(SOURCE, m).split("\n")
    assert out[6] == "    return a - b"
    assert out[:6] == SOURCE.split("\n")[:6] and out[7:] == SOURCE.split("\n")[7:]


def test_classic_operators_are_there(mutants):
    got = {(m.line, m.original, m.mutant) for m in mutants}
    for expected in [
        (11, "<=", "<"),
        (11, "<", "<="),
        (11, "0", "1"),
        (11, "0.5", "0.25"),
        (11, "not 0 <= x < 0.5", "0 <= x < 0.5"),
        (14, "**", "*"),
        (14, ">", ">="),
        (14, "and", "or"),
        (14, "!=", "=="),
        (14, "3", "4"),
        (14, "floor", "ceil"),
        (15, "/", "*"),
        (15, "/", "//"),
        (5, "2", "3"),  # a default value is code, its annotation is not
        (15, "return z / 3", "return None"),
    ]:
        assert expected in got, expected


def test_docstrings_messages_annotations_and_pragma_are_skipped(mutants):
    lines = {m.line for m in mutants}
    assert not lines & {1, 6}  # docstrings
    assert [m.kind for m in mutants if m.line == 12] == ["raise"]  # f-string message untouched
    assert 13 not in lines  # pragma: no mutate
    assert not any(m.line == 5 and m.original in ("int", "list") for m in mutants)
    assert not any(m.line == 19 for m in mutants)  # string concatenation and its return


def test_raise_deletion(mut, mutants):
    (m,) = find(mutants, 12, "raise ValueError(...)", "pass")
    out = mut.apply_mutant(SOURCE, m)
    assert out.split("\n")[11] == "        pass"
    ns: dict = {}
    exec(compile(out, "<toy>", "exec"), ns)  # noqa: S102
    assert ns["check"](-1.0) == -1 / 3  # out of range, but no error any more


def test_every_mutant_compiles_keeps_lines_and_changes_the_code(mut, mutants):
    base = ast.dump(ast.parse(SOURCE))
    for m in mutants:
        out = mut.apply_mutant(SOURCE, m)
        assert out.count("\n") == SOURCE.count("\n"), m
        assert mut.compiles(out) is not None, m
        assert ast.dump(ast.parse(out)) != base, m


def test_multiline_raise_keeps_line_numbers(mut):
    src = (
        "def f(x):\n    if x:\n        raise ValueError(\n"
        "            'long'\n            'msg')\n    return x\n"
    )
    (m,) = [m for m in mut.enumerate_mutants(src) if m.kind == "raise"]
    out = mut.apply_mutant(src, m)
    assert out.count("\n") == src.count("\n") and out.split("\n")[5] == "    return x"
    assert mut.compiles(out) is not None


def test_enumeration_and_sampling_are_deterministic(mut, mutants):
    again = mut.enumerate_mutants(SOURCE, "toy")
    assert again == mutants
    assert [(m.line, m.col) for m in mutants] == sorted((m.line, m.col) for m in mutants)
    a, _ = mut.select_mutants(mutants, 5, seed=3, valid=lambda m: True)
    assert len(a) == 5 and a == mut.select_mutants(mutants, 5, seed=3, valid=lambda m: True)[0]
    assert a != mut.select_mutants(mutants, 5, seed=4, valid=lambda m: True)[0]
    everything, invalid = mut.select_mutants(mutants, None, seed=0, valid=lambda m: m.line != 7)
    on_7 = sum(m.line == 7 for m in mutants)
    assert on_7 == 2 and invalid == on_7 and len(everything) == len(mutants) - on_7


def test_accepted_entries_match(mut, mutants, tmp_path):
    path = tmp_path / "accepted.json"
    path.write_text(
        '[{"module": "toy.py", "line": 7, "original": "+", "mutant": "-", "reason": "demo"}]'
    )
    (entry,) = mut.load_accepted(path)
    (m,) = find(mutants, 7, "+", "-")
    assert mut.accepted_entry(m, [entry]) is entry
    assert mut.accepted_entry(find(mutants, 15, "/", "*")[0], [entry]) is None
    path.write_text('[{"module": "toy", "line": 7, "original": "+", "mutant": "-"}]')
    with pytest.raises(ValueError, match="reason"):
        mut.load_accepted(path)


def test_scope_and_nth_locate_a_mutant_independently_of_lines(mut, mutants, tmp_path):
    """An entry keyed on scope/nth still matches after lines are inserted above and the function
    is reformatted; nth counts the same original -> mutant within one scope."""
    (m,) = find(mutants, 7, "+", "-")
    assert (m.scope, m.nth) == ("add", 0)
    lt = [x for x in mutants if x.scope == "check" and (x.original, x.mutant) == ("<", "<=")]
    assert [x.nth for x in lt] == list(range(len(lt))) and len(lt) >= 1
    path = tmp_path / "accepted.yaml"
    path.write_text("- {module: toy, scope: add, nth: 0, original: '+', mutant: '-', reason: r}\n")
    (entry,) = mut.load_accepted(path)
    moved = mut.enumerate_mutants(
        "X = 1\n\n\n" + SOURCE.replace("    return a + b", "    return (\n        a + b\n    )"),
        "toy",
    )
    hits = [x for x in moved if mut.accepted_entry(x, [entry]) is entry]
    assert len(hits) == 1 and hits[0].line == 11
    other = [x for x in moved if x.scope == "check" and x.original == "<"]
    assert other and all(mut.accepted_entry(x, [entry]) is None for x in other)


def test_rekey_turns_line_entries_into_scope_entries(mut, tmp_path, monkeypatch):
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "toy.py").write_text(SOURCE)
    monkeypatch.setattr(mut, "HELPERS", helpers)
    path = tmp_path / "accepted.yaml"
    path.write_text(
        "# header kept\n- {module: toy, line: 7, original: '+', mutant: '-', reason: demo}\n"
    )
    assert mut.rekey_accepted(path) == 1
    text = path.read_text()
    assert text.startswith("# header kept\n") and "scope: add" in text and "line:" not in text
    (entry,) = mut.load_accepted(path)
    assert entry["scope"] == "add" and entry["nth"] == 0 and entry["reason"] == "demo"
    path.write_text("- {module: toy, line: 99, original: '+', mutant: '-', reason: demo}\n")
    with pytest.raises(ValueError, match="matches no mutant"):
        mut.rekey_accepted(path)


def test_every_accepted_entry_of_the_repository_matches_a_mutant(mut):
    """scripts/mutation_accepted.yaml goes stale when the code it describes changes: fail then,
    so the entry is re-examined instead of silently accepting nothing (or something else)."""
    entries = mut.load_accepted(SCRIPT.parent / "mutation_accepted.yaml")
    by_module = {}
    for e in entries:
        if e["module"] not in by_module:
            by_module[e["module"]] = mut.enumerate_mutants(
                (mut.HELPERS / f"{e['module']}.py").read_text(), e["module"]
            )
    stale = [
        f"{e['module']}:{e.get('scope', e.get('line'))} {e['original']} -> {e['mutant']}"
        for e in entries
        if not any(mut.accepted_entry(m, [e]) is e for m in by_module[e["module"]])
    ]
    assert not stale, f"stale entries in scripts/mutation_accepted.yaml: {stale}"
