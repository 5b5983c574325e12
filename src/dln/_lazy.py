"""Lazy public names (PEP 562) for ``dln`` and its subpackages.

A package lists its public names in a literal ``_EXPORTS = {"name": "dln.module", ...}`` table
(read as text by :mod:`dln.pipeline.code` too) and gets its ``__getattr__`` and ``__dir__``
from :func:`lazy_exports`: a name's module is imported on first use, so ``import dln`` costs
nothing and each pipeline job pays only for the modules it uses.
"""

from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str], namespace: dict):
    """``(__getattr__, __dir__)`` of a package whose public names are ``exports``."""

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
