"""Offline JavaScript for the HTML book: MathJax 3, RequireJS and the Jupyter widgets HTML manager.

The built book must render with no network at all (the machines it is built and tested on reach
no CDN, and readers may open it from a USB stick). Jupyter Book would load MathJax and the widget
manager from CDNs; instead the exact versions pinned in ``package.json`` / ``package-lock.json``
are installed once with ``npm ci`` into a cache **outside the clone**, keyed on the lock file::

    $CMT_CACHE/npm/<sha256 of package-lock.json>/node_modules/...   (default ~/.cache/cmt-book)

and :func:`ensure_vendor` copies only the files a page loads into the staged book
(``book/_vendor``). The local Sphinx extension ``book/_ext/cmt_book.py`` then copies that
folder to ``<html>/_vendor/`` and ``_config.yml`` points MathJax (``mathjax_path``) and the widget
scripts (``nb_ipywidgets_js``) at it. The vendor folder is deliberately *not* Sphinx's
``_static``: Jupyter Book adds every ``.js`` under ``_static`` to every page.

Layout of ``dest`` (and of ``<html>/_vendor``)::

    mathjax/tex-chtml.js                   MathJax 3 combined component (TeX in, CommonHTML out)
    mathjax/input/tex/extensions/*.js      TeX packages MathJax autoloads
                                           (\\boldsymbol, \\cancel, ...)
    mathjax/output/chtml/fonts/woff-v2/    the CommonHTML fonts
    mathjax/{ui,a11y,sre}/...              menu and accessibility components the menu can load
    requirejs/require.js                   AMD loader the widget manager needs
    jupyter-widgets/embed-amd.js           @jupyter-widgets/html-manager 1.x (ipywidgets 8)
                                           + its woff fonts
    mathjax/LICENSE                        MathJax's licence (Apache-2.0)
    VENDOR.txt                             package, version and licence of everything above
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = "package-lock.json"
MANIFEST = "package.json"
COMPLETE = (
    ".cmt-complete"  # written last inside an install; its presence means the install is whole
)

# (package folder under node_modules, source path inside it, destination under dest). A source
# ending in "/" is a folder copied recursively; anything else is one file.
VENDOR_FILES: tuple[tuple[str, str, str], ...] = (
    ("mathjax", "es5/tex-chtml.js", "mathjax/tex-chtml.js"),
    ("mathjax", "es5/input/tex/extensions/", "mathjax/input/tex/extensions/"),
    ("mathjax", "es5/output/chtml/fonts/woff-v2/", "mathjax/output/chtml/fonts/woff-v2/"),
    ("mathjax", "es5/ui/", "mathjax/ui/"),
    ("mathjax", "es5/a11y/", "mathjax/a11y/"),
    ("mathjax", "es5/sre/", "mathjax/sre/"),
    ("mathjax", "LICENSE", "mathjax/LICENSE"),
    ("requirejs", "require.js", "requirejs/require.js"),
    ("@jupyter-widgets/html-manager", "dist/", "jupyter-widgets/"),
)
# Files of the html-manager dist folder a page never loads: the non-AMD bundle, the AMD library
# (embed-amd.js already defines it), source maps, and the Font Awesome formats only old browsers
# pick (every @font-face also lists woff2/woff, which are kept).
_SKIP = shutil.ignore_patterns(
    "embed.js", "embed.js.LICENSE.txt", "libembed-amd.js", "*.map", "*.eot", "*.svg", "*.ttf"
)

# What a page loads, relative to the vendor folder; checked after every copy.
ENTRY_POINTS = ("mathjax/tex-chtml.js", "requirejs/require.js", "jupyter-widgets/embed-amd.js")


def lock_key(root: Path = ROOT) -> str:
    """The sha256 of ``package-lock.json``: the name of the cached install for this lock."""
    lock = Path(root) / LOCK
    if not lock.is_file():
        raise FileNotFoundError(
            f"{lock} is missing: the offline assets are pinned by package.json and "
            f"{LOCK} at the root of the clone"
        )
    return hashlib.sha256(lock.read_bytes()).hexdigest()


def npm_cache_dir(cache: Path | None = None) -> Path:
    """``<cache>/npm`` where cache is the argument, else ``$CMT_CACHE``, else
    ``~/.cache/cmt-book``."""
    from helpers import runtime

    path = runtime.cache_dir(cache) / "npm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def install(root: Path = ROOT, cache: Path | None = None, npm: str | None = None) -> Path:
    """Return the folder holding ``node_modules`` for this lock, running ``npm ci`` once if needed.

    The install goes to a temporary folder next to the final one and is renamed into place only
    when ``npm ci`` succeeded, so an interrupted install never leaves a half-filled cache entry;
    a concurrent install of the same lock simply wins the rename and this one is discarded.
    """
    root = Path(root)
    key = lock_key(root)
    base = npm_cache_dir(cache)
    final = base / key
    if (final / COMPLETE).is_file():
        return final
    if final.exists():  # an incomplete entry left by something else: replace it
        shutil.rmtree(final, ignore_errors=True)
    npm = npm or shutil.which("npm")
    if not npm:
        raise RuntimeError(
            "npm was not found on PATH: it is needed once to fetch the book's offline "
            "JavaScript (MathJax, RequireJS, the widget manager) pinned in "
            f"{root / LOCK}; install Node.js/npm (Debian: apt-get install npm)"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=base))
    try:
        for name in (MANIFEST, LOCK):
            shutil.copy2(root / name, tmp / name)
        cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(cmd)}` failed (exit {proc.returncode}) for {root / LOCK}:\n"
                f"{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
            )
        (tmp / COMPLETE).write_text(json.dumps({"lock_sha256": key}) + "\n")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / COMPLETE).is_file():  # not a concurrent winner: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _notice(modules: Path) -> str:
    """Name, version, licence and home page of each redistributed package (from its
    package.json)."""
    lines = [
        "Third-party JavaScript served by this book "
        "(installed from package-lock.json by helpers/assets.py)",
        "",
    ]
    for package in sorted({p for p, _, _ in VENDOR_FILES}):
        meta = json.loads((modules / package / "package.json").read_text())
        lines.append(
            f"{meta['name']} {meta['version']}  licence: {meta.get('license', '?')}  "
            f"{meta.get('homepage', '')}".rstrip()
        )
    return "\n".join(lines) + "\n"


def ensure_vendor(dest: Path, root: Path = ROOT, cache: Path | None = None) -> Path:
    """Fill ``dest`` with the files the offline HTML loads (see the module docstring) and return it.

    Installs the lock's packages into the cache first when they are not there yet (one ``npm ci``
    per lock file, reused by every later build and every fresh clone). ``dest`` is replaced as a
    whole: it is written next to its final place and renamed, so it is never half-filled.
    """
    dest = Path(dest)
    modules = install(root, cache) / "node_modules"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for package, src, dst in VENDOR_FILES:
            source = modules / package / src
            target = tmp / dst
            if not source.exists():
                raise FileNotFoundError(
                    f"{source} is missing from the npm install in {modules.parent}; "
                    f"delete that folder to reinstall it"
                )
            if src.endswith("/"):
                shutil.copytree(source, target, ignore=_SKIP, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        (tmp / "VENDOR.txt").write_text(_notice(modules))
        missing = [p for p in ENTRY_POINTS if not (tmp / p).is_file()]
        if missing:
            raise FileNotFoundError(f"vendor folder lacks {missing}")
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


if __name__ == "__main__":  # python -m helpers.assets [dest]: fill a vendor folder by hand
    import sys

    print(ensure_vendor(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "book" / "_vendor"))
