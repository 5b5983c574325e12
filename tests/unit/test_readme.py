"""The documentation's Python examples run as written (so the documentation stays true).

The examples live in docs/library.md (and any other page of README.md or docs/ that shows a
``python`` block); every block of every page is executed in a fresh namespace.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)
EXAMPLES = [
    pytest.param(page, i, block, id=f"{page.relative_to(ROOT)}:{i}")
    for page in PAGES
    for i, block in enumerate(BLOCK.findall(page.read_text()))
]


def test_library_page_has_examples():
    assert BLOCK.findall((ROOT / "docs" / "library.md").read_text()), "no python example"


@pytest.mark.parametrize(("page", "index", "block"), EXAMPLES)
def test_python_example_runs(page, index, block, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples use paths relative to the repository, as a user would
    exec(compile(block, f"{page}:block{index}", "exec"), {})


SHELL = re.compile(r"```bash\n(.*?)```", flags=re.S)
CLI = [
    pytest.param(page, line, id=f"{page.relative_to(ROOT)}:{line.split()[2]}")
    for page in PAGES
    for block in SHELL.findall(page.read_text())
    for line in block.splitlines()
    if line.startswith("dln path ")
]


def test_readme_shows_the_command_line():
    assert any(page == ROOT / "README.md" for page, *_ in (p.values for p in CLI))


@pytest.mark.parametrize(("page", "line"), CLI)
def test_command_line_example_runs(page, line, tmp_path, monkeypatch, capsys):
    """Each `dln path ...` line of the docs, with its output files written to a temporary
    directory, prints the activation table and writes what it names."""
    import shlex

    from dln.cli import main

    monkeypatch.chdir(ROOT)
    argv = shlex.split(line)[1:]
    for flag in ("--plot", "--csv"):
        if flag in argv:
            i = argv.index(flag) + 1
            argv[i] = str(tmp_path / Path(argv[i]).name)
    assert main(argv) in (0, None)
    out = capsys.readouterr().out
    assert "saddle" in out.lower()
    for flag in ("--plot", "--csv"):
        if flag in argv:
            assert Path(argv[argv.index(flag) + 1]).stat().st_size > 0
