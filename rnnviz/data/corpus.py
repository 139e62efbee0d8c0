"""The character-level language-model corpus: docstrings of the Python standard library.

Every Python install ships it, so the corpus needs no download and no data files.

* Source: the `.py` files under `sysconfig.get_paths()["stdlib"]`, in sorted path order,
  skipping `site-packages`/`dist-packages`, test code (a directory named `test`, `tests`
  or `idle_test`, or a file `test_*.py`) and files that fail to parse.
* Text: module, class and function docstrings (`ast.get_docstring`, which applies
  `inspect.cleandoc`), in source order, joined by a blank line ("\\n\\n").
* Split, fixed by module: a file goes to "valid" when
  `int(sha1(relpath).hexdigest(), 16) % 20 == 0` (about 5%), else to "train";
  `relpath` is its POSIX path relative to the stdlib folder (e.g. "json/decoder.py").
  Hashing the path (not shuffling) keeps the split stable when files are added or removed.

The text depends on the Python version; `corpus_info()` records the version and a sha256
of each split so that a model card can say exactly what a model was trained on.
The raw text is kept as is; `normalize` maps rare characters to one replacement symbol so
a character vocabulary stays at about 100 symbols.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import os
import platform
import re
import string
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

Split = Literal["train", "valid", "all"]
SPLITS = ("train", "valid", "all")

VALID_MODULUS = 20
DOC_SEPARATOR = "\n\n"

# Printable ASCII plus newline (tabs are already expanded by cleandoc): 96 symbols.
CHARSET = "\n" + "".join(ch for ch in string.printable if ch.isprintable())
# Outside CHARSET, so it stays distinguishable from any real character.
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"

_TEST_DIRS = frozenset({"test", "tests", "idle_test"})
_SKIP_DIRS = _TEST_DIRS | {"site-packages", "dist-packages", "__pycache__"}
_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def is_test_path(relpath: str) -> bool:
    """True for test code: a `test`/`tests`/`idle_test` directory or a `test_*.py` file."""
    *dirs, name = relpath.split("/")
    return name.startswith("test_") or any(d in _TEST_DIRS for d in dirs)


def module_split(relpath: str) -> Literal["train", "valid"]:
    """The fixed split of a module, from the sha1 of its POSIX relative path."""
    digest = int(hashlib.sha1(relpath.encode("utf-8")).hexdigest(), 16)
    return "valid" if digest % VALID_MODULUS == 0 else "train"


def list_modules(root: str | Path | None = None) -> list[str]:
    """Sorted POSIX paths (relative to `root`, default the stdlib) of the corpus's `.py` files."""
    root = Path(root) if root is not None else stdlib_root()
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Pruning in place stops os.walk from descending into site-packages and test trees.
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in filenames:
            relpath = name if rel_dir == "." else f"{rel_dir}/{name}"
            if name.endswith(".py") and not is_test_path(relpath):
                found.append(relpath)
    return sorted(found)


def extract_docstrings(source: str | bytes) -> list[str]:
    """Module, class and function docstrings of `source`, cleaned, in source order.

    Raises SyntaxError/ValueError when `source` does not parse.
    """
    docs = []
    stack: list[ast.AST] = [ast.parse(source)]
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                docs.append(doc)
        # Definitions only live in statement bodies, so expressions are never visited
        # (a full ast.walk costs as much again as parsing). Reversed: pop in source order.
        children = [
            child
            for child in ast.iter_child_nodes(node)
            if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case))
        ]
        stack.extend(reversed(children))
    return docs


