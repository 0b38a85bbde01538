"""Data integrity: the book reads only what it has verified.

A dataset folder (in the data directory or in the cache) is checked before a loader reads it,
against an :class:`Expected` copy: either a list of files with their size and digest (the copies
in ``../shared/data``, recorded in ``helpers/manifests/<name>.json``; the seal that a download
writes into the cache), or the member counts per folder of a canonical full tree (for full datasets
that arrive as checksummed archives). Only the files a loader would read count (``patterns``, e.g.
``*.wav``): a README beside them is ignored, an extra WAV is not.

The check is cheap the second time: every file whose digest was verified is remembered in the cache
(``<cache>/verified/``), keyed on its path, size and modification time, so an unchanged copy costs a
directory listing. A missing, extra, truncated or altered file raises :class:`DatasetCorrupt`
naming the dataset, the files, what was expected and how to repair it; nothing is loaded from it.

This module knows no dataset: :mod:`helpers.data` says which files, splits and copies each has.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import json
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import checks

__all__ = [
    "DatasetCorrupt",
    "Expected",
    "MANIFEST_DIR",
    "SEAL",
    "scan",
    "file_digest",
    "verify",
    "seal",
    "read_seal",
    "repository_copies",
    "write_manifest",
]

MANIFEST_DIR = Path(__file__).with_name("manifests")
"""``<name>.json``: the files of each dataset's copy in ``../shared/data`` (size and digest)."""
SEAL = "MANIFEST.json"
"""The file a verified download writes beside its tree in the cache
(``<cache>/datasets/<name>``)."""
KINDS = ("sha256", "md5", "md5-idx")
"""Digest kinds: sha256 or md5 of the bytes; ``md5-idx``: md5 of the decompressed bytes (MNIST)."""
_SHOWN = 5  # problems named in a message; the rest are counted


# ------------------------------------------------------------------------------------- errors
class DatasetCorrupt(IOError):
    """A dataset folder does not match what was verified: files missing, extra, truncated or
    altered.

    Attributes: ``dataset``, ``folder``, ``problems`` (list of ``(file, what, expected, found)``),
    ``expected`` (the label of the copy it was checked against) and ``repair`` (what to do).
    """

    def __init__(
        self,
        dataset: str,
        folder,
        problems: list[tuple[str, str, str, str]],
        expected: str,
        repair: str,
    ):
        self.dataset, self.folder, self.problems = dataset, str(folder), list(problems)
        self.expected, self.repair = expected, repair
        shown = "; ".join(
            f"{f}: {what} (expected {want}, found {got})"
            for f, what, want, got in self.problems[:_SHOWN]
        )
        more = len(self.problems) - _SHOWN
        shown += f"; and {more} more" if more > 0 else ""
        n = len(self.problems)
        super().__init__(
            f"dataset {dataset!r} at {folder} is damaged, checked against {expected}: "
            f"{n} problem{'s' if n != 1 else ''}: {shown}. Nothing was loaded from it. "
            f"To repair: {repair}"
        )


# ----------------------------------------------------------------------------------- expected
@dataclass(frozen=True)
class Expected:
    """One acceptable copy of a dataset folder.

    ``files``: relative POSIX path -> ``(size in bytes or None, digest)`` (digest of ``kind``), or
    ``counts``: folder (relative POSIX path, ``""`` for the top) -> number of member files. Exactly
    one of the two is given. ``label`` says what the copy is (it appears in error messages).
    """

    label: str
    files: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    kind: str = "sha256"
    part: bool = field(default=False, repr=False, compare=False)  # made by restrict(): may be empty

    def __post_init__(self):
        if (self.files and self.counts) or not (self.part or self.files or self.counts):
            raise ValueError(f"Expected {self.label!r}: give exactly one of files= or counts=")
        object.__setattr__(
            self, "kind", checks.choice(self.kind, "kind", KINDS, type_error=ValueError)
        )

    def restrict(self, keep: Callable[[str], bool]) -> "Expected":
        """The part of this copy whose paths (files) or folders (counts) satisfy ``keep``."""
        if self.files:
            return Expected(
                self.label,
                files={k: v for k, v in self.files.items() if keep(k)},
                kind=self.kind,
                part=True,
            )
        return Expected(
            self.label, counts={k: v for k, v in self.counts.items() if keep(k + "/")}, part=True
        )

    @property
    def empty(self) -> bool:
        return not (self.files or self.counts)


