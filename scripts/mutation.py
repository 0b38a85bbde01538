"""Mutation testing for the math and data helpers (``helpers/<module>.py`` against its tests).

A mutant is a copy of one helper module with one small, deliberate bug in it: ``+`` made ``-``,
``<`` made ``<=``, ``fftshift`` made ``ifftshift``, a ``raise`` deleted... The module's tests should
fail on it ("killed"); a mutant on which they still pass ("survived") points at behaviour that no
test pins down. The score is the share of mutants killed.

Usage (from the repository root, in the book's environment)::

    source scripts/env.sh && export CMT_DATA=/work/shared/data
    python scripts/mutation.py --modules signals --max-per-module 15   # a quick sample
    python scripts/mutation.py                                         # every mutant, all modules
    python scripts/mutation.py --list --modules pooling                # enumerate, run nothing
    python scripts/mutation.py --accepted scripts/mutation-accepted.yaml --report mutation.json \\
        --fail-under 80

Options: ``--modules`` (default: every module of ``MODULE_TESTS``: signals ... attacks, edition),
``--max-per-module N`` (a sample of N mutants per module, drawn with ``random.Random(seed)``),
``--seed S`` (default 0), ``--timeout T`` (seconds per mutant; default 10x the module's clean run,
at least 30 s), ``--report FILE`` (JSON with every mutant and its outcome), ``--accepted FILE``,
``--fail-under PCT``, ``--list``. The exit status is 0 unless ``--fail-under`` is given and the
overall score is below it (1), or the unmutated tests fail or the arguments are wrong (2).

Output: a per-module table (mutants, killed, survived, timed out, accepted, score %), the overall
score, the total wall time, and one line per survivor::

    signals.py:52  <= -> <    [compare, col 15]  if not 0.0 <= fc <= 0.5:

which says: on line 52, turning that ``<=`` into ``<`` left every test passing. Either write the
test that tells them apart, or, when the two really are equivalent (a tolerance that does not
matter, a branch that cannot be reached), accept the mutant: add an entry to the ``--accepted``
file (YAML or JSON, a list, or a mapping with an ``accepted`` list)::

    - {module: signals, scope: _check_fc, nth: 0, original: "<=", mutant: "<",
       reason: "fc = 0.5 is checked twice"}

``scope`` is the enclosing ``Class.function`` and ``nth`` the rank of the mutant among that
scope's mutants with the same ``original -> mutant`` (``--list`` prints both), so the entry does
not depend on line numbers; ``line`` (and ``col``) are accepted too, and ``--rekey`` rewrites such
entries as scope/nth ones. Accepted mutants are not run, are listed separately and are left out of
the score's denominator. An entry that matches no mutant is reported as stale (and
``tests/test_mutation_tool.py`` fails on it). Mark a line ``# pragma: no mutate`` to exclude it
altogether.

Design
------
*Mutator* (standard library only, so it is importable without torch; ``tests/test_mutation_tool.py``
checks it). :func:`enumerate_mutants` parses the source with :mod:`ast` and locates each operator
with :mod:`tokenize`; a mutant is a single edit of the ORIGINAL text (a token, a literal, a call's
name, a ``raise`` statement padded with newlines), so every line keeps its number and comments and
formatting survive. Operators: arithmetic swaps (``+ <-> -``, ``* <-> /``, ``/ <-> //``,
``** -> *``, also in ``+=`` and friends, and ``& <-> |`` for tensor masks), comparison swaps
(``< <-> <=``, ``> <-> >=``, ``== <-> !=``), ``and <-> or``, ``not`` removal, unary minus removal,
integer literals (``0 -> 1``, ``1 -> 0``, ``c -> c + 1``), float literals (``0.0 -> 1.0``,
``0.5 -> 0.25``, ``c -> 2 c``), ``True <-> False``, swapped function pairs in calls
(``fftshift/ifftshift``, ``fft/ifft``, ``rfft/irfft`` and their 2-D/n-D forms, ``min/max``,
``amin/amax``, ``minimum/maximum``, ``argmin/argmax``, ``floor/ceil``, ``mean/sum``),
``raise ... -> pass``, and ``return <value> -> return None`` for the final statement of a function
only (sparingly: such mutants are nearly always killed). Never mutated: string literals (so
docstrings and messages), f-strings, the exception of a ``raise`` and the message of an ``assert``
(error wording is not interesting), ``print``/``warnings.warn``/logging calls, type annotations, and
lines marked ``# pragma: no mutate``. Enumeration is deterministic (sorted by position); a sample is
the first N mutants, in ``random.Random(seed).shuffle`` order, that compile (mutants that do not
compile are discarded); it is then run in source order.

*Runner*. Re-importing torch for every mutant (what mutmut or cosmic-ray do) would cost seconds per
mutant, so the parent imports numpy, scipy, torch, pytest and the helpers (those under test, plus
``runtime`` and ``nets``, which their tests use) once -- and runs no torch computation, so no
OpenMP thread pool exists yet -- and then forks one child per mutant. The child puts itself in its
own process group, sends its output to /dev/null, calls ``torch.set_num_threads(1)``, compiles
nothing (the parent already did) but execs the mutated code into the EXISTING ``helpers.<module>``
object's ``__dict__`` (so ``from helpers import signals`` in a test, or ``from . import runtime`` in
another helper, sees the mutant), rebinds the names other helpers imported from it
(``from .spectra import _check_real``) to the mutated objects, runs ``pytest.main`` on the module's
test files with ``-x -q -p no:cacheprovider -p no:randomly``, and leaves with ``os._exit(code)``. A
non-zero code (failed test, error at import or collection, crash) means killed. The parent waits up
to the timeout and then kills the child's whole process group: "timed out" (an infinite loop is a
detected bug, so it counts as killed, but it is reported in its own column). Before any mutant,
every selected module's unmutated source goes through the same exec-and-pytest path; if that fails,
the run stops (exit 2) with the tests' output. One child runs at a time (the tests themselves are
single-threaded here). Per-mutant progress goes to stderr, the table and survivors to stdout.

Caveats: objects that other modules captured in containers at import time (a dict of functions)
keep pointing at the original; a helper edited on disk while the campaign runs is not noticed; the
tests of a module are the files in :data:`MODULE_TESTS`, so a mutant only killed by another
module's tests counts as a survivor.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import contextlib
import io
import json
import os
import random
import re
import sys
import time
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"

#: The test files run against each module's mutants.
MODULE_TESTS: dict[str, tuple[str, ...]] = {
    "signals": ("tests/test_signals.py",),
    "spectra": ("tests/test_spectra.py",),
    "layers": ("tests/test_layers.py", "tests/test_probes.py"),
    "pooling": ("tests/test_pooling.py",),
    "noise": ("tests/test_noise.py",),
    "volterra": ("tests/test_volterra.py",),
    "probes": ("tests/test_probes.py",),
    "data": ("tests/test_data.py", "tests/test_integrity.py"),
    "integrity": ("tests/test_integrity.py", "tests/test_data.py"),
    "postshift": ("tests/test_postshift.py",),
    "frequency": ("tests/test_frequency.py",),
    "attacks": ("tests/test_attacks.py",),
    "edition": ("tests/test_edition.py",),
    "teaching": ("tests/test_teaching.py",),
}
#: Helpers imported by the parent besides the ones under test (their tests import them).
PRELOAD_EXTRA = ("runtime", "nets")
#: Third-party modules imported once by the parent, when installed.
PRELOAD_THIRD_PARTY = (
    "numpy",
    "scipy",
    "scipy.stats",
    "scipy.signal",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "pytest",
    "soundfile",
    "yaml",
)

PRAGMA = "pragma: no mutate"
EXEC_FAILED = 98  # child exit code: the mutated module raised while being executed
CHILD_CRASHED = 99  # child exit code: the runner itself failed in the child

BINOP_SWAPS: dict[type, tuple[str, tuple[str, ...]]] = {
    ast.Add: ("+", ("-",)),
    ast.Sub: ("-", ("+",)),
    ast.Mult: ("*", ("/",)),
    ast.Div: ("/", ("*", "//")),
    ast.FloorDiv: ("//", ("/",)),
    ast.Pow: ("**", ("*",)),
    ast.BitAnd: ("&", ("|",)),
    ast.BitOr: ("|", ("&",)),
}
COMPARE_SWAPS: dict[type, tuple[str, str]] = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
}
_PAIRS = [
    ("fftshift", "ifftshift"),
    ("fft", "ifft"),
    ("rfft", "irfft"),
    ("fft2", "ifft2"),
    ("rfft2", "irfft2"),
    ("fftn", "ifftn"),
    ("rfftn", "irfftn"),
    ("min", "max"),
    ("amin", "amax"),
    ("minimum", "maximum"),
    ("argmin", "argmax"),
    ("floor", "ceil"),
    ("mean", "sum"),
]
FUNCTION_SWAPS: dict[str, str] = {**dict(_PAIRS), **{b: a for a, b in _PAIRS}}
#: Calls whose arguments are message text: never mutated.
_SILENT_NAMES = frozenset({"print", "warn"})
_SILENT_ATTRS = frozenset({"warn", "debug", "info", "warning", "error", "exception", "critical"})
_LOGGERS = frozenset({"warnings", "logging", "logger", "log", "_log", "_logger", "LOG", "LOGGER"})
_STRING_DUNDERS = frozenset({"__repr__", "__str__", "__format__"})


# ================================================================================================
# mutator (standard library only)
# ================================================================================================
@dataclass(frozen=True)
class Mutant:
    """One edit of a module's source.

    ``line``/``col`` (1-based line, 0-based character column) say where the edit starts in the
    original file; ``original -> mutant`` is what a developer reads (and what an accepted-mutant
    entry matches); ``start``/``end``/``replacement`` are the edit itself (``end`` exclusive).
    ``scope`` (the enclosing ``Class.function`` qualified name, ``<module>`` at top level) and
    ``nth`` (0-based rank among the mutants of that scope with the same ``original -> mutant``)
    locate it independently of line numbers, so an accepted entry keyed on them survives edits
    elsewhere in the file and reformatting.
    """

    module: str
    line: int
    col: int
    kind: str
    original: str
    mutant: str
    start: tuple[int, int]
    end: tuple[int, int]
    replacement: str
    scope: str = "<module>"
    nth: int = 0

    @property
    def where(self) -> str:
        return f"{self.module}.py:{self.line}"

    def describe(self) -> str:
        return f"{self.where}  {self.original} -> {self.mutant}"


def _abbrev(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_text(node: ast.AST) -> bool:
    """A string literal, an f-string, or a concatenation/%-format of one (message text)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _is_text(node.left) or _is_text(node.right)
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
    )


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_silent_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in _SILENT_NAMES
    if isinstance(func, ast.Attribute) and func.attr in _SILENT_ATTRS:
        return isinstance(func.value, ast.Name) and func.value.id in _LOGGERS
    return False


