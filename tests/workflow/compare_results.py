"""Compare two ``results/`` trees of the pipeline: what a user sees must not change.

Every file outside the Zarr stores (figures, tables, captions) must be byte-identical; every
Zarr store must hold the same Dataset (:func:`xarray.testing.assert_identical`: variables,
coords, dims, dtypes, values and attrs), except for the attrs in ``IGNORED_ATTRS`` (the git
commit differs between two checkouts of the same code). Both trees must hold the same files
and stores.

Used by tests (``compare_results(old, new)`` returns the differences, ``[]`` when none) and
from the command line::

    python tests/workflow/compare_results.py OLD_RESULTS NEW_RESULTS

which prints a summary and exits with 1 when the trees differ.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import warnings
from collections import Counter
from pathlib import Path

# Attrs that may differ between two runs of the same code from two checkouts.
IGNORED_ATTRS = ("provenance_git_commit",)
# Files Snakemake adds inside directory outputs; not part of a store.
_MARKERS = (".snakemake_timestamp",)


def _inventory(root: Path) -> tuple[set[str], set[str]]:
    """Relative paths of the Zarr stores and of the other files under ``root``."""
    stores, files = set(), set()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.endswith(".zarr") for part in rel.parts[:-1]):
            continue  # inside a store
        if path.is_dir() and path.name.endswith(".zarr"):
            stores.add(rel.as_posix())
        elif path.is_file() and path.name not in _MARKERS:
            files.add(rel.as_posix())
    return stores, files


def _open(path: Path):
    import xarray as xr

    with warnings.catch_warnings():
        # Snakemake's marker file inside a directory output is not a Zarr object: harmless.
        warnings.filterwarnings("ignore", message=".*snakemake_timestamp.*")
        with xr.open_zarr(path, consolidated=False) as ds:
            ds = ds.load()
    for var in ds.variables.values():
        var.encoding = {}
    for key in IGNORED_ATTRS:
        ds.attrs.pop(key, None)
    return ds


def compare_store(old: Path, new: Path) -> str | None:
    """``None`` if the two stores hold identical Datasets, else the assertion message."""
    import xarray.testing

    try:
        xarray.testing.assert_identical(_open(old), _open(new))
    except AssertionError as exc:
        return str(exc)
    return None


def compare_results(old: str | Path, new: str | Path) -> list[str]:
    """Differences between the result trees ``old`` and ``new`` (empty list: none).

    Each entry names the relative path and what differs: missing on one side, bytes differ,
    or the store's Datasets differ (with xarray's message).
    """
    old, new = Path(old), Path(new)
    old_stores, old_files = _inventory(old)
    new_stores, new_files = _inventory(new)
    problems = []
    for rel in sorted(old_stores ^ new_stores):
        side = "new" if rel in old_stores else "old"
        problems.append(f"{rel}: store missing in the {side} tree")
    for rel in sorted(old_files ^ new_files):
        side = "new" if rel in old_files else "old"
        problems.append(f"{rel}: file missing in the {side} tree")
    for rel in sorted(old_files & new_files):
        if not filecmp.cmp(old / rel, new / rel, shallow=False):
            problems.append(f"{rel}: bytes differ")
    for rel in sorted(old_stores & new_stores):
        message = compare_store(old / rel, new / rel)
        if message is not None:
            problems.append(f"{rel}: Datasets differ\n{message}")
    return problems


def summary(root: str | Path) -> str:
    """One line: how many stores and files of each suffix ``root`` holds."""
    stores, files = _inventory(Path(root))
    counts = Counter(Path(f).suffix.lstrip(".") or "(none)" for f in files)
    parts = [f"{len(stores)} Zarr stores"] + [f"{n} {ext}" for ext, n in sorted(counts.items())]
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="reference results/ directory")
    parser.add_argument("new", type=Path, help="results/ directory to check")
    args = parser.parse_args(argv)
    problems = compare_results(args.old, args.new)
    print(f"old: {summary(args.old)}")
    print(f"new: {summary(args.new)}")
    if problems:
        print(f"{len(problems)} difference(s):")
        for p in problems:
            print(f"- {p}")
        return 1
    print("identical: every file byte for byte, every store by xarray.testing.assert_identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