def _group(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _counts(paths: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in paths:
        out[_group(p)] = out.get(_group(p), 0) + 1
    return out


# ------------------------------------------------------------------------------------- files
def scan(folder, patterns: Iterable[str]) -> dict[str, os.stat_result]:
    """Member files under ``folder`` (recursively): relative POSIX path -> ``os.stat`` result.

    A member is a file whose name matches one of ``patterns`` (``fnmatch``, case-insensitive);
    the cache's :data:`SEAL` is never a member. Symbolic links are followed.
    """
    folder = Path(folder)
    pats = [p.lower() for p in patterns]
    found = {}
    for top, dirs, names in os.walk(folder, followlinks=True):
        dirs.sort()
        for name in sorted(names):
            if name == SEAL or not any(fnmatch.fnmatchcase(name.lower(), p) for p in pats):
                continue
            path = Path(top) / name
            found[path.relative_to(folder).as_posix()] = path.stat()
    return found


def file_digest(path, kind: str = "sha256") -> str:
    """Hex digest of a file: ``sha256`` / ``md5`` of its bytes, ``md5-idx`` of its decompressed
    bytes when it ends in ``.gz`` (else of its bytes). Raises :class:`ValueError` for a ``.gz``
    that does not decompress (reported as a damaged file by :func:`verify`)."""
    kind = checks.choice(kind, "kind", KINDS, type_error=ValueError)
    h = hashlib.sha256() if kind == "sha256" else hashlib.md5()
    path = Path(path)
    opener = gzip.open if kind == "md5-idx" and path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise ValueError(f"{path.name} does not decompress: {err}") from err
    return h.hexdigest()


# ------------------------------------------------------------------------------------ stamps
def _stamp_path(cache: Path, dataset: str, folder: Path) -> Path:
    key = hashlib.sha256(f"{dataset}\0{folder}".encode()).hexdigest()[:16]
    return cache / "verified" / f"{dataset}-{key}.json"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` all or nothing (temporary file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=0, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------ verify
def verify(
    dataset: str,
    folder,
    candidates: list[Expected],
    *,
    patterns: Iterable[str],
    keep: Callable[[str], bool] = lambda rel: True,
    cache=None,
    repair: str = "",
) -> Expected:
    """Check the member files of ``folder`` against the acceptable copies; return the one matched.

    ``keep(rel)`` restricts the check to the files one split reads (and the candidates likewise).
    A candidate with ``files`` matches when the member paths are exactly its paths; each file must
    then have its size and digest (re-hashed only when its path, size or modification time differ
    from what ``cache/verified`` remembers). A ``counts`` candidate matches when the members per
    folder are exactly its counts. With no match, :class:`DatasetCorrupt` lists the differences from
    the nearest candidate (missing and extra files, or folders with other counts).
    """
    folder = Path(folder)
    found = {rel: st for rel, st in scan(folder, patterns).items() if keep(rel)}
    cands = [c.restrict(keep) for c in candidates]
    cands = [c for c in cands if not c.empty]
    if not cands:
        raise ValueError(
            f"no expected copy of {dataset!r} covers this split; candidates were "
            f"{[c.label for c in candidates]}"
        )
    for c in cands:
        if c.files and set(c.files) == set(found):
            _check_files(dataset, folder, c, found, cache, repair)
            return c
    for c in cands:
        if c.counts and _counts(found) == c.counts:
            return c
    best = min(cands, key=lambda c: len(_differences(c, found)))
    raise DatasetCorrupt(dataset, folder, _differences(best, found), best.label, repair)


def _differences(c: Expected, found: dict) -> list[tuple[str, str, str, str]]:
    if c.files:
        missing = [(f, "missing", "present", "absent") for f in sorted(set(c.files) - set(found))]
        extra = [(f, "extra file", "absent", "present") for f in sorted(set(found) - set(c.files))]
        return missing + extra
    got = _counts(found)
    return [
        (g or ".", "other number of files", str(c.counts.get(g, 0)), str(got.get(g, 0)))
        for g in sorted(set(c.counts) | set(got))
        if c.counts.get(g, 0) != got.get(g, 0)
    ]


def _check_files(dataset: str, folder: Path, c: Expected, found: dict, cache, repair: str) -> None:
    stamp_file = _stamp_path(Path(cache), dataset, folder) if cache is not None else None
    stamp = _read_json(stamp_file).get("files", {}) if stamp_file else {}
    problems, fresh = [], {}
    for rel in sorted(c.files):
        size, digest = c.files[rel]
        st = found[rel]
        if size is not None and st.st_size != size:
            what = "truncated" if st.st_size < size else "longer than expected"
            problems.append((rel, what, f"{size:,} bytes", f"{st.st_size:,} bytes"))
            continue
        seen = [st.st_size, st.st_mtime_ns, c.kind, digest]
        if stamp.get(rel) == seen:
            continue
        try:
            got = file_digest(folder / rel, c.kind)
        except ValueError as err:
            problems.append((rel, "unreadable", f"a valid {c.kind} file", str(err)))
            continue
        if got != digest:
            problems.append((rel, f"altered ({c.kind} differs)", digest, got))
            continue
        fresh[rel] = seen
    if fresh and stamp_file is not None:
        current = _read_json(stamp_file).get("files", {})
        current.update(fresh)
        _write_json(stamp_file, {"dataset": dataset, "folder": str(folder), "files": current})
    if problems:
        raise DatasetCorrupt(dataset, folder, problems, c.label, repair)


# ------------------------------------------------------------------------------- seals, manifests
def seal(top, tree: str, patterns: Iterable[str], label: str) -> Path:
    """Write :data:`SEAL` into ``top`` (a download's folder in the cache, before it is renamed into
    place): size and sha256 of every member file of ``top/tree``, paths relative to ``top/tree``."""
    top = Path(top)
    files = {
        rel: [st.st_size, file_digest(top / tree / rel)]
        for rel, st in scan(top / tree, patterns).items()
    }
    path = top / SEAL
    _write_json(path, {"label": label, "tree": tree, "kind": "sha256", "files": files})
    return path


def read_seal(top) -> Expected | None:
    """The :class:`Expected` copy that :func:`seal` recorded in ``top``, or None if there is
    none."""
    obj = _read_json(Path(top) / SEAL)
    if not obj.get("files"):
        return None
    return Expected(
        obj.get("label", "the seal of the download"),
        files={k: tuple(v) for k, v in obj["files"].items()},
        kind=obj.get("kind", "sha256"),
    )


def repository_copies(dataset: str) -> list[Expected]:
    """The copies of ``dataset`` recorded in ``helpers/manifests/<dataset>.json`` (may be none)."""
    obj = _read_json(MANIFEST_DIR / f"{dataset}.json")
    return [
        Expected(
            c["label"],
            files={k: tuple(v) for k, v in c["files"].items()},
            kind=c.get("kind", "sha256"),
        )
        for c in obj.get("copies", [])
    ]


def write_manifest(dataset: str, copies: list[dict], source: str) -> Path:
    """Write ``helpers/manifests/<dataset>.json``: ``copies`` = [{label, kind, files}] as recorded
    from ``source`` (e.g. ``../shared/data``); one file per line, so a change reads as a diff."""
    MANIFEST_DIR.mkdir(exist_ok=True)
    path = MANIFEST_DIR / f"{dataset}.json"
    lines = [
        "{",
        f'"dataset": {json.dumps(dataset)},',
        f'"recorded_from": {json.dumps(source)},',
        '"copies": [',
    ]
    for k, c in enumerate(copies):
        lines.append(
            f'{{"label": {json.dumps(c["label"])}, "kind": {json.dumps(c["kind"])}, "files": {{'
        )
        items = sorted(c["files"].items())
        lines += [
            f"{json.dumps(rel)}: {json.dumps(list(v))}" + ("," if i < len(items) - 1 else "")
            for i, (rel, v) in enumerate(items)
        ]
        lines.append("}}" + ("," if k < len(copies) - 1 else ""))
    lines += ["]", "}"]
    path.write_text("\n".join(lines) + "\n")
    json.loads(path.read_text())  # well-formed
    return path
