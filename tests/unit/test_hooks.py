"""The end-of-run hook of the Snakefile (dln.pipeline.hooks)."""

import threading

from dln.pipeline.hooks import release_scheduler_timers


def test_release_cancels_pending_timers_and_nothing_else():
    fired = []
    timer = threading.Timer(60.0, lambda: fired.append("timer"))
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    timer.start()
    worker.start()
    try:
        assert release_scheduler_timers() >= 1
        timer.join(timeout=5.0)
        assert not timer.is_alive()  # the interpreter no longer waits for it
        assert fired == []  # its function never runs
        assert worker.is_alive()  # other threads are left alone
        assert release_scheduler_timers() == 0
    finally:
        timer.cancel()
        stop.set()
