"""The store core: how every store of the pipeline is built, written and read (xarray / Zarr).

The store of each result type is laid out next to that type: :mod:`dln.problems.store`,
:mod:`dln.saddle_store`, :mod:`dln.flow_store`, :mod:`dln.evaluation_store`,
:mod:`dln.convergence_store`, :mod:`dln.baselines.lasso` and the study modules of
:mod:`dln.studies` and :mod:`dln.baselines.comparison`. They build their Datasets with the
helpers here (:func:`var_attrs`, :func:`feature_coords`, :func:`global_attrs`), and every
store is written once, whole, with :func:`write_dataset`. Conventions (docs/pipeline.md):

- named dims with 1-D sorted integer coords; feature names live in a non-index coord
  ``feature_name(feature)``;
- every variable and coord carries ``long_name`` and ``units`` (``"1"`` when dimensionless);
- global ``title``, ``source``, ``references`` and provenance attrs under the single prefix
  ``provenance_`` (package version, git commit, rule, params as JSON, a hash of those params,
  library versions); no timestamps and no host names, so the same inputs give the same bytes;
- one chunk per variable (fixed chunking), Zarr format 3, ``consolidated=False`` for both
  writing and reading (consolidated metadata is not part of the Zarr 3 specification);
- atomic writes: a store is written into a hidden sibling directory and renamed into place,
  so it either exists complete or not at all (a job killed mid-write leaves no store);
  every chunk is written, even one holding only the fill value, so that
  :func:`read_dataset` can refuse a store with a missing chunk (Zarr itself would silently
  read the fill value) and raises :class:`StoreError` naming the store;
- inside a :func:`read_cache` block (one job of the pipeline), each store is read once: a
  job that reads the same store for several figures or alphas gets copies of the first read.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``), never a
regularisation strength. It is carried as its base-10 exponent ``log10_alpha`` (a canonical
decimal string in paths and attrs) and as ``log_inv_alpha = log(1/alpha)``, never as ``alpha``
itself, which underflows for the alphas the paper uses.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dln.alpha import LN10, canonical_log10_alpha, log_inv_alpha_from_log10  # noqa: F401

__all__ = [
    "CONSOLIDATED",
    "ZARR_FORMAT",
    "PROVENANCE_PREFIX",
    "REFERENCES",
    "canonical_log10_alpha",
    "log_inv_alpha_from_log10",
    "provenance_attrs",
    "params_hash",
    "to_json",
    "var_attrs",
    "feature_coords",
    "global_attrs",
    "write_dataset",
    "read_dataset",
    "read_cache",
    "check_attrs",
    "StoreError",
]

# One setting for writing and reading: Zarr 3 warns when consolidated metadata is mixed in.
CONSOLIDATED = False
ZARR_FORMAT = 3
PROVENANCE_PREFIX = "provenance_"
REFERENCES = (
    "Pesme, S. and Flammarion, N. (2023). Saddle-to-Saddle Dynamics in Diagonal Linear "
    "Networks. Advances in Neural Information Processing Systems 36, 7475-7505. "
    "arXiv:2304.00488"
)
SOURCE = "dln (reference implementation of Pesme & Flammarion 2023), Snakemake pipeline"
# Libraries whose versions are recorded in every store.
_LIBRARIES = ("numpy", "scipy", "xarray", "zarr", "pandas", "matplotlib", "snakemake")
# Hidden siblings used by write_dataset: ".<store name>.partial-<pid>-<random>" while writing,
# ".<store name>.old-<pid>-<random>" for the store being replaced.
_PARTIAL = ".partial-"
_OLD = ".old-"
# Files Snakemake may add inside a directory output; they are not part of the store.
_NON_STORE_FILES = (".snakemake_timestamp",)


class StoreError(ValueError):
    """A store is missing, incomplete or corrupt; the message names the store's path."""


# --------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------
def to_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(obj: Any):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def params_hash(params: Mapping[str, Any] | None) -> str:
    """SHA-256 of the canonical JSON of ``params`` (sorted keys, no whitespace)."""
    return hashlib.sha256(to_json(params or {}).encode()).hexdigest()


