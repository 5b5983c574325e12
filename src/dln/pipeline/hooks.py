"""Hooks the Snakefile runs when a workflow run ends (``onsuccess`` and ``onerror``).

Snakemake's scheduler re-examines its queue through :class:`threading.Timer` threads (one per
pass of its loop, firing after the ``--max-jobs-per-timespan`` span, 1 s by default). They are
not daemon threads, so the interpreter waits for the last one before it exits: every run of the
pipeline ended about 1 s after its last job (0.9-1.0 s measured over the test configuration,
about one job's start-up). Once the run is over nothing is left for them to do;
:func:`release_scheduler_timers` cancels them, so that ``snakemake`` exits without waiting for
them (end of run to exit: 1.4 s before, 0.5 s after, the rest being the interpreter's shutdown).
"""

from __future__ import annotations

import threading


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
