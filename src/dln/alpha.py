"""alpha, the initialisation scale of the network (``u0 = sqrt(2) alpha``), by its exponent.

alpha is configured, stored and carried in paths as the canonical decimal string of its
base-10 exponent (``"-100"``, ``"-2.5"``), never as a float: alphas far below what float64
can hold (``1e-1000``) are ordinary, and a float never round-trips through a path. This module
imports nothing beyond the standard library, so the pipeline's configuration check uses it at
parse time for free.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

LN10 = math.log(10.0)


def canonical_log10_alpha(value: str | int | float) -> str:
    """Canonical decimal string of the base-10 exponent of ``alpha`` (``alpha = 10**value``).

    The string is the shortest plain decimal (no exponent, no trailing zeros, no ``+``):
    ``-100``, ``-2.5``, ``-1000``. Floats are converted through ``repr`` (their shortest
    round-trip form), so ``-2.5`` and ``"-2.50"`` both give ``"-2.5"``.

    Raises
    ------
    ValueError
        If ``value`` is not a finite number, or not negative (``alpha`` must be < 1 so that
        ``log(1/alpha) > 0``).
    """
    if isinstance(value, bool):
        raise ValueError(f"log10_alpha must be a number, got {value!r}")
    try:
        dec = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"log10_alpha must be a decimal number, got {value!r}") from None
    if not dec.is_finite():
        raise ValueError(f"log10_alpha must be finite, got {value!r}")
    if dec >= 0:
        raise ValueError(f"log10_alpha must be < 0 (alpha < 1), got {value!r}")
    text = format(dec.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def log_inv_alpha_from_log10(log10_alpha: str | int | float) -> float:
    """``log(1/alpha) = -log10_alpha * log(10)`` (the paper's ``Lam``), computed without alpha."""
    return -float(Decimal(canonical_log10_alpha(log10_alpha))) * LN10