@functools.cache
def _git_commit() -> str:
    """Commit of the repository holding the installed ``dln`` sources, or ``"unknown"``.

    Asked once per process (a job writes many stores: a ``git`` subprocess each took ~6 ms
    outside a repository, ~50 ms inside one)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


@functools.cache
def _library_versions() -> dict[str, str]:
    """Versions of :data:`_LIBRARIES` and Python, looked up once per process (~18 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _package_version() -> str:
    from dln._version import __version__

    return __version__


def provenance_attrs(*, rule: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Provenance attrs under the prefix :data:`PROVENANCE_PREFIX`.

    Parameters
    ----------
    rule : str
        Snakemake rule (or function) that made the store.
    params : mapping, optional
        The configuration this job received (its Snakemake ``params``), JSON-serialisable.

    Returns
    -------
    dict
        ``provenance_package``, ``provenance_package_version``, ``provenance_git_commit``,
        ``provenance_rule``, ``provenance_params`` (canonical JSON), ``provenance_config_sha256``
        (SHA-256 of that JSON: the configuration subset this store depends on) and
        ``provenance_library_versions`` (JSON). Nothing depends on the clock or the host.
        The commit is ``git rev-parse HEAD`` of the repository holding ``dln``, unless the
        environment variable ``DLN_GIT_COMMIT`` overrides it (installed copies, tests).
    """
    p = PROVENANCE_PREFIX
    return {
        f"{p}package": "dln",
        f"{p}package_version": _package_version(),
        f"{p}git_commit": os.environ.get("DLN_GIT_COMMIT") or _git_commit(),
        f"{p}rule": str(rule),
        f"{p}params": to_json(params or {}),
        f"{p}config_sha256": params_hash(params),
        f"{p}library_versions": to_json(_library_versions()),
    }


# --------------------------------------------------------------------------------------------
# building datasets (used by the store layouts of each result type)
# --------------------------------------------------------------------------------------------
def var_attrs(long_name: str, units: str = "1", description: str | None = None) -> dict[str, str]:
    """``long_name`` and ``units`` (and ``description`` when given) of a variable or coord."""
    out = {"long_name": long_name, "units": units}
    if description:
        out["description"] = description
    return out


def feature_coords(n_features: int, feature_names: Sequence[str] | None) -> dict[str, Any]:
    """The coords ``feature`` (0-based index) and ``feature_name`` (default ``x0``, ``x1``, ...)."""
    names = (
        [f"x{j}" for j in range(n_features)]
        if feature_names is None
        else [str(n) for n in feature_names]
    )
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} entries, expected {n_features}")
    return {
        "feature": ("feature", np.arange(n_features), var_attrs("feature index")),
        "feature_name": ("feature", np.array(names, dtype=object), var_attrs("feature name")),
    }


def global_attrs(title: str, **extra: Any) -> dict[str, Any]:
    """Global ``title``, ``source`` and ``references`` of a store, then ``extra``."""
    out = {"title": title, "source": SOURCE, "references": REFERENCES}
    out.update(extra)
    return out


# --------------------------------------------------------------------------------------------
# writing and reading
# --------------------------------------------------------------------------------------------
def check_attrs(ds: xr.Dataset) -> None:
    """Raise ``ValueError`` unless every variable and coord has ``long_name`` and ``units``."""
    missing = [
        name
        for name, var in ds.variables.items()
        if "long_name" not in var.attrs or "units" not in var.attrs
    ]
    if missing:
        raise ValueError(f"variables without long_name/units attrs: {sorted(map(str, missing))}")
    for key in ("title", "source", "references"):
        if key not in ds.attrs:
            raise ValueError(f"dataset lacks the global attr {key!r}")


def write_dataset(
    ds: xr.Dataset,
    path: str | os.PathLike,
    *,
    rule: str,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``ds`` as a whole Zarr store at ``path`` (``mode="w"``), with provenance attrs.

    Every variable is one chunk (fixed chunking) and object strings are stored as the Zarr 3
    ``string`` type. The same dataset and params always give the same bytes.

    The write is atomic: the store is written into a hidden sibling directory
    ``.<name>.partial-<pid>-<random>`` and renamed to ``path`` only when complete, so ``path``
    holds either the whole new store or nothing (or, if it existed, the old store until the
    rename). A write that fails removes its partial directory; one killed outright leaves
    it behind, and the next write of the same ``path`` removes it. Two processes must not
    write the same ``path`` at once (Snakemake never does). Every chunk is written, even one
    that holds only the fill value, and the global attr ``store_arrays`` lists the arrays:
    :func:`read_dataset` checks both.
    """
    check_attrs(ds)
    _forget(path)
    ds = ds.copy()
    ds.attrs = {**ds.attrs, **provenance_attrs(rule=rule, params=params)}
    ds.attrs["store_arrays"] = to_json(sorted(map(str, ds.variables)))
    strings = {
        name: var.copy(data=np.asarray(var.values, dtype=object))
        for name, var in ds.variables.items()
        if var.dtype.kind in "UST"
    }
    ds = _replace_variables(ds, strings)
    encoding = {}
    for name, var in ds.variables.items():
        encoding[name] = {"chunks": tuple(var.shape)} if var.ndim else {}
        var.encoding = {}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(path)
    token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    partial = path.with_name(f".{path.name}{_PARTIAL}{token}")
    try:
        _to_zarr(ds, partial, encoding)
        if path.exists() or path.is_symlink():
            old = path.with_name(f".{path.name}{_OLD}{token}")
            os.rename(path, old)
            os.rename(partial, path)
            _remove(old)
        else:
            os.rename(partial, path)
    except BaseException:
        _remove(partial)
        raise
    return path


# Stores up to this size (of their arrays in memory) are encoded into a dict first and then
# written file by file; larger ones go through Zarr's LocalStore, so as not to hold a second,
# encoded copy in memory. LocalStore hands every file operation to a thread pool and back: for
# the pipeline's stores (a dozen arrays, kilobytes to megabytes) the in-memory way takes about
# half the time (~20 ms instead of ~40 ms a store, measured), with the same files and bytes
# (tested).
MEMORY_ENCODE_BYTES = 64 * 2**20


def _to_zarr(ds: xr.Dataset, directory: Path, encoding: dict) -> None:
    """Write ``ds`` as a new Zarr store at ``directory`` (which must not exist)."""
    kwargs = dict(
        mode="w-",
        consolidated=CONSOLIDATED,
        zarr_format=ZARR_FORMAT,
        encoding=encoding,
        write_empty_chunks=True,
    )
    if ds.nbytes > MEMORY_ENCODE_BYTES:
        ds.to_zarr(directory, **kwargs)
        return
    from zarr.storage import MemoryStore

    files: dict = {}  # store key ("name/c/0", "zarr.json") -> encoded bytes
    ds.to_zarr(MemoryStore(files), **kwargs)
    directory.mkdir()
    made = {directory}
    for key in sorted(files):  # a key is the file's path in the store, as LocalStore lays it out
        file = directory.joinpath(*key.split("/"))
        if file.parent not in made:
            file.parent.mkdir(parents=True, exist_ok=True)
            made.add(file.parent)
        file.write_bytes(files[key].to_bytes())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _remove_stale_siblings(path: Path) -> None:
    """Remove what killed writes of ``path`` left behind (partial and replaced stores)."""
    if not path.parent.is_dir():
        return
    for marker in (_PARTIAL, _OLD):
        for stale in path.parent.glob(f".{path.name}{marker}*"):
            _remove(stale)


def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open a store written by :func:`write_dataset`, load it into memory and close it.

    Raises
    ------
    StoreError
        If the store does not exist, has no or broken Zarr metadata, lacks an array listed in
        its ``store_arrays`` attr, lacks a chunk, or cannot be decoded. The message names the
        store; Zarr's own exception is not chained, since it points deep into Zarr.
    """
    path = Path(path)
    cached = _cached(path)
    if cached is not None:
        return cached
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise StoreError(f"store {str(path)!r} {what}")
    if not (path / "zarr.json").is_file():
        raise StoreError(
            f"store {str(path)!r} has no zarr.json: not a Zarr 3 store, or an incomplete write; "
            "delete it and rerun the rule that makes it"
        )
    problem = None
    try:
        with warnings.catch_warnings():
            # Snakemake marks directory outputs with a .snakemake_timestamp file, which Zarr
            # reports as an unknown object; it is harmless.
            warnings.filterwarnings("ignore", message=".*snakemake_timestamp.*")
            store = _store_for_reading(path)
            problem = _missing_parts(store)
            if problem is None:
                with xr.open_zarr(store, consolidated=CONSOLIDATED, zarr_format=ZARR_FORMAT) as ds:
                    out = ds.load()
    except Exception as exc:  # any Zarr or xarray failure means an unreadable store
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        problem = f"cannot be read ({type(exc).__name__}: {detail[:300]})"
    if problem is not None:
        raise StoreError(
            f"store {str(path)!r} is corrupt or incomplete: {problem}; delete it and rerun "
            "the rule that makes it"
        )
    out.attrs.pop("store_arrays", None)
    strings = {}
    for name, var in out.variables.items():
        if var.dtype.kind == "T" or var.dtype == object:
            text = np.array([str(v) for v in var.values.ravel()]).reshape(var.shape)
            strings[name] = var.copy(data=text)
    out = _replace_variables(out, strings)
    _remember(path, out)
    return out


# The stores read so far in the current read_cache() block, by resolved path; None outside one.
_READ_CACHE: dict[Path, xr.Dataset] | None = None


@contextlib.contextmanager
def read_cache():
    """Within this block, :func:`read_dataset` reads each store once and returns a deep copy of
    that first read on later calls (callers may modify what they get). :func:`write_dataset`
    forgets the store it (re)writes. For one job of the pipeline, whose input stores do not
    change while it runs: a figure job reads the same problem, saddles and flow stores for
    several figures, a sweep the problem and saddles stores for every alpha. Nested blocks share
    the outermost one's cache; it is dropped when that block ends.
    """
    global _READ_CACHE
    outermost = _READ_CACHE is None
    if outermost:
        _READ_CACHE = {}
    try:
        yield
    finally:
        if outermost:
            _READ_CACHE = None


def _cache_key(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _cached(path: Path) -> xr.Dataset | None:
    if _READ_CACHE is None:
        return None
    ds = _READ_CACHE.get(_cache_key(path))
    return None if ds is None else ds.copy(deep=True)


def _remember(path: Path, ds: xr.Dataset) -> None:
    if _READ_CACHE is not None:
        _READ_CACHE[_cache_key(path)] = ds.copy(deep=True)


def _forget(path: str | os.PathLike) -> None:
    if _READ_CACHE is not None:
        _READ_CACHE.pop(_cache_key(Path(path)), None)


def _store_for_reading(path: Path):
    """``path``, or for a store of at most :data:`MEMORY_ENCODE_BYTES` on disk, a read-only
    MemoryStore of its files, each read once in order (the reading counterpart of
    :func:`_to_zarr`: ~10 ms instead of ~20 ms for a pipeline store, measured)."""
    files = []
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            file = os.path.join(root, name)
            total += os.path.getsize(file)
            files.append(file)
    if total > MEMORY_ENCODE_BYTES:
        return path
    from zarr.core.buffer import default_buffer_prototype

    buffer = default_buffer_prototype().buffer
    contents = {}
    for file in files:
        with open(file, "rb") as f:
            contents[Path(file).relative_to(path).as_posix()] = buffer.from_bytes(f.read())
    return _files_store()(contents, read_only=True)


@functools.cache
def _files_store():
    """A MemoryStore class whose ``list_prefix`` lists the keys under a prefix as a folder,
    as LocalStore does. Zarr 3.1's MemoryStore matches the prefix as a string: listing the
    chunks of array ``feature`` also returned those of ``feature_name``, and Zarr then failed
    (``nchunks_initialized``)."""
    from zarr.storage import MemoryStore

    class FilesStore(MemoryStore):
        async def list_prefix(self, prefix: str):
            folder = prefix.rstrip("/")
            async for key in super().list_prefix(folder):
                if not folder or key.startswith(folder + "/"):
                    yield key

    return FilesStore


def _missing_parts(store) -> str | None:
    """What is missing from a store (arrays listed in ``store_arrays``, chunks), or None."""
    import zarr

    group = zarr.open_group(store, mode="r", zarr_format=ZARR_FORMAT)
    arrays = dict(group.arrays())
    listed = group.attrs.get("store_arrays")
    if listed is not None:
        missing = sorted(set(json.loads(listed)) - set(arrays))
        if missing:
            return f"array(s) {missing} missing"
    for name in sorted(arrays):
        array = arrays[name]
        have, need = array.nchunks_initialized, array.nchunks
        if have < need:
            return f"array {name!r} has {have} of its {need} chunk(s)"
    return None


def _replace_variables(ds: xr.Dataset, new: Mapping[str, xr.Variable]) -> xr.Dataset:
    """``ds`` with the variables (data or coords) in ``new`` replaced, roles kept."""
    coords = {k: v for k, v in new.items() if k in ds.coords}
    data = {k: v for k, v in new.items() if k not in ds.coords}
    if coords:
        ds = ds.assign_coords(coords)
    if data:
        ds = ds.assign(data)
    return ds
