"""dln.pipeline.code: the library modules behind each workflow script, and their hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dln.pipeline import code

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "workflow" / "scripts"


def test_numerical_jobs_depend_on_the_numerics_figures_do_not():
    solve = code.modules_used(SCRIPTS / "solve_problem.py")
    assert {"dln/flow.py", "dln/saddles.py", "dln/lp.py", "dln/problems/data.py"} <= set(solve)
    assert "scripts/simulate_flow.py" in solve  # helper scripts it imports count too
    figures = code.modules_used(SCRIPTS / "plot_jump_time_errors.py")
    assert "dln/convergence_store.py" in figures
    assert not {"dln/flow.py", "dln/lp.py", "dln/gd.py"} & set(figures)


def test_lazy_public_names_resolve_to_their_module(tmp_path):
    sources = {
        "a.py": "def main():\n    from dln import saddle_jumps\n",
        "b.py": "from dln.problems import load_data\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import dln.flow\n",
    }
    used = {}
    for name, source in sources.items():
        (tmp_path / name).write_text(source)
        used[name] = code.modules_used(tmp_path / name)
    assert "dln/saddles.py" in used["a.py"] and "dln/flow.py" not in used["a.py"]
    assert "dln/problems/data.py" in used["b.py"]
    assert "dln/flow.py" not in used["c.py"]


def test_hash_changes_with_a_used_module_only(tmp_path, monkeypatch):
    package = tmp_path / "src" / "dln"
    shutil.copytree(REPO / "src" / "dln", package)
    scripts = tmp_path / "scripts"
    shutil.copytree(SCRIPTS, scripts)
    monkeypatch.setattr(code, "PACKAGE_DIR", package)
    for cached in (code._closure, code._module_file, code._imports, code._lazy_exports):
        cached.cache_clear()

    def hashes():
        for cached in (code._closure, code._module_file, code._imports, code._lazy_exports):
            cached.cache_clear()
        return {s: code.code_hash(scripts / f"{s}.py") for s in ("solve_problem", "plot_flow")}

    before = hashes()
    assert before == hashes()  # deterministic
    (package / "lp.py").write_text((package / "lp.py").read_text() + "\n# edit\n")
    after = hashes()
    assert after["solve_problem"] != before["solve_problem"]
    assert after["plot_flow"] == before["plot_flow"]
    # the script itself is Snakemake's to watch, unless asked
    script = scripts / "plot_flow.py"
    plain = code.code_hash(script)
    script.write_text(script.read_text() + "\n# edit\n")
    code._closure.cache_clear()
    assert code.code_hash(script) == plain
    assert code.code_hash(script, include_self=True) != plain


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_every_script_has_a_hash(script):
    assert len(code.code_hash(SCRIPTS / script)) == 64
