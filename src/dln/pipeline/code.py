"""The library code a workflow script runs, as one hash per script.

Snakemake reruns a job when its script changes (the ``code`` rerun trigger), but not when a
module of ``dln`` that the script imports changes. Every rule therefore carries a ``code``
params entry: the SHA-256 of the source of every module the script imports, followed
transitively through ``dln`` and through the helper modules of ``workflow/scripts``. Imports are
read from the source (:mod:`ast`), nothing is executed, so this costs milliseconds at parse
time. An edit to ``dln/flow.py`` reruns the jobs whose scripts reach it, and nothing else.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

# The root of the installed package (src/dln).
PACKAGE_DIR = Path(__file__).resolve().parents[1]


@cache
def _module_file(name: str, scripts_dir: Path) -> Path | None:
    """Source file of module ``name`` if it belongs to ``dln`` or to the scripts directory."""
    parts = name.split(".")
    if parts[0] == "dln":
        base = PACKAGE_DIR.joinpath(*parts[1:])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None
    if len(parts) == 1:
        candidate = scripts_dir / f"{name}.py"
        return candidate if candidate.is_file() else None
    return None


@cache
def _lazy_exports(package: str) -> dict[str, str]:
    """A package's lazily imported public names (its ``_EXPORTS`` table, PEP 562), e.g.
    ``{"saddle_jumps": "dln.saddles", ...}`` for ``dln``; empty if it has none."""
    init = PACKAGE_DIR.joinpath(*package.split(".")[1:], "__init__.py")
    if not init.is_file():
        return {}
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets
        ):
            return dict(ast.literal_eval(node.value))
    return {}


def _package_of(path: Path) -> str | None:
    """Dotted package of a file inside ``dln`` (for relative imports), else None."""
    try:
        rel = path.resolve().relative_to(PACKAGE_DIR.parent)
    except ValueError:
        return None
    # dln/a/__init__.py and dln/a/b.py both live in package dln.a
    return ".".join(rel.with_suffix("").parts[:-1])


def _statements(body):
    """Every statement in ``body``, nested ones included (imports are statements, so the
    expressions need not be walked), except those under ``if TYPE_CHECKING:`` (never run)."""
    for node in body:
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _statements(node.orelse)
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, name, None) or [])


@cache
def _imports(path: Path) -> frozenset[str]:
    """Dotted names of every module imported anywhere in ``path`` (also inside functions).

    ``from dln import flow`` yields both ``dln`` and ``dln.flow``: a name imported from a
    package may be a submodule, and the package's own file is counted as well.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _package_of(path)
    names: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level and package is not None:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            if not module:
                continue
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return frozenset(names)


@cache
def _closure(script: Path, scripts_dir: Path) -> tuple[Path, ...]:
    """Every ``dln`` module and helper script reachable from ``script`` by imports, sorted."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            # importing dln.a.b runs dln/__init__.py and dln/a/__init__.py too
            parts = name.split(".")
            package, _, attr = name.rpartition(".")
            if parts[0] == "dln" and attr in _lazy_exports(package):
                # `from dln import saddle_jumps`: the module that defines the name
                parts = _lazy_exports(package)[attr].split(".")
            for i in range(1, len(parts) + 1):
                found = _module_file(".".join(parts[:i]), scripts_dir)
                if found is not None and found not in seen:
                    todo.append(found)
    seen.discard(script)
    return tuple(sorted(seen))


def modules_used(script: str | Path) -> list[str]:
    """The files (relative names) whose edits rerun the jobs of ``script``; for docs and tests."""
    script = Path(script).resolve()
    root = PACKAGE_DIR.parent
    out = []
    for path in _closure(script, script.parent):
        try:
            out.append(str(path.relative_to(root)))
        except ValueError:
            out.append(str(path.relative_to(script.parent.parent)))
    return out


def code_hash(script: str | Path, *, include_self: bool = False) -> str:
    """SHA-256 (hex) of the sources of every module ``script`` imports, transitively.

    The script itself is left out unless ``include_self`` (Snakemake's own ``code`` trigger
    covers a rule's script, not the scripts it loads by name). The hash covers file names and
    contents, so renaming or moving a module changes it too.
    """
    script = Path(script).resolve()
    digest = hashlib.sha256()
    root = PACKAGE_DIR.parent
    files = _closure(script, script.parent)
    for path in (script, *files) if include_self else files:
        try:
            name = path.relative_to(root)
        except ValueError:
            name = Path(path.name)
        digest.update(str(name).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
