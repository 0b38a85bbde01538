"""Claims whose verdicts are computed: what a chapter tests, measured, judged by a stated criterion.

A chapter records each claim of a source paper that it tests::

    ledger = claims.Ledger("03", run)                       # chapter 3, the run's mode and seed
    gain = claims.paired(acc_post - acc_orig, unit="points", what="accuracy gain")
    ledger.record("ch3-mirror", source="{cite:t}`wu2022cmt`, sec 3.2",
                  statement="ReLU mirrors the spectrum below the DC term",
                  measured=gain, criterion=claims.greater_than(0),
                  data="FSDD test split (300 clips)", budget="3 epochs, quarter width")

The verdict is one of :data:`VERDICTS`, computed by the criterion from the measurement, never
typed: :class:`greater_than` / :class:`less_than` (a confidence interval entirely on one side of a
threshold), :class:`at_most` (a deterministic number, e.g. an identity's relative error, below the
tolerance its theory gives), :class:`all_of` (several conditions: all hold -> reproduced, some ->
partly reproduced, none -> not reproduced). A claim recorded with ``tested=False`` (a network the
chapter calls undertrained, a run below its stated budget) is "not tested yet" whatever it measured.
In a smoke run (``run.smoke``, or ``runtime.smoke_active()``: the full-mode code path with budgets
clamped to a few batches) every claim is "not tested yet (smoke run)": its numbers are recorded,
never judged, and the ledger's mode reads "full (smoke run)".

Each record is glued (``<id>_verdict``, ``<id>_measured``, ``<id>_reason`` with ``-`` replaced by
``_``) so the prose shows the verdict of the run, and written to ``$CMT_CLAIMS_DIR/<chapter>.json``
(default ``<cache>/claims``), from which the book runner generates the scorecard tables of the
build.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import checks, runtime

__all__ = [
    "VERDICTS",
    "Measured",
    "value",
    "sample",
    "paired",
    "bootstrap",
    "paired_bootstrap",
    "permutation_test",
    "cohens_d",
    "Criterion",
    "greater_than",
    "less_than",
    "at_least",
    "at_most",
    "all_of",
    "float64_tol",
    "Claim",
    "Ledger",
    "claims_dir",
    "read_chapter",
    "scorecard_table",
    "ENV_CLAIMS",
    "SMOKE_REASON",
]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not tested yet")
"""The scorecard legend's words, the only verdicts a claim can get."""
ENV_CLAIMS = "CMT_CLAIMS_DIR"
SMOKE_REASON = "smoke run"
"""Why a smoke run's claims are not tested: ``"not tested yet (smoke run)"``."""