class _Collector:
    """Walks a module's AST and collects :class:`Mutant` edits located with tokenize."""

    def __init__(self, source: str, module: str):
        self.source = source
        self.module = module
        self.lines = source.split("\n")
        self.mutants: list[Mutant] = []
        self.tokens = []
        self.pragma_lines: set[int] = set()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and PRAGMA in tok.string:
                self.pragma_lines.add(tok.start[0])
            elif tok.type in (tokenize.OP, tokenize.NAME):
                self.tokens.append(tok)
        self.starts = [tok.start for tok in self.tokens]
        self.scopes: list[str] = []

    # -- positions -------------------------------------------------------------------------
    def _char(self, lineno: int, byte_col: int) -> tuple[int, int]:
        """ast positions count UTF-8 bytes; tokenize and our edits count characters."""
        line = self.lines[lineno - 1]
        return lineno, len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def _start(self, node: ast.AST) -> tuple[int, int]:
        return self._char(node.lineno, node.col_offset)

    def _end(self, node: ast.AST) -> tuple[int, int]:
        return self._char(node.end_lineno, node.end_col_offset)

    def _find(self, text: str, lo: tuple[int, int], hi: tuple[int, int]):
        """The first OP/NAME token spelled ``text`` lying within [lo, hi)."""
        i = bisect.bisect_left(self.starts, lo)
        while i < len(self.tokens) and self.tokens[i].end <= hi:
            if self.tokens[i].string == text:
                return self.tokens[i]
            i += 1
        return None

    def _at(self, pos: tuple[int, int]):
        i = bisect.bisect_left(self.starts, pos)
        return self.tokens[i] if i < len(self.tokens) and self.tokens[i].start == pos else None

    def _text(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        if start[0] == end[0]:
            return self.lines[start[0] - 1][start[1] : end[1]]
        parts = [self.lines[start[0] - 1][start[1] :]]
        parts += self.lines[start[0] : end[0] - 1]
        parts.append(self.lines[end[0] - 1][: end[1]])
        return "\n".join(parts)

    # -- emitting ----------------------------------------------------------------------------
    def _add(self, kind: str, start, end, replacement: str, original: str, mutant: str) -> None:
        if any(line in self.pragma_lines for line in range(start[0], end[0] + 1)):
            return
        # Keep the line count: a multi-line span becomes its replacement plus blank lines.
        replacement += "\n" * (end[0] - start[0])
        self.mutants.append(
            Mutant(
                self.module,
                start[0],
                start[1],
                kind,
                original,
                mutant,
                start,
                end,
                replacement,
                ".".join(self.scopes) or "<module>",
            )
        )

    def _token_swap(self, kind: str, tok, new: str) -> None:
        self._add(kind, tok.start, tok.end, new, tok.string, new)

    # -- traversal -----------------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.JoinedStr):
            return  # f-string: message text
        if isinstance(node, ast.Expr) and _is_text(node.value):
            return  # docstring or bare string
        if isinstance(node, ast.Raise):
            self._raise(node)
            return  # the exception and message: not mutated
        if isinstance(node, ast.Assert):
            self.visit(node.test)  # not the message
            return
        if isinstance(node, ast.Call) and _is_silent_call(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(node)
            return
        if isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *node.keywords]:
                self.visit(child)
            self.scopes.append(node.name)
            for stmt in node.body:
                self.visit(stmt)
            self.scopes.pop()
            return
        if isinstance(node, ast.AnnAssign):
            self.visit(node.target)
            if node.value is not None:
                self.visit(node.value)
            return
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is not None:
            handler(node)
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _function(self, node) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self.scopes.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        last = node.body[-1]
        if (
            isinstance(last, ast.Return)
            and last.value is not None
            and not (isinstance(last.value, ast.Constant) and last.value.value is None)
            and not _is_text(last.value)
            and node.name not in _STRING_DUNDERS
        ):
            start, end = self._start(last.value), self._end(last.value)
            self._add(
                "return",
                start,
                end,
                "None",
                "return " + _abbrev(self._text(start, end)),
                "return None",
            )
        self.scopes.pop()

    def _raise(self, node: ast.Raise) -> None:
        if node.exc is None:
            original = "raise"
        elif isinstance(node.exc, ast.Call):
            original = f"raise {_abbrev(ast.unparse(node.exc.func))}(...)"
        else:
            original = f"raise {_abbrev(ast.unparse(node.exc))}"
        self._add("raise", self._start(node), self._end(node), "pass", original, "pass")

    def _BinOp(self, node: ast.BinOp) -> None:
        swap = BINOP_SWAPS.get(type(node.op))
        if swap is None or _is_text(node.left) or _is_text(node.right):
            return
        tok = self._find(swap[0], self._end(node.left), self._start(node.right))
        if tok is not None:
            for new in swap[1]:
                self._token_swap("arith", tok, new)

    def _AugAssign(self, node: ast.AugAssign) -> None:
        swap = BINOP_SWAPS.get(type(node.op))
        if swap is None or _is_text(node.value):
            return
        tok = self._find(swap[0] + "=", self._end(node.target), self._start(node.value))
        if tok is not None:
            for new in swap[1]:
                self._token_swap("arith", tok, new + "=")

    def _Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            swap = COMPARE_SWAPS.get(type(op))
            if swap is None:
                continue
            tok = self._find(swap[0], self._end(left), self._start(right))
            if tok is not None:
                self._token_swap("compare", tok, swap[1])

    def _BoolOp(self, node: ast.BoolOp) -> None:
        word, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        for left, right in zip(node.values, node.values[1:], strict=False):
            tok = self._find(word, self._end(left), self._start(right))
            if tok is not None:
                self._token_swap("boolean", tok, new)

    def _UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            word, kind = "not", "not"
        elif isinstance(node.op, ast.USub):
            word, kind = "-", "negation"
        else:
            return
        tok = self._at(self._start(node))
        if tok is None or tok.string != word:
            return
        # Delete the operator and the blanks after it, up to the operand (or its parenthesis).
        line = self.lines[tok.end[0] - 1]
        stop = tok.end[1]
        while stop < len(line) and line[stop] in " \t":
            stop += 1
        operand = self._text(self._start(node.operand), self._end(node.operand))
        shown = _abbrev(self._text(self._start(node), self._end(node)))
        self._add(kind, tok.start, (tok.end[0], stop), "", shown, _abbrev(operand))

    def _Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            new = repr(not value)
        elif isinstance(value, int):
            new = repr(1 if value == 0 else 0 if value == 1 else value + 1)
        elif isinstance(value, float):
            new = repr(1.0 if value == 0.0 else 0.25 if value == 0.5 else value * 2)
        else:
            return  # str, bytes, None, Ellipsis, complex
        start, end = self._start(node), self._end(node)
        if start[0] != end[0]:
            return
        self._add("constant", start, end, new, self._text(start, end), new)

    def _Call(self, node: ast.Call) -> None:
        name = _call_name(node.func)
        new = FUNCTION_SWAPS.get(name) if name else None
        if new is None:
            return
        end = self._end(node.func)
        start = (end[0], end[1] - len(name))
        if self._text(start, end) != name:
            return
        self._add("function", start, end, new, name, new)


def enumerate_mutants(source: str, module: str = "module") -> list[Mutant]:
    """Every mutant of ``source``, deterministically ordered by position (see the module doc)."""
    collector = _Collector(source, module)
    collector.visit(ast.parse(source))
    unique: dict[tuple, Mutant] = {}
    for m in collector.mutants:
        unique.setdefault((m.start, m.end, m.replacement), m)
    ordered = sorted(unique.values(), key=lambda m: (m.start, m.end, m.kind, m.replacement))
    rank: dict[tuple, int] = {}
    out = []
    for m in ordered:
        key = (m.scope, m.original, m.mutant)
        out.append(replace(m, nth=rank.get(key, 0)))
        rank[key] = rank.get(key, 0) + 1
    return out


def apply_mutant(source: str, mutant: Mutant) -> str:
    """``source`` with the mutant's edit made (same number of lines)."""
    offsets = [0]
    for line in source.split("\n")[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    a = offsets[mutant.start[0] - 1] + mutant.start[1]
    b = offsets[mutant.end[0] - 1] + mutant.end[1]
    return source[:a] + mutant.replacement + source[b:]


def compiles(source: str, filename: str = "<mutant>"):
    """The code object of ``source``, or None when it does not compile."""
    try:
        return compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def select_mutants(
    mutants: Sequence[Mutant], limit: int | None, seed: int, valid: Callable[[Mutant], bool]
) -> tuple[list[Mutant], int]:
    """(up to ``limit`` valid mutants in source order, number of invalid ones seen).

    Without a limit every valid mutant is taken. With one, the mutants are shuffled with
    ``random.Random(seed)`` and the first ``limit`` valid ones are kept, so the sample depends only
    on the seed and the module's source.
    """
    order = list(mutants)
    if limit is not None:
        random.Random(seed).shuffle(order)
    chosen, invalid = [], 0
    for m in order:
        if limit is not None and len(chosen) >= limit:
            break
        if valid(m):
            chosen.append(m)
        else:
            invalid += 1
    return sorted(chosen, key=lambda m: (m.start, m.end, m.kind, m.replacement)), invalid


# ================================================================================================
# accepted (equivalent or harmless) mutants
# ================================================================================================
def load_accepted(path: Path) -> list[dict]:
    """Entries ``{module, original, mutant, reason}`` with either ``scope`` (and ``nth``, default 0:
    see :class:`Mutant`) or ``line`` (and ``col``), from a YAML or JSON file."""
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            import yaml

            data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("accepted", [])
    if data is None:
        data = []
    if not isinstance(data, list):
        raise TypeError(f"{path}: expected a list of accepted mutants, got {type(data).__name__}")
    entries = []
    for i, entry in enumerate(data):
        where = "scope" if isinstance(entry, dict) and "scope" in entry else "line"
        missing = [
            k
            for k in ("module", where, "original", "mutant", "reason")
            if not isinstance(entry, dict) or entry.get(k) in (None, "")
        ]
        if missing:
            raise ValueError(f"{path}: entry {i} lacks {', '.join(missing)}: {entry!r}")
        module = re.sub(r"\.py$", "", str(entry["module"]).strip()).split("/")[-1]
        located = (
            {"scope": str(entry["scope"]).strip(), "nth": int(entry.get("nth", 0))}
            if where == "scope"
            else {"line": int(entry["line"])}
        )
        entries.append(
            {
                **entry,
                "module": module,
                **located,
                "original": str(entry["original"]).strip(),
                "mutant": str(entry["mutant"]).strip(),
            }
        )
    return entries


def accepted_entry(mutant: Mutant, entries: Iterable[dict]) -> dict | None:
    for e in entries:
        if (
            e["module"] != mutant.module
            or e["original"] != mutant.original
            or e["mutant"] != mutant.mutant
        ):
            continue
        if "scope" in e:
            if e["scope"] == mutant.scope and e["nth"] == mutant.nth:
                return e
        elif e["line"] == mutant.line and ("col" not in e or int(e["col"]) == mutant.col):
            return e
    return None


def rekey_accepted(path: Path) -> int:
    """Rewrite the accepted file with every entry keyed on ``scope``/``nth`` instead of
    ``line``/``col`` (run before reformatting a module); returns the number of entries rekeyed.
    Raises ValueError naming any entry that matches no mutant of the current source."""
    import yaml

    entries = load_accepted(path)
    mutants = {
        m: enumerate_mutants((HELPERS / f"{m}.py").read_text(), m)
        for m in {e["module"] for e in entries}
    }
    out, changed = [], 0
    for e in entries:
        hit = [m for m in mutants[e["module"]] if accepted_entry(m, [e]) is e]
        if not hit:
            where = e.get("scope", e.get("line"))
            raise ValueError(
                f"{path}: accepted entry {e['module']}:{where} "
                f"{e['original']} -> {e['mutant']} matches no mutant"
            )
        m = hit[0]
        changed += "scope" not in e
        out.append(
            {
                "module": e["module"],
                "scope": m.scope,
                "nth": m.nth,
                "original": e["original"],
                "mutant": e["mutant"],
                "reason": e["reason"],
            }
        )
    header = [ln for ln in path.read_text().splitlines() if ln.startswith("#")]
    body = yaml.safe_dump(out, sort_keys=False, width=100, allow_unicode=True)
    path.write_text("\n".join(header) + "\n" + body)
    return changed


# ================================================================================================
# runner (fork per mutant)
# ================================================================================================
def _preload(modules: Sequence[str]) -> None:
    """Import the heavy modules once, before any fork, without running torch computations."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("CMT_MODE", "quick")
    shared = ROOT.parent / "shared" / "data"
    if "CMT_DATA" not in os.environ and shared.is_dir():
        os.environ["CMT_DATA"] = str(shared)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import importlib

    for name in PRELOAD_THIRD_PARTY:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    for name in [*modules, *PRELOAD_EXTRA]:
        importlib.import_module(f"helpers.{name}")


def _install(module: str, code) -> None:
    """Exec ``code`` into the live ``helpers.<module>`` and rebind what other helpers imported."""
    mod = sys.modules[f"helpers.{module}"]
    old = dict(mod.__dict__)
    exec(code, mod.__dict__)  # noqa: S102 -- running the mutant is the point
    owned = {
        id(v): k
        for k, v in old.items()
        if getattr(v, "__module__", None) == mod.__name__ and callable(v)
    }
    for other in list(sys.modules.values()):
        name = getattr(other, "__name__", "") or ""
        if other is mod or not (name == "helpers" or name.startswith("helpers.")):
            continue
        for attr, value in list(vars(other).items()):
            key = owned.get(id(value))
            if key is not None and old[key] is value and key in mod.__dict__:
                setattr(other, attr, mod.__dict__[key])


def _child(module: str, code, tests: Sequence[str], log: str) -> None:
    """Body of a forked child: never returns."""
    status = CHILD_CRASHED
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        sys.dont_write_bytecode = True
        import pytest
        import torch

        torch.set_num_threads(1)
        try:
            _install(module, code)
        except BaseException:  # noqa: BLE001 -- any error executing the mutant kills it
            import traceback

            traceback.print_exc()
            status = EXEC_FAILED
        else:
            status = int(
                pytest.main(
                    [
                        *(str(ROOT / t) for t in tests),
                        "-x",
                        "-q",
                        "-p",
                        "no:cacheprovider",
                        "-p",
                        "no:randomly",
                    ]
                )
            )
    except BaseException:  # noqa: BLE001 -- logged; exit CHILD_CRASHED
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def _kill_group(pid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_forked(
    module: str, code, tests: Sequence[str], timeout: float | None, log: str = os.devnull
) -> tuple[str, int | None, float]:
    """Run the tests against ``code`` in a child: (outcome, exit code, seconds).

    outcome: "passed" (exit 0), "failed" (any other exit) or "timeout" (killed by us).
    """
    import select

    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(module, code, tests, log)
    with contextlib.suppress(PermissionError, ProcessLookupError):
        os.setpgid(pid, pid)  # (the child does it too: no race)
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                _kill_group(pid)  # stray grandchildren, if any
                code_ = os.waitstatus_to_exitcode(status)
                return ("passed" if code_ == 0 else "failed"), code_, time.monotonic() - t0
            left = None if timeout is None else timeout - (time.monotonic() - t0)
            if left is not None and left <= 0:
                _kill_group(pid)
                os.waitpid(pid, 0)
                return "timeout", None, time.monotonic() - t0
            if pidfd is not None:
                select.select([pidfd], [], [], left)  # readable once the child has exited
            else:
                time.sleep(0.05 if left is None else min(left, 0.05))
    except BaseException:
        _kill_group(pid)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        raise
    finally:
        if pidfd is not None:
            os.close(pidfd)


# ================================================================================================
# command line
# ================================================================================================
@dataclass
class Result:
    mutant: Mutant
    status: str  # killed | survived | timeout
    seconds: float
    exit_code: int | None


def _summary_line(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip("= ") if lines else ""


def _score(killed: int, timeout: int, total: int) -> str:
    return f"{100.0 * (killed + timeout) / total:.1f}" if total else "n/a"


def _context(sources: dict[str, str], m: Mutant) -> str:
    return _abbrev(sources[m.module].split("\n")[m.line - 1].strip(), 70)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--modules",
        nargs="+",
        default=list(MODULE_TESTS),
        choices=list(MODULE_TESTS),
        metavar="MODULE",
        help=f"helpers to mutate (default: {' '.join(MODULE_TESTS)})",
    )
    p.add_argument(
        "--max-per-module",
        type=int,
        default=None,
        metavar="N",
        help="run a seeded sample of N mutants per module (default: all)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="T",
        help="seconds per mutant (default: 10x the clean run, at least 30)",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="FILE",
        help="write every mutant and its outcome as JSON",
    )
    p.add_argument(
        "--accepted",
        type=Path,
        default=None,
        metavar="FILE",
        help="YAML/JSON list of accepted (equivalent or harmless) mutants",
    )
    p.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="PCT",
        help="exit 1 when the overall score is below PCT",
    )
    p.add_argument(
        "--lines",
        type=int,
        nargs="+",
        default=None,
        metavar="LINE",
        help="only the mutants on these source lines (all of them, no sampling): "
        "re-check survivors after writing the tests that should kill them",
    )
    p.add_argument(
        "--rekey",
        action="store_true",
        help="rewrite the --accepted file keyed on scope/nth (layout-free) and exit",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="print the selected mutants and exit without running anything",
    )
    args = p.parse_args(argv)
    if args.max_per_module is not None and args.max_per_module < 1:
        p.error("--max-per-module must be >= 1")
    if args.timeout is not None and args.timeout <= 0:
        p.error("--timeout must be > 0")
    args.modules = list(dict.fromkeys(args.modules))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wall0 = time.monotonic()
    os.chdir(ROOT)
    try:
        if args.rekey:
            if not args.accepted:
                print("mutation: --rekey needs --accepted FILE", file=sys.stderr)
                return 2
            print(f"mutation: rekeyed {rekey_accepted(args.accepted)} entries of {args.accepted}")
            return 0
        entries = load_accepted(args.accepted) if args.accepted else []
    except (OSError, ValueError, TypeError) as exc:
        print(f"mutation: cannot read --accepted: {exc}", file=sys.stderr)
        return 2

    # ---- enumerate and sample (standard library only) ----
    sources: dict[str, str] = {}
    plans: dict[str, list[Mutant]] = {}
    accepted: list[tuple[Mutant, dict]] = []
    discarded: dict[str, int] = {}
    used_entries: set[int] = set()
    for module in args.modules:
        path = HELPERS / f"{module}.py"
        sources[module] = source = path.read_text()
        pool = []
        for m in enumerate_mutants(source, module):
            entry = accepted_entry(m, entries)
            if entry is None:
                pool.append(m)
            else:
                accepted.append((m, entry))
                used_entries.add(id(entry))
        if args.lines:
            pool = [m for m in pool if m.line in set(args.lines)]
        plans[module], discarded[module] = select_mutants(
            pool,
            None if args.lines else args.max_per_module,
            args.seed,
            lambda m, s=source, f=str(path): compiles(apply_mutant(s, m), f) is not None,
        )
    stale = [e for e in entries if id(e) not in used_entries and e["module"] in args.modules]

    if args.list:
        for module in args.modules:
            print(
                f"{module}: {len(plans[module])} mutants selected, "
                f"{discarded[module]} discarded (do not compile)"
            )
            for m in plans[module]:
                print(
                    f"  {m.describe():<44} [{m.kind}, col {m.col}, {m.scope}#{m.nth}]  "
                    f"{_context(sources, m)}"
                )
        for m, entry in accepted:
            print(f"accepted: {m.describe():<44} {entry['reason']}")
        for e in stale:
            print(
                f"stale accepted entry: {e['module']}.py:{e.get('scope', e.get('line'))}  "
                f"{e['original']} -> {e['mutant']}"
            )
        return 0

    # ---- import once, then check the unmutated tests ----
    print(f"mutation: importing torch and helpers ({', '.join(args.modules)}) ...", flush=True)
    _preload(args.modules)
    import tempfile

    results: dict[str, list[Result]] = {m: [] for m in args.modules}
    timeouts: dict[str, float] = {}
    clean_s: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="cmt-mutation-") as tmp:
        for module in args.modules:
            log = Path(tmp) / f"clean-{module}.log"
            path = HELPERS / f"{module}.py"
            outcome, code, secs = run_forked(
                module,
                compiles(sources[module], str(path)),
                MODULE_TESTS[module],
                timeout=None,
                log=str(log),
            )
            if outcome != "passed":
                print(
                    f"\nmutation: ABORT -- the unmutated tests of {module} "
                    f"({' '.join(MODULE_TESTS[module])}) fail (exit {code}); fix them first. "
                    f"Their output:\n",
                    file=sys.stderr,
                )
                text = log.read_text(errors="replace")
                print(text[-6000:], file=sys.stderr)
                return 2
            clean_s[module] = secs
            timeouts[module] = args.timeout or max(30.0, 10.0 * secs)
            print(
                f"mutation: clean {module}: {_summary_line(log)} ({secs:.1f} s with fork); "
                f"{len(plans[module])} mutants, timeout {timeouts[module]:.0f} s",
                flush=True,
            )

    # ---- the mutants ----
    interrupted = False
    try:
        for module in args.modules:
            path = str(HELPERS / f"{module}.py")
            total = len(plans[module])
            for i, m in enumerate(plans[module], 1):
                code = compiles(apply_mutant(sources[module], m), path)
                outcome, exit_code, secs = run_forked(
                    module, code, MODULE_TESTS[module], timeout=timeouts[module]
                )
                status = {"passed": "survived", "failed": "killed"}.get(outcome, outcome)
                results[module].append(Result(m, status, secs, exit_code))
                print(
                    f"  [{module} {i:>{len(str(total))}}/{total}] {status:<8} {secs:6.1f} s  "
                    f"{m.describe()}",
                    file=sys.stderr,
                    flush=True,
                )
    except KeyboardInterrupt:
        interrupted = True
        print("\nmutation: interrupted; partial results follow", file=sys.stderr)

    # ---- report ----
    accepted_by_module: dict[str, int] = {}
    for m, _ in accepted:
        accepted_by_module[m.module] = accepted_by_module.get(m.module, 0) + 1
    header = (
        f"{'module':<10} {'mutants':>7} {'killed':>7} {'survived':>8} {'timed out':>9} "
        f"{'accepted':>8} {'score %':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    tot = {"mutants": 0, "killed": 0, "survived": 0, "timeout": 0, "accepted": 0}
    per_module = {}
    for module in args.modules:
        rs = results[module]
        row = {
            "mutants": len(rs),
            "killed": sum(r.status == "killed" for r in rs),
            "survived": sum(r.status == "survived" for r in rs),
            "timeout": sum(r.status == "timeout" for r in rs),
            "accepted": accepted_by_module.get(module, 0),
        }
        for k in tot:
            tot[k] += row[k]
        row["score"] = _score(row["killed"], row["timeout"], row["mutants"])
        per_module[module] = {
            **row,
            "discarded": discarded[module],
            "clean_seconds": round(clean_s.get(module, 0.0), 2),
            "timeout_seconds": timeouts.get(module),
        }
        print(
            f"{module:<10} {row['mutants']:>7} {row['killed']:>7} {row['survived']:>8} "
            f"{row['timeout']:>9} {row['accepted']:>8} {row['score']:>7}"
        )
    overall = _score(tot["killed"], tot["timeout"], tot["mutants"])
    print("-" * len(header))
    print(
        f"{'overall':<10} {tot['mutants']:>7} {tot['killed']:>7} {tot['survived']:>8} "
        f"{tot['timeout']:>9} {tot['accepted']:>8} {overall:>7}"
    )
    n_disc = sum(discarded.values())
    if n_disc:
        print(f"({n_disc} mutants discarded because they do not compile)")

    survivors = [r for module in args.modules for r in results[module] if r.status == "survived"]
    if survivors:
        print(f"\nsurvivors ({len(survivors)}): write a test that tells each apart, or accept it")
        for r in survivors:
            m = r.mutant
            print(f"  {m.describe():<44} [{m.kind}, col {m.col}]  {_context(sources, m)}")
    timed = [r for module in args.modules for r in results[module] if r.status == "timeout"]
    if timed:
        print(f"\ntimed out ({len(timed)}; counted as killed):")
        for r in timed:
            print(f"  {r.mutant.describe()}")
    if accepted:
        print(f"\naccepted, not run, not scored ({len(accepted)}):")
        for m, entry in accepted:
            print(f"  {m.describe():<44} {entry['reason']}")
    if stale:
        print(f"\nwarning: {len(stale)} accepted entries match no mutant (line moved?):")
        for e in stale:
            print(
                f"  {e['module']}.py:{e.get('scope', e.get('line'))}  "
                f"{e['original']} -> {e['mutant']}"
            )
    wall = time.monotonic() - wall0
    print(
        f"\noverall mutation score: {overall} % ({tot['killed']} killed + {tot['timeout']} timed "
        f"out of {tot['mutants']}); wall time {wall:.1f} s"
        + (" [interrupted]" if interrupted else "")
    )

    if args.report:
        report = {
            "seed": args.seed,
            "max_per_module": args.max_per_module,
            "modules": per_module,
            "overall": {**tot, "score": overall},
            "wall_seconds": round(wall, 1),
            "interrupted": interrupted,
            "mutants": [
                {
                    **{
                        k: v
                        for k, v in asdict(r.mutant).items()
                        if k in ("module", "line", "col", "kind", "original", "mutant")
                    },
                    "status": r.status,
                    "seconds": round(r.seconds, 2),
                    "exit_code": r.exit_code,
                    "context": _context(sources, r.mutant),
                }
                for module in args.modules
                for r in results[module]
            ],
            "accepted": [
                {
                    "module": m.module,
                    "line": m.line,
                    "col": m.col,
                    "original": m.original,
                    "mutant": m.mutant,
                    "reason": e["reason"],
                }
                for m, e in accepted
            ],
            "stale_accepted": stale,
        }
        args.report.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"report written to {args.report}")

    if (
        args.fail_under is not None
        and tot["mutants"]
        and 100.0 * (tot["killed"] + tot["timeout"]) / tot["mutants"] < args.fail_under
    ):
        print(
            f"mutation: score {overall} % is below --fail-under {args.fail_under:g}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
