"""Helpers shared by the workflow scripts: logging to the rule's log file, saving figures.

Snakemake puts this directory on ``sys.path`` of every script it runs; tests do the same.
"""

import atexit
import contextlib
import gc
import logging
import math
import os
import sys
import time
import warnings
from pathlib import Path

# Metadata that would make figure files depend on the clock or the library build.
PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}


def configure_logging(log_path: str) -> None:
    """Send logging, warnings and uncaught exceptions of this script to ``log_path``."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=log_path,
        filemode="w",
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.captureWarnings(True)
    warnings.simplefilter("default")

    def excepthook(kind, value, tb):
        logging.getLogger("dln.workflow").error("uncaught exception", exc_info=(kind, value, tb))
        sys.__excepthook__(kind, value, tb)

    sys.excepthook = excepthook
    _log_overhead()
    _freeze_heap()


def _log_overhead() -> None:
    """Log the time spent before the script's own work (interpreter start, preamble, imports)
    and, at exit, the time of the work itself: the per-job overhead of the pipeline."""
    log = logging.getLogger("dln.workflow.timing")
    try:  # Linux: process start in clock ticks since boot, against the uptime (10 ms resolution)
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    startup = uptime - ticks / os.sysconf("SC_CLK_TCK")
    t0 = time.perf_counter()
    log.info("startup and imports: %.3f s", startup)
    atexit.register(lambda: log.info("work: %.3f s", time.perf_counter() - t0))


@contextlib.contextmanager
def imports_without_gc():
    """Within the block, the cyclic garbage collector makes no automatic passes.

    A job script's imports (numpy, scipy, xarray, zarr, matplotlib, ...) create some 270,000
    objects the collector tracks (measured on the pipeline benchmark's unit), which live as
    long as the process. Every few hundred new objects the collector passes over the young
    ones, and every so often over all of them: during the imports those passes found nothing
    to free and took about a sixth of a job's start-up (the unit's import line: 0.94 s with
    them, 0.76 s without). Module objects are never garbage, so nothing is lost; the
    collector's previous state is restored after the block (a test or a notebook importing a
    script is left as it was). Then :func:`configure_logging`, at the start of the job's work,
    freezes what the imports made.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _freeze_heap() -> None:
    """Exempt the objects alive at the start of a job's work from the collector's passes.

    :func:`gc.freeze` moves them, the imported modules above all, to a permanent generation:
    the passes during the work scan only what the work makes, and it still frees every cycle
    the work leaves behind. At exit the same is done for what remains, so that the
    interpreter's final passes skip memory that the process is about to return whole (with
    the unit's imports, 0.28 s of its 1.22 s). Only for the process of a job.
    """
    gc.freeze()
    atexit.register(gc.freeze)


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 4.0, height: float = 3.0):
    """A matplotlib figure (Agg backend, constrained layout) with ``nrows x ncols`` axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "dln"
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(width * ncols, height * nrows),
        squeeze=False,
        layout="constrained",
    )
    return fig, axes


def save_figure(fig, *, png: str, pdf: str, dpi: int) -> None:
    """Write ``fig`` as PNG and PDF without timestamps or version strings (byte-identical)."""
    import matplotlib.pyplot as plt

    try:
        solve_layout(fig, dpi)
        _save_atomic(fig, png, format="png", dpi=dpi, metadata=PNG_METADATA)
        _save_atomic(fig, pdf, format="pdf", metadata=PDF_METADATA)
    finally:
        plt.close(fig)


def solve_layout(fig, dpi: int) -> None:
    """Run ``fig``'s layout engine once, as ``savefig(dpi=dpi)`` would, then detach it.

    With a layout engine, every ``savefig`` first draws the whole figure with drawing disabled
    (to run the engine), then draws it again into the file: a figure saved as PNG and PDF was
    drawn four times, two of them only to reach the engine (~20% of a figure's saving time).
    Here the engine runs once, at the PNG's dpi, so on the text extents of savefig's pre-draw
    (each axes' ``apply_aspect`` is part of the engine's own measurements); detached, it no
    longer makes ``savefig`` pre-draw, and each format is drawn once. The files are
    byte-identical to those of plain ``savefig`` calls (tested; the pipeline's 52 figures were
    compared too).
    """
    import matplotlib as mpl

    engine = fig.get_layout_engine()
    if engine is None:
        return
    original = fig.dpi
    fig.set_dpi(dpi)
    try:
        engine.execute(fig)
    finally:
        fig.set_dpi(original)
    # None, not "none": a placeholder engine would still make savefig pre-draw the figure.
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


@contextlib.contextmanager
def shared_mathtext_cache():
    """Within the block, figures share matplotlib's parsed math text (e.g. ``$10^{-2}$``).

    matplotlib caches a parsed expression per renderer, and every figure and format gets a new
    renderer, so a figure job parsed the same log-scale tick labels again for each of its
    figures: 954 parses in the paper's four figure jobs, 352 of them distinct, at ~5 ms each
    (the ~600 repeats cost about 3 s of the four jobs' 27 s). Inside this block one cache per
    process serves them all, keyed by everything the parse depends on (expression, dpi, font,
    output type, antialiasing, hinting): the same results, so the figures are byte-identical.
    Outside the block (or with a matplotlib without this cache) nothing changes.
    """
    from matplotlib.mathtext import MathTextParser

    original = MathTextParser.__dict__.get("_parse_cached")
    parse = getattr(original, "__wrapped__", None)
    if parse is None:  # not the cache this wraps: leave matplotlib as it is
        yield
        return
    cache = {}

    def _parse_cached(self, *key):
        key = (self._output_type, *key)
        try:
            return cache[key]
        except KeyError:
            result = cache[key] = parse(self, *key[1:])
            return result

    MathTextParser._parse_cached = _parse_cached
    try:
        yield
    finally:
        MathTextParser._parse_cached = original


def _save_atomic(fig, path: str, **kwargs) -> None:
    """``fig.savefig`` into a hidden sibling file, renamed into place once complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.partial-*"):  # left by a killed job
        stale.unlink(missing_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        fig.savefig(partial, **kwargs)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# Seconds between two progress lines in a job's log.
PROGRESS_EVERY = 10.0


def progress_logger(log: logging.Logger, start: float, *, unit: str = "iterations"):
    """A ``progress(done, total)`` callback for long jobs: logs the share done and an estimate
    of the time left, at most every :data:`PROGRESS_EVERY` seconds (and at the start)."""
    last = [-math.inf]

    def report(done: int, total: int) -> None:
        now = time.perf_counter() - start
        if done and now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        left = f"about {now / done * (total - done):.0f} s left" if done else "estimating"
        share = 100 * done / max(total, 1)
        log.info("%d of %d %s (%.0f%%), %.0f s, %s", done, total, unit, share, now, left)

    return report


class JobError(RuntimeError):
    """A workflow job failed; the message names the rule, the problem and the alpha."""


@contextlib.contextmanager
def job_context(
    rule: str,
    *,
    problem: str | None = None,
    log10_alpha: str | None = None,
    figure: str | None = None,
):
    """Re-raise any exception of the job as :class:`JobError` naming problem, alpha, figure.

    ``alpha`` is the initialisation scale, given by its base-10 exponent ``log10_alpha``.
    The original exception stays chained (``__cause__``) for the traceback in the log.
    """
    try:
        yield
    except Exception as exc:
        where = [f"figure {figure!r}"] if figure is not None else []
        if problem is not None:
            where.append(f"problem {problem!r}")
        if log10_alpha is not None:
            where.append(f"log10_alpha={log10_alpha} (alpha = 1e{log10_alpha})")
        at = f" for {', '.join(where)}" if where else ""
        raise JobError(f"{rule} failed{at}: {type(exc).__name__}: {exc}") from exc


def read_flows_by_alpha(paths):
    """The flow stores at ``paths``, ordered by increasing log(1/alpha) (decreasing alpha)."""
    from dln import io

    return sorted((io.read_dataset(p) for p in paths), key=lambda f: float(f["log_inv_alpha"]))


def run_study_job(snakemake, main) -> None:
    """Run a study rule's ``main()`` with its log, its problem store, its outputs and params;
    failures name the rule and the problem (:func:`job_context`)."""
    configure_logging(snakemake.log[0])
    with job_context(snakemake.rule, problem=snakemake.params.study["problem_name"]):
        main(
            problem=snakemake.input.problem,
            output=snakemake.output.study,
            table=snakemake.output.table,
            rule=snakemake.rule,
            **snakemake.params.study,
        )
