"""Captions of the report's figures, filled with numbers read from the stores.

Each report figure of the figure table (dln.pipeline.figures) fills its template from
``workflow/report/captions/`` (``string.Template``: ``$name`` placeholders, so they never clash
with the Jinja syntax Snakemake applies to captions afterwards) and writes the result next to
the figure; ``snakemake --report`` uses that file as the figure's caption. Numbers are
formatted with a fixed number of significant digits, so the same stores give the same bytes.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``); it is written
as ``1e<exponent>`` from the canonical exponent string of the stores, never as a float.
"""

import json
import math
import string
from pathlib import Path

import numpy as np

# Significant digits of the numbers in captions (jump times, saddle values, slopes).
DIGITS = 4


def fmt(x, digits: int = DIGITS) -> str:
    """A number with ``digits`` significant digits (``inf``, ``nan`` spelled out)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}g}"
    return "0" if text in ("-0", "0") else text


def fmt_list(values, digits: int = DIGITS) -> str:
    """Comma-separated numbers."""
    return ", ".join(fmt(v, digits) for v in np.ravel(values))


def vector(values, digits: int = DIGITS) -> str:
    """``(v1, v2, ...)``."""
    return f"({fmt_list(values, digits)})"


def sparse_vector(values, names, digits: int = DIGITS) -> str:
    """Non-zero entries as ``name = value`` (``0`` when all vanish)."""
    parts = [f"{n} = {fmt(v, digits)}" for v, n in zip(values, names, strict=True) if v != 0]
    return ", ".join(parts) if parts else "0"


def alpha_text(ds) -> str:
    """``1e-100`` from a flow store's canonical exponent."""
    return f"1e{ds.attrs['log10_alpha']}"


def problem_setup(prob) -> dict:
    """``problem``, ``n``, ``d``, ``seed``, ``beta_star``, ``design``, ``setup_notes``."""
    params = json.loads(prob.attrs.get("generator_params", "{}"))
    seed = params.get("seed")
    names = [str(n) for n in prob["feature_name"].values]
    beta_star = sparse_vector(prob["beta_star"].values, names) if "beta_star" in prob else "unknown"
    cov = params.get("covariance")
    if params.get("generator") == "symmetric_sqrt":
        design = f"X the symmetric square root of the Gram matrix {params.get('gram')}"
    elif params.get("generator") == "make_problem":
        if cov is None:
            design = "rows x_i ~ N(0, I)"
        elif np.ndim(cov) == 1:
            design = f"rows x_i ~ N(0, H), H = diag{vector(cov, 3)}"
        else:
            design = "rows x_i ~ N(0, H), H a full covariance matrix"
        noise = float(params.get("noise_std", 0.0))
        design += ", noiseless y = X β*" if noise == 0 else f", y = X β* + {fmt(noise)} ε"
    else:
        design = f"data from {params.get('path', 'a file')}"
    return {
        "design": design,
        "problem": str(prob.attrs.get("problem", "")),
        "n": int(prob.sizes["sample"]),
        "d": int(prob.sizes["feature"]),
        "seed": "none (deterministic)" if seed is None else str(seed),
        "beta_star": beta_star,
        "setup_notes": str(params.get("notes", "")) or "none (not a preset)",
    }


def saddle_summary(sad) -> dict:
    """``n_jumps``, ``jump_times``, ``saddle_list`` (an RST bullet list), ``final_loss``."""
    times = sad["jump_time"].values
    betas = sad["beta"].values
    names = [str(n) for n in sad["feature_name"].values]
    lines = [
        f"- β_{k} at t_{k} = {fmt(times[k])}: {sparse_vector(betas[k], names)}"
        for k in range(1, times.size)
    ]
    return {
        "n_jumps": int(times.size - 1),
        "jump_times": fmt_list(times[1:]),
        "saddle_list": "\n".join(lines) if lines else "- (no jump: 0 is optimal)",
    }


def flow_summary(flows) -> dict:
    """``alphas``, ``log_inv_alphas`` and ``crossing_times`` (per flow, as an RST list)."""
    lines = [
        f"- α = {alpha_text(f)} (log(1/α) = {fmt(float(f['log_inv_alpha']))}): "
        f"{fmt_list(f['crossing_time'].values)}"
        for f in flows
    ]
    return {
        "alphas": ", ".join(alpha_text(f) for f in flows),
        "log_inv_alphas": fmt_list([float(f["log_inv_alpha"]) for f in flows]),
        "crossing_list": "\n".join(lines),
    }


def write_caption(template: str, output: str, **values) -> str:
    """Fill ``template`` with ``values`` and write it to ``output``; returns the text.

    Raises ``KeyError`` naming the placeholder when a value is missing, and ``ValueError``
    when the text would contain Jinja delimiters (Snakemake renders captions with Jinja).
    """
    text = string.Template(Path(template).read_text()).substitute(values)
    for mark in ("{{", "{%", "{#"):
        if mark in text:
            raise ValueError(f"caption {output!r} contains the Jinja delimiter {mark!r}")
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def source_paragraph(problem_stores, units: str) -> str:
    """The last paragraph of a caption: for each problem, its data, target and units (the
    stores come from the figure job's read cache, where its figures read them already)."""
    from dln import io
    from dln.units import source_sentence

    lines = [f"- {source_sentence(io.read_dataset(p).attrs, units)}" for p in problem_stores]
    return "Data:\n\n" + "\n".join(lines) + "\n"


def append_source(caption: str, problem_stores, *, units: str) -> None:
    """Append :func:`source_paragraph` to a caption written by a figure's script."""
    if not problem_stores:
        return
    path = Path(caption)
    text = path.read_text()
    path.write_text(text.rstrip("\n") + "\n\n" + source_paragraph(problem_stores, units))