# --------------------------------------------------------------------------------- measurements
@dataclass(frozen=True)
class Measured:
    """A measured quantity: its values (one per seed or draw), mean and two-sided confidence
    interval.

    ``n == 1`` is a deterministic number (its interval is the number itself). The interval of
    ``n >= 2`` values is Student's t interval of the mean at ``level``; for resampled values
    (:func:`bootstrap`: ``estimate`` set) it is the percentile interval of the resamples and the
    centre is ``estimate``, the statistic on the data as observed.
    """

    what: str
    values: tuple[float, ...]
    unit: str = ""
    level: float = 0.95
    fmt: str = ".3g"
    estimate: float | None = None

    def __post_init__(self):
        if not isinstance(self.what, str) or not self.what:
            raise ValueError(f"what must name the measured quantity, got {self.what!r}")
        if len(self.values) == 0:
            raise ValueError(f"{self.what}: values must hold at least one number, got none")
        if not all(math.isfinite(v) for v in self.values):
            raise ValueError(f"{self.what}: values must be finite numbers, got {self.values}")
        checks.real(self.level, "level", above=0.0, below=1.0)
        if self.estimate is not None:
            checks.real(self.estimate, "estimate")
            if len(self.values) < 2:
                raise ValueError(f"{self.what}: a bootstrap needs at least 2 resamples")

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        """The mean of the values; for resamples, the ``estimate`` on the observed data."""
        return float(np.mean(self.values)) if self.estimate is None else float(self.estimate)

    @property
    def sd(self) -> float:
        """Sample standard deviation (ddof 1); 0 for a single value."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        if self.n == 1:
            return self.values[0], self.values[0]
        if self.estimate is not None:
            tail = (1 - self.level) / 2
            lo, hi = np.quantile(np.asarray(self.values), [tail, 1 - tail])
            return float(lo), float(hi)
        from scipy import stats

        half = float(stats.t.ppf(0.5 + self.level / 2, self.n - 1)) * self.sd / math.sqrt(self.n)
        return self.mean - half, self.mean + half

    def text(self) -> str:
        """``"accuracy gain 3.2 points (95 % CI 1.0 to 5.4; 3 seeds)"`` or ``"error 2.1e-16"``."""
        f = self.fmt
        unit = f" {self.unit}" if self.unit else ""
        if self.n == 1:
            return f"{self.what} {self.values[0]:{f}}{unit}"
        lo, hi = self.interval
        if self.estimate is not None:
            return (
                f"{self.what} {self.mean:{f}}{unit} ({100 * self.level:.0f} % bootstrap interval "
                f"{lo:{f}} to {hi:{f}}; {self.n} resamples)"
            )
        return (
            f"{self.what} {self.mean:{f}}{unit} ({100 * self.level:.0f} % CI {lo:{f}} to "
            f"{hi:{f}}; n = {self.n})"
        )


def _floats(values, what: str) -> tuple[float, ...]:
    arr = np.asarray(
        runtime.plain_number(values)
        if np.ndim(values) == 0
        else [runtime.plain_number(v) for v in np.ravel(np.asarray(values, dtype=object))],
        dtype=np.float64,
    ).ravel()
    return tuple(float(v) for v in arr) if arr.size else ()


def value(x, what: str, unit: str = "", fmt: str = ".3g") -> Measured:
    """One deterministic number (an identity's error, a count)."""
    return Measured(what, _floats([x], what), unit, fmt=fmt)


def sample(values, what: str, unit: str = "", level: float = 0.95, fmt: str = ".3g") -> Measured:
    """Values of independent repeats (seeds, noise draws): mean with a t confidence interval."""
    return Measured(what, _floats(values, what), unit, level, fmt)


def paired(
    a, b=None, what: str = "difference", unit: str = "", level: float = 0.95, fmt: str = ".3g"
) -> Measured:
    """Paired differences ``a[i] - b[i]`` (or ``a`` itself when ``b`` is None), one per seed."""
    a = np.asarray(_floats(a, what))
    if b is not None:
        b = np.asarray(_floats(b, what))
        if a.shape != b.shape:
            raise ValueError(f"{what}: a and b must pair up, got {a.size} and {b.size} values")
        a = a - b
    return Measured(what, tuple(float(v) for v in a), unit, level, fmt)


def bootstrap(
    resamples, estimate, what: str, unit: str = "", level: float = 0.95, fmt: str = ".3g"
) -> Measured:
    """A statistic on the observed data (``estimate``) with the percentile interval of its
    resampled values (a bootstrap over images, say): for a statistic of one data set, where
    there are no independent repeats to put a t interval on."""
    estimate = checks.real(runtime.plain_number(estimate), "estimate")
    return Measured(what, _floats(resamples, what), unit, level, fmt, estimate=estimate)


def paired_bootstrap(
    a,
    b,
    what: str,
    unit: str = "",
    scale: float = 1.0,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    fmt: str = ".3g",
) -> Measured:
    """Two-way paired bootstrap of ``scale * (mean(a) - mean(b))`` for per-item scores on a grid
    ``(draws, items)`` (noise draws x images, say: ``a[d, i]`` and ``b[d, i]`` score the same image
    under the same draw, e.g. 1 for a correct classification).

    Each resample draws the rows (draws) and the columns (items) independently with replacement
    and takes the mean of the paired differences ``a - b`` over the resampled grid, so the interval
    covers both sources of randomness, the noise and the choice of images (the two-way "pigeonhole"
    bootstrap of Owen, *Ann. Appl. Stat.* 1(2), 2007). Pairing removes what the two conditions
    share: when ``a - b`` is constant every resample equals it. Returns a :func:`bootstrap`
    measurement: the estimate on the observed grid and the percentile interval.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.ndim == 1:
        x, y = x[None], (y[None] if y.ndim == 1 else y)
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(
            f"{what}: a and b must be (draws, items) grids of the same shape, got "
            f"{np.shape(a)} and {np.shape(b)}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"{what}: a and b must hold finite numbers")
    n_boot = checks.integer(n_boot, "n_boot", 2, type_error=ValueError)
    scale = checks.real(scale, "scale")
    d = (x - y) * scale
    rows, cols = d.shape
    gen = np.random.default_rng(seed)
    ri = gen.integers(0, rows, (n_boot, rows))
    ci = gen.integers(0, cols, (n_boot, cols))
    res = np.empty(n_boot)
    for k in range(n_boot):
        res[k] = d[ri[k]][:, ci[k]].mean()
    return bootstrap(res, float(d.mean()), what, unit, level, fmt)


def permutation_test(a, b, n: int = 10000, seed: int = 0) -> tuple[float, float]:
    """One-sided two-sample permutation test of ``mean(a) > mean(b)``: ``(statistic, p)``.

    The statistic is ``mean(a) - mean(b)``; ``p = (1 + #{permutations with a statistic at least
    the observed}) / (1 + n)`` over ``n`` random relabellings of the pooled values (seeded), the
    add-one rule that keeps a Monte-Carlo p-value valid (never 0)."""
    a = np.asarray(_floats(a, "a"))
    b = np.asarray(_floats(b, "b"))
    if a.size < 1 or b.size < 1:
        raise ValueError("a and b must each hold at least one value")
    n = checks.integer(n, "n", 1)
    seed = checks.integer(seed, "seed", 0)
    pooled = np.concatenate([a, b])
    observed = float(a.mean() - b.mean())
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((n, pooled.size)), axis=1)
    stats = pooled[perms[:, : a.size]].mean(1) - pooled[perms[:, a.size :]].mean(1)
    p = float((1 + np.sum(stats >= observed - 1e-12 * max(1.0, abs(observed)))) / (1 + n))
    return observed, p


def cohens_d(a, b) -> float:
    """Effect size ``(mean(a) - mean(b)) / s_pooled`` (Cohen's d; ``s_pooled`` from the two
    samples' unbiased variances, weighted by their degrees of freedom)."""
    a = np.asarray(_floats(a, "a"))
    b = np.asarray(_floats(b, "b"))
    if a.size < 2 or b.size < 2:
        raise ValueError("a and b must each hold at least two values")
    pooled = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    if pooled <= 0:
        raise ValueError("a and b have no spread: the effect size is undefined")
    return float((a.mean() - b.mean()) / np.sqrt(pooled))


# ------------------------------------------------------------------------------------ criteria
@dataclass(frozen=True)
class Criterion:
    """Base: ``judge(measured) -> (verdict, reason)``; ``text`` states the rule."""

    def judge(self, m: Measured) -> tuple[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def text(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class _OneSided(Criterion):
    """Reproduced when the whole confidence interval (or the single value) lies on the side
    ``_above`` of ``threshold``; fewer than ``min_n`` repeats: not tested yet."""

    threshold: float = 0.0
    min_n: int = 1
    _above = True

    @property
    def text(self) -> str:
        return f"confidence interval {'above' if self._above else 'below'} {self.threshold:.2g}" + (
            f" with at least {self.min_n} repeats" if self.min_n > 1 else ""
        )

    def judge(self, m: Measured) -> tuple[str, str]:
        if m.n < self.min_n:
            return "not tested yet", f"{m.n} repeat(s), the criterion needs {self.min_n}"
        lo, hi = m.interval
        t = self.threshold
        side, other = ("above", "below") if self._above else ("below", "above")
        holds, opposite = (lo > t, hi < t) if self._above else (hi < t, lo > t)
        if holds:
            return "reproduced", f"{m.text()}: {side} {t:.2g}"
        where = other if opposite else "includes"
        return "not reproduced", f"{m.text()}: the interval {where} {t:.2g}"


@dataclass(frozen=True)
class greater_than(_OneSided):  # noqa: N801 - reads as a phrase: criterion=greater_than(0)
    """Reproduced when the whole confidence interval (or the single value) lies above
    ``threshold``."""

    _above = True


@dataclass(frozen=True)
class less_than(_OneSided):  # noqa: N801
    """Reproduced when the whole confidence interval (or the single value) lies below
    ``threshold``."""

    _above = False


@dataclass(frozen=True)
class at_least(Criterion):  # noqa: N801
    """Reproduced when every value is at least ``bound`` (a deterministic number, e.g. an error
    that must stay above rounding when a condition of the identity is broken)."""

    bound: float = 0.0

    @property
    def text(self) -> str:
        return f"at least {self.bound:.2g}"

    def judge(self, m: Measured) -> tuple[str, str]:
        least = min(m.values)
        if least >= self.bound:
            return "reproduced", f"{m.text()}: at least {self.bound:.2g}"
        return "not reproduced", f"{m.text()}: below {self.bound:.2g}"


def float64_tol(n: int, eps_factor: float = 1.0) -> float:
    """The rounding bound of a float64 identity over ``n`` terms: ``eps_factor * n * eps``
    (``eps = 2**-52``), the tolerance the book states for its float64 checks."""
    n = checks.integer(n, "n", note=" (number of terms)", type_error=ValueError)
    return float(eps_factor) * int(n) * float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class at_most(Criterion):  # noqa: N801
    """Reproduced when every value is at most ``tolerance`` (an identity checked to its theory)."""

    tolerance: float = 0.0

    @property
    def text(self) -> str:
        return f"at most {self.tolerance:.2g}"

    def judge(self, m: Measured) -> tuple[str, str]:
        worst = max(m.values)
        if worst <= self.tolerance:
            return "reproduced", f"{m.text()}: within {self.tolerance:.2g}"
        return "not reproduced", f"{m.text()}: above the tolerance {self.tolerance:.2g}"


@dataclass(frozen=True)
class all_of(Criterion):  # noqa: N801
    """Several conditions, each a ``(label, Measured, Criterion)``: all reproduced -> reproduced;
    some -> partly reproduced (naming which hold); none -> not reproduced. Judged by
    :meth:`judge_parts`."""

    parts: tuple = ()

    @property
    def text(self) -> str:
        return "all of: " + "; ".join(f"{label}: {c.text}" for label, _, c in self.parts)

    def judge(self, m: Measured | None = None) -> tuple[str, str]:
        return self.judge_parts()

    def judge_parts(self) -> tuple[str, str]:
        if not self.parts:
            raise ValueError("all_of needs at least one (label, measured, criterion) part")
        results = [(label, *c.judge(meas)) for label, meas, c in self.parts]
        if any(v == "not tested yet" for _, v, _ in results):
            untested = [label for label, v, _ in results if v == "not tested yet"]
            return "not tested yet", f"not tested yet: {', '.join(untested)}"
        held = [label for label, v, _ in results if v == "reproduced"]
        reasons = "; ".join(f"{label}: {why}" for label, _, why in results)
        if len(held) == len(results):
            return "reproduced", reasons
        if held:
            return "partly reproduced", f"holds for {', '.join(held)} only ({reasons})"
        return "not reproduced", reasons


# -------------------------------------------------------------------------------------- claims
@dataclass
class Claim:
    """One recorded claim with its computed verdict (what the scorecard shows)."""

    id: str
    chapter: str
    statement: str
    source: str
    measured: list[str]
    criterion: str
    verdict: str
    reason: str
    data: str
    mode: str
    seeds: list[int]
    budget: str
    values: list[list[float]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.id.replace("-", "_")


def claims_dir() -> Path:
    """Where ledgers are written: ``$CMT_CLAIMS_DIR`` (the book runner sets it), else the cache."""
    value = os.environ.get(ENV_CLAIMS)
    path = Path(value) if value else runtime.cache_dir() / "claims"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Ledger:
    """The claims one chapter records; ``record`` computes, glues and saves each verdict."""

    def __init__(self, chapter, run=None):
        chapter = str(chapter).zfill(2)
        if not (len(chapter) == 2 and chapter.isdigit()):
            raise ValueError(f"chapter must be a chapter number such as 3 or '03', got {chapter!r}")
        self.chapter = chapter
        self.mode = getattr(run, "mode", None) or runtime.resolve_mode(None)
        self.smoke = bool(getattr(run, "smoke", False)) or runtime.smoke_active()
        if self.smoke:
            self.mode = f"{self.mode} (smoke run)"
        self.seed = getattr(run, "seed", 0)
        self.claims: dict[str, Claim] = {}
        self.path = claims_dir() / f"ch{chapter}.json"
        self.path.unlink(missing_ok=True)  # a re-run starts a fresh ledger

    def record(
        self,
        id: str,
        *,
        statement: str,
        source: str,
        criterion: Criterion,
        measured=None,
        data: str,
        budget: str = "",
        seeds=None,
        tested: bool = True,
        untested_because: str = "quick budget",
        glue: bool = True,
    ) -> Claim:
        """Judge ``measured`` (a :class:`Measured`, or a list of them for :class:`all_of`) by
        ``criterion`` and keep the claim; ``tested=False`` gives "not tested yet (<why>)"."""
        if not isinstance(id, str) or not id.replace("-", "_").isidentifier():
            raise ValueError(f"id must be a short identifier such as 'ch3-mirror', got {id!r}")
        if id in self.claims:
            raise ValueError(f"claim {id!r} is recorded twice in chapter {self.chapter}")
        checks.instance(
            criterion, "criterion", Criterion, "a claims criterion (greater_than, at_most, ...)"
        )
        tested = checks.boolean(tested, "tested")
        labels = None
        if isinstance(criterion, all_of):
            ms = [m for _, m, _ in criterion.parts]
            labels = [label for label, _, _ in criterion.parts]
            verdict, reason = criterion.judge_parts()
        else:
            checks.instance(
                measured, "measured", Measured, "a claims.Measured (value, sample, paired)"
            )
            ms = [measured]
            verdict, reason = criterion.judge(measured)
        if verdict == "not tested yet":  # the criterion's own budget (e.g. min_n repeats)
            verdict = f"not tested yet ({untested_because})"
        if self.smoke:  # numbers of a few batches of training: never a verdict
            tested, untested_because = False, SMOKE_REASON
        if not tested:
            verdict, reason = (
                f"not tested yet ({untested_because})",
                (f"measured {'; '.join(m.text() for m in ms)}, but {untested_because}: no verdict"),
            )
        seeds = [self.seed] if seeds is None else [int(s) for s in seeds]
        claim = Claim(
            id=id,
            chapter=self.chapter,
            statement=statement,
            source=source,
            measured=[
                m.text() if labels is None else f"{label}: {m.text()}"
                for m, label in zip(ms, labels or ms)
            ],
            criterion=criterion.text,
            verdict=verdict,
            reason=reason,
            data=data,
            mode=self.mode,
            seeds=seeds,
            budget=budget,
            values=[list(m.values) for m in ms],
        )
        self.claims[id] = claim
        self._save()
        if glue:
            runtime.glue(f"{claim.key}_verdict", verdict, display=False)
            runtime.glue(f"{claim.key}_measured", "; ".join(claim.measured), display=False)
            runtime.glue(f"{claim.key}_reason", reason, display=False)
        return claim

    def _save(self) -> None:
        obj = {
            "chapter": self.chapter,
            "mode": self.mode,
            "seed": self.seed,
            "claims": [asdict(c) for c in self.claims.values()],
        }
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1)
        os.replace(tmp, self.path)

    def summary(self) -> str:
        """One line per claim: id, verdict, measured (printed at the end of a chapter)."""
        return "\n".join(
            f"{c.id:<24} {c.verdict:<32} {'; '.join(c.measured)}" for c in self.claims.values()
        )


def read_chapter(path) -> list[Claim]:
    """The claims a chapter's ledger file holds."""
    obj = json.loads(Path(path).read_text())
    return [Claim(**c) for c in obj["claims"]]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def scorecard_table(claims: list[Claim], chapter_doc: str) -> str:
    """The scorecard rows of one chapter (MyST markdown), from its executed ledger."""
    head = (
        "| claim | source | our number | data, mode, seeds, budget | verdict | chapter |\n"
        "|---|---|---|---|---|---|"
    )
    rows = []
    for c in claims:
        seeds = (
            f"seed {c.seeds[0]}" if len(c.seeds) == 1 else f"seeds {', '.join(map(str, c.seeds))}"
        )
        where = f"{c.data}; {c.mode}; {seeds}" + (f"; {c.budget}" if c.budget else "")
        rows.append(
            f"| {_cell(c.statement)} | {_cell(c.source)} | {_cell('; '.join(c.measured))} "
            f"| {_cell(where)} | **{c.verdict}**: {_cell(c.criterion)} | {chapter_doc} |"
        )
    return "\n".join([head, *rows])
