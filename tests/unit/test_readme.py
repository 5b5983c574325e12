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