def _read_docstrings(root: Path, relpath: str) -> list[str] | None:
    """Docstrings of one file, or None when it cannot be read or parsed."""
    try:
        return extract_docstrings((root / relpath).read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, restoring its previous state afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collect(root: str | Path | None = None) -> dict[str, list[str]]:
    """Docstrings of every corpus module under `root` that parses, keyed by relpath."""
    root = Path(root) if root is not None else stdlib_root()
    by_module = {}
    # ast.parse allocates millions of acyclic nodes that are freed by reference counting;
    # the cyclic GC would rescan them, and every other live object, for nothing (~2x time).
    with _gc_paused():
        for relpath in list_modules(root):
            docs = _read_docstrings(root, relpath)
            if docs is not None:
                by_module[relpath] = docs
    return by_module


@lru_cache(maxsize=1)
def _stdlib_docstrings() -> tuple[tuple[str, tuple[str, ...]], ...]:
    # Parsing ~700 files takes a few seconds: do it once per process. Tuples keep the
    # cached value immutable, so callers (e.g. concurrent app sessions) cannot alter it.
    return tuple((path, tuple(docs)) for path, docs in collect().items())


def _in_split(relpath: str, split: Split) -> bool:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return split == "all" or module_split(relpath) == split


def load_modules(split: Split = "train") -> tuple[str, ...]:
    """The relpaths of the modules in one split ("train", "valid" or "all"), sorted."""
    return tuple(path for path, _ in _stdlib_docstrings() if _in_split(path, split))


def load_docstrings(split: Split = "train") -> tuple[str, ...]:
    """The docstrings of one split, in corpus order."""
    return tuple(
        doc for path, docs in _stdlib_docstrings() if _in_split(path, split) for doc in docs
    )


@lru_cache(maxsize=len(SPLITS) * 2)
def load_corpus(split: Split = "train", normalized: bool = False) -> str:
    """The docstrings of one split joined by a blank line; `normalized` applies `normalize`."""
    text = DOC_SEPARATOR.join(load_docstrings(split))
    return normalize(text) if normalized else text


@lru_cache(maxsize=8)
def _outside(charset: str) -> re.Pattern[str]:
    return re.compile("[^" + "".join(re.escape(ch) for ch in sorted(set(charset))) + "]")


def normalize(text: str, charset: str = CHARSET, replacement: str = REPLACEMENT) -> str:
    """`text` with every character outside `charset` replaced by `replacement`."""
    return _outside(charset).sub(replacement, text)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_info() -> dict[str, Any]:
    """What the corpus is made of: JSON-serialisable, for model cards.

    Per split: modules, docstrings, characters, distinct characters, sha256 of the raw
    text (UTF-8) and of the normalized text.
    """
    found = list_modules()
    info: dict[str, Any] = {
        "source": "docstrings of the Python standard library",
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "files_found": len(found),
        "files_unparsable": sorted(set(found) - set(load_modules("all"))),
        "split_rule": f"valid if int(sha1(relpath).hexdigest(), 16) % {VALID_MODULUS} == 0",
        "separator": DOC_SEPARATOR,
        "charset": CHARSET,
        "replacement": REPLACEMENT,
        "splits": {},
    }
    for split in SPLITS:
        text = load_corpus(split)
        normalized = load_corpus(split, normalized=True)
        info["splits"][split] = {
            "modules": len(load_modules(split)),
            "docstrings": len(load_docstrings(split)),
            "chars": len(text),
            "distinct_chars": len(set(text)),
            "replaced_chars": normalized.count(REPLACEMENT) - text.count(REPLACEMENT),
            "sha256": _sha256(text),
            "sha256_normalized": _sha256(normalized),
        }
    return info


# -- the held-out text, shipped ---------------------------------------------------------------
# Parsing the standard library takes seconds (4 s on a busy 2-core machine), too slow for the
# app's first visit of the Units page. `python -m rnnviz.train char-lm-*` writes the valid
# split beside the checkpoints; its sha256 is the cards' `data.valid_sha256`, so the app reads
# the exact text the shipped models were evaluated on, whatever Python the user runs.
HELDOUT_FILE = "heldout-docstrings.txt.gz"


def write_heldout(out_dir: str | Path) -> Path:
    """Write the valid split (UTF-8, gzip, fixed mtime: the same bytes every time) to
    `out_dir` / HELDOUT_FILE."""
    import gzip

    path = Path(out_dir) / HELDOUT_FILE
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(load_corpus("valid").encode("utf-8"))
    return path


def read_heldout(directory: str | Path) -> str | None:
    """The valid split written by `write_heldout` into `directory`, or None without one."""
    import gzip

    path = Path(directory) / HELDOUT_FILE
    if not path.exists():
        return None
    return gzip.decompress(path.read_bytes()).decode("utf-8")
