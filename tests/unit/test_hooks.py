"""The Snakefile's hooks (dln.pipeline.hooks) and the job scripts' garbage-collector handling
(workflow/scripts/_helpers.py)."""

import ast
import gc
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from dln.pipeline import hooks
from dln.pipeline.hooks import release_scheduler_timers

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "workflow" / "scripts"
RULES = REPO / "workflow" / "rules"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


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


# ------------------------------------------------------------------ the garbage collector
@pytest.fixture
def collector():
    """Leave the test process's collector as it was: enabled, nothing frozen."""
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.parametrize(
    ("argv0", "expected"),
    [
        ("/opt/venv/bin/snakemake", True),
        ("C:/venv/Scripts/snakemake.exe", True),
        ("/usr/lib/python3.11/site-packages/snakemake/__main__.py", True),  # python -m snakemake
        ("/opt/venv/bin/pytest", False),
        ("", False),  # python -c, a notebook kernel
    ],
)
def test_in_snakemake_command(monkeypatch, argv0, expected):
    monkeypatch.setattr(sys, "argv", [argv0])
    assert hooks.in_snakemake_command() is expected


def test_parse_hooks_pause_then_freeze_in_the_snakemake_command(monkeypatch, collector):
    monkeypatch.setattr(sys, "argv", ["/opt/venv/bin/snakemake"])
    before = gc.get_freeze_count()
    hooks.parse_started()
    assert not gc.isenabled()  # no passes while the Snakefile is parsed
    hooks.parse_finished()
    assert gc.isenabled()  # the run's own garbage is collected again
    assert gc.get_freeze_count() > before  # what the parse left alive is exempt
    gc.unfreeze()
    hooks.run_finished()
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_parse_hooks_leave_an_embedding_process_alone(monkeypatch, collector):
    monkeypatch.setattr(sys, "argv", [""])  # Snakemake run from Python: a notebook, the API
    hooks.parse_started()
    assert gc.isenabled()
    hooks.parse_finished()
    hooks.run_finished()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_parse_finished_keeps_a_collector_the_caller_turned_off(monkeypatch, collector):
    monkeypatch.setattr(sys, "argv", ["/opt/venv/bin/snakemake"])
    gc.disable()
    hooks.parse_started()
    hooks.parse_finished()
    assert not gc.isenabled()


def test_imports_without_gc_restores_the_collector(collector):
    from _helpers import imports_without_gc

    with imports_without_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ImportError), imports_without_gc():
        import dln_no_such_module  # noqa: F401
    assert gc.isenabled()
    gc.disable()
    with imports_without_gc():
        pass
    assert not gc.isenabled()  # a caller's choice is kept
    assert gc.get_freeze_count() == 0  # importing a script freezes nothing


def _rule_scripts():
    names = set()
    for smk in RULES.glob("*.smk"):
        names.update(re.findall(r'"\.\./scripts/(\w+)\.py"', smk.read_text()))
    return sorted(names)


def test_every_rule_script_imports_without_gc_passes():
    """A rule script's module-level imports (what it needs for its work) run inside
    ``with imports_without_gc():``, and its job freezes them (``configure_logging``)."""
    scripts = _rule_scripts()
    assert {"solve_problem", "plot_figures", "fit_convergence", "write_lasso_path"} <= set(scripts)
    for name in scripts:
        tree = ast.parse((SCRIPTS / f"{name}.py").read_text())
        guarded = []
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                assert ast.unparse(node) == "from _helpers import imports_without_gc", name
            elif isinstance(node, ast.With) and "imports_without_gc" in ast.unparse(node):
                guarded += node.body
        assert guarded, f"{name}: no imports_without_gc block"
        main = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n))
        assert re.search(r"configure_logging|run_study_job", ast.unparse(main)), name


def test_a_job_freezes_its_imports_and_keeps_collecting(tmp_path):
    """In a job's process: no passes during the imports, then the imports are frozen and the
    collector is on for the work (cycles the work leaves behind are freed)."""
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import gc, sys, weakref
            sys.path.insert(0, {str(SCRIPTS)!r})
            from _helpers import configure_logging, imports_without_gc
            with imports_without_gc():
                assert not gc.isenabled()
                import xarray
            configure_logging({str(tmp_path / "job.log")!r})
            assert gc.isenabled() and gc.get_freeze_count() > 10_000
            class Node:
                pass
            a, b = Node(), Node()
            a.b, b.a = b, a
            ref = weakref.ref(a)
            del a, b
            gc.collect()
            assert ref() is None
            print("ok")
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert "startup and imports" in (tmp_path / "job.log").read_text()
