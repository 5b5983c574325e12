"""Hooks the Snakefile runs around a workflow run: while it is parsed, and when the run ends
(``onsuccess`` and ``onerror``).

**The garbage collector.** Python's cyclic garbage collector passes over the young objects every
few hundred allocations, and over all of them whenever the older ones have grown by a quarter.
Snakemake's start-up, the parse of this workflow (the plan, the rules, the DAG) and the
interpreter's shutdown create or free hundreds of thousands of objects that are never garbage:
the passes over them found nothing to free. On ``config/test.yaml`` (3 alternating pairs of
runs with and without these hooks) the first job started 0.1-0.2 s sooner with them and the
exit followed the last job by 0.05 s instead of 0.45-0.6 s: the whole run took 6.6-7.1 s
instead of 7.7-7.9 s. :func:`parse_started` turns the automatic passes off
for the parse; :func:`parse_finished` moves everything alive then (Snakemake's modules, the
workflow, the plan) to the collector's permanent generation (:func:`gc.freeze`) and turns them
back on, so the run's own garbage is still collected; :func:`run_finished` freezes what is left
when the run is over, so the interpreter's final passes skip it. Only in the ``snakemake``
command's own process: Snakemake run from Python (its API, a notebook) is left as it is, since
frozen objects would stay in that longer-lived process after the run.

**Snakemake's timers.**
Snakemake's scheduler re-examines its queue through :class:`threading.Timer` threads (one per
pass of its loop, firing after the ``--max-jobs-per-timespan`` span, 1 s by default). They are
not daemon threads, so the interpreter waits for the last one before it exits: every run of the
pipeline ended about 1 s after its last job (0.9-1.0 s measured over the test configuration,
about one job's start-up). Once the run is over nothing is left for them to do;
:func:`release_scheduler_timers` cancels them, so that ``snakemake`` exits without waiting for
them (end of run to exit: 1.4 s before, 0.5 s after, the rest being the interpreter's shutdown).
"""

from __future__ import annotations

import gc
import sys
import threading
from pathlib import Path

# Whether parse_started turned the collector off (and parse_finished must turn it back on).
_paused = False


def in_snakemake_command() -> bool:
    """Whether this process is the ``snakemake`` command (or ``python -m snakemake``)."""
    main = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return main.stem == "snakemake" or main.parent.name == "snakemake"


def parse_started() -> None:
    """No automatic collector passes while the Snakefile is parsed (the ``snakemake`` command)."""
    global _paused
    if in_snakemake_command() and gc.isenabled():
        gc.disable()
        _paused = True


def parse_finished() -> None:
    """Freeze what the parse left alive and turn the collector back on (see the module doc)."""
    global _paused
    if in_snakemake_command():
        gc.freeze()
    if _paused:
        gc.enable()
        _paused = False


def run_finished() -> None:
    """End of a run (``onsuccess``, ``onerror``): cancel the scheduler's timers and, in the
    ``snakemake`` command, freeze what is left so that the interpreter's exit skips it."""
    release_scheduler_timers()
    if in_snakemake_command():
        gc.freeze()


def release_scheduler_timers() -> int:
    """Cancel Snakemake's pending :class:`threading.Timer` threads; returns how many.

    Only for the end of a run (the Snakefile's ``onsuccess`` and ``onerror``): a cancelled
    timer never calls its function. Only timers whose function comes from Snakemake are
    cancelled, so a caller's own timers (Snakemake run from Python) are left alone, as are
    threads of any other kind.
    """
    timers = [
        t
        for t in threading.enumerate()
        if isinstance(t, threading.Timer)
        and t.is_alive()
        and str(getattr(t.function, "__module__", "")).startswith("snakemake")
    ]
    for timer in timers:
        timer.cancel()
    return len(timers)
