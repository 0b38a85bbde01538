"""The package's layout rules, checked statically (``ast``, nothing is imported or run):

* one check module: argument checks are written once, in ``helpers/checks.py``; no other module
  raises TypeError/ValueError under an inline ``isinstance(..., bool / numbers.Integral /
  numbers.Real / int / float / np.integer)`` test, and no private ``_check_*`` function raises
  TypeError itself (a domain check such as ``noise._check_alpha`` builds on ``checks.*``);
* layering: the math modules import nothing from the training, model, book, claims, data or
  runtime layers, and ``checks`` imports nothing from ``helpers`` at all.

Each rule's scanner is also run on a planted violation, so a scanner that finds nothing cannot pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "helpers"

# Files owned by other work in progress today (the nets package, the train rewrite, the spectra /
# probes / plotting work); the integrator empties this set once those land, so every module is
# scanned. Paths are relative to helpers/; a folder name excludes everything under it.
EXCLUDED: set[str] = set()

#: The math layer (what a chapter computes), and what it must not depend on.
MATH_MODULES = (
    "checks",
    "spectra",
    "signals",
    "layers",
    "pooling",
    "noise",
    "volterra",
    "postshift",
    "frequency",
)
FORBIDDEN_FOR_MATH = (
    "helpers.train",
    "helpers.models",
    "helpers.nets",
    "helpers.book",
    "helpers.claims",
    "helpers.data",
    "helpers.runtime",
)

# isinstance targets that mark an inline scalar type check
_SCALAR_TYPES = {
    "bool",
    "int",
    "float",
    "numbers.Integral",
    "numbers.Real",
    "numbers.Number",
    "np.integer",
    "np.bool_",
    "np.floating",
    "numpy.integer",
    "numpy.bool_",
}


def _scanned_files() -> list[Path]:
    out = []
    for path in sorted(HELPERS.rglob("*.py")):
        rel = path.relative_to(HELPERS)
        if (
            rel.as_posix() == "checks.py"
            or rel.as_posix() in EXCLUDED
            or any(part in EXCLUDED for part in rel.parts[:-1])
        ):
            continue
        out.append(path)
    return out


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _scalar_isinstance(test: ast.AST) -> bool:
    """Whether ``test`` holds ``isinstance(x, T)`` with T (or one of a tuple T) a scalar type."""
    for node in ast.walk(test):
        if (
            isinstance(node, ast.Call)
            and _dotted(node.func) == "isinstance"
            and len(node.args) == 2
        ):
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(_dotted(k) in _SCALAR_TYPES for k in kinds):
                return True
    return False


def _raised(node: ast.Raise) -> str:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return _dotted(exc) if exc is not None else ""


def inline_scalar_checks(source: str, filename: str = "<source>") -> list[str]:
    """``file:line`` of every ``raise TypeError/ValueError`` directly under an ``if`` whose test is
    a scalar ``isinstance`` check, and of every ``_check_*`` function that raises TypeError."""
    tree = ast.parse(source, filename)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _scalar_isinstance(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.Raise) and _raised(stmt) in ("TypeError", "ValueError"):
                    found.append(f"{filename}:{stmt.lineno}: inline {_raised(stmt)} check")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "_check_"
        ):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Raise) and _raised(sub) == "TypeError":
                    found.append(
                        f"{filename}:{sub.lineno}: {node.name} raises TypeError itself "
                        f"(use helpers.checks)"
                    )
    return found


def helpers_imports(source: str, module: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, helpers.X)`` for every import of a helpers module in ``source`` (module level and
    inside functions), relative imports resolved against ``helpers.<module>``."""
    tree = ast.parse(source, filename)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [
                (node.lineno, a.name)
                for a in node.names
                if a.name == "helpers" or a.name.startswith("helpers.")
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["helpers", *module.split(".")[:-1]]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                pkg = ".".join(base + ([node.module] if node.module else []))
            else:
                pkg = node.module or ""
            if pkg != "helpers" and not pkg.startswith("helpers."):
                continue
            if node.module is None or pkg == "helpers":  # from . import x, from helpers import x
                out += [(node.lineno, f"{pkg}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, pkg))
    return out


def layering_violations(source: str, module: str, filename: str = "<source>") -> list[str]:
    forbidden = ("helpers",) if module == "checks" else FORBIDDEN_FOR_MATH
    bad = []
    for line, name in helpers_imports(source, module, filename):
        if any(name == f or name.startswith(f + ".") for f in forbidden):
            bad.append(f"{filename}:{line}: {module} imports {name}")
    return bad


# ------------------------------------------------------------------------------ the rules
def test_no_inline_scalar_checks_outside_checks():
    files = _scanned_files()
    assert len(files) >= 10, f"scanned only {[f.name for f in files]}"
    found = [hit for f in files for hit in inline_scalar_checks(f.read_text(), f.name)]
    assert not found, (
        "argument checks written inline instead of through helpers.checks:\n" + "\n".join(found)
    )


def test_math_modules_do_not_import_the_upper_layers():
    bad = []
    for module in MATH_MODULES:
        path = HELPERS / f"{module}.py"
        if path.exists():
            bad += layering_violations(path.read_text(), module, path.name)
    assert (HELPERS / "checks.py").exists()
    assert not bad, "layering broken:\n" + "\n".join(bad)


def test_excluded_files_are_named_plainly():
    """The EXCLUDED set names files or folders under helpers/, nothing else (no patterns)."""
    assert all("/" not in e and "*" not in e for e in EXCLUDED)


# ------------------------------------------------------------------- the scanners catch plants
@pytest.mark.parametrize(
    "plant",
    [
        "def f(n):\n    if isinstance(n, bool) or not isinstance(n, numbers.Integral):\n"
        "        raise TypeError('n must be an int')\n",
        "def f(x):\n    if not isinstance(x, (int, float)):\n        raise TypeError('x')\n",
        "def f(n):\n    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:\n"
        "        raise ValueError('n must be a positive int')\n",
        "def f(x):\n    if not isinstance(x, numbers.Real):\n        raise TypeError\n",
        "def _check_thing(x):\n    if not callable(x):\n        raise TypeError('x')\n",
    ],
)
def test_inline_scan_finds_a_planted_check(plant):
    assert inline_scalar_checks(plant)


def test_inline_scan_leaves_dispatch_and_domain_checks_alone():
    ok = (
        "def f(x):\n    if isinstance(x, numbers.Real):\n        x = [x]\n"
        "    if isinstance(x, dict):\n        raise TypeError('x must not be a dict')\n"
        "def _check_alpha(a):\n    a = checks.real(a, 'a')\n"
        "    if a > 2:\n        raise ValueError('a')\n"
    )
    assert inline_scalar_checks(ok) == []


@pytest.mark.parametrize(
    "module, plant",
    [
        ("noise", "from . import runtime\n"),
        ("noise", "def f():\n    from .train import fit\n"),
        ("layers", "from helpers import data\n"),
        ("pooling", "import helpers.models\n"),
        ("signals", "from .nets.blocks import Block\n"),
        ("volterra", "def f():\n    from helpers.claims import Ledger\n"),
        ("spectra", "from . import checks, book\n"),
        ("checks", "from . import spectra\n"),
        ("checks", "def f():\n    import helpers\n"),
    ],
)
def test_layering_scan_finds_a_planted_import(module, plant):
    assert layering_violations(plant, module)


def test_layering_scan_allows_the_math_layer():
    src = "from . import checks\nfrom .spectra import energy_spectrum\nfrom .layers import _unify\n"
    assert layering_violations(src, "pooling") == []
    assert layering_violations("import numpy as np\nimport torch\n", "checks") == []
