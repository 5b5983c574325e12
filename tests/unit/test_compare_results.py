"""tests/workflow/compare_results.py finds every kind of difference between two result trees."""

import shutil

import numpy as np
import xarray as xr

from dln import io
from tests.workflow.compare_results import compare_results


def _tree(root, monkeypatch, *, title="t", value=1.0, commit="a"):
    ds = xr.Dataset(
        {"v": (("i",), np.array([value, 2.0]), io.var_attrs("value"))},
        coords={"i": ("i", np.arange(2), io.var_attrs("index"))},
        attrs=io.global_attrs(title),
    )
    (root / "figures").mkdir(parents=True)
    (root / "figures" / "f.png").write_bytes(b"png")
    monkeypatch.setenv("DLN_GIT_COMMIT", commit)
    io.write_dataset(ds, root / "stores" / "s.zarr", rule="test")
    return root


def test_identical_trees_differing_only_in_the_commit(tmp_path, monkeypatch):
    old = _tree(tmp_path / "old", monkeypatch, commit="a")
    new = _tree(tmp_path / "new", monkeypatch, commit="b")
    assert compare_results(old, new) == []


def test_differences_are_named(tmp_path, monkeypatch):
    old = _tree(tmp_path / "old", monkeypatch)
    for name, kwargs in (("title", {"title": "u"}), ("value", {"value": 3.0})):
        new = _tree(tmp_path / name, monkeypatch, **kwargs)
        (problem,) = compare_results(old, new)
        assert problem.startswith("stores/s.zarr: Datasets differ")
    new = _tree(tmp_path / "bytes", monkeypatch)
    (new / "figures" / "f.png").write_bytes(b"PNG")
    assert compare_results(old, new) == ["figures/f.png: bytes differ"]
    (new / "figures" / "f.png").unlink()
    shutil.rmtree(new / "stores" / "s.zarr")
    assert compare_results(old, new) == [
        "stores/s.zarr: store missing in the new tree",
        "figures/f.png: file missing in the new tree",
    ]
