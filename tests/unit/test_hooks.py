"""The end-of-run hook of the Snakefile (dln.pipeline.hooks)."""

import threading

from dln.pipeline.hooks import release_scheduler_timers


def _snakemake_function(fired):
    def reevaluate():  # what Snakemake's scheduler hands its timers
        fired.append("snakemake")

    reevaluate.__module__ = "snakemake.scheduling.job_scheduler"
    return reevaluate


def test_release_cancels_snakemake_timers_and_nothing_else():
    fired = []
    timer = threading.Timer(60.0, _snakemake_function(fired))
    own = threading.Timer(60.0, lambda: fired.append("own"))  # a caller's timer
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    for thread in (timer, own, worker):
        thread.start()
    try:
        assert release_scheduler_timers() == 1
        timer.join(timeout=5.0)
        assert not timer.is_alive()  # the interpreter no longer waits for it
        assert fired == []  # its function never runs
        assert own.is_alive() and worker.is_alive()  # other threads are left alone
        assert release_scheduler_timers() == 0
    finally:
        timer.cancel()
        own.cancel()
        stop.set()
