"""Every figure script on a wide problem: PNG sizes within caps, no warnings (issue 12).

Figures stay readable from 3 to 2000 features. The stores are built with the library as in
``test_plotting.py``: a 60 x 800 sparse problem (~80 saddles), two alphas, a short log time
grid, the flow at rtol 1e-4 (the 100 x 2000 flow takes ~45 s, too slow for a unit test);
small noise and baseline studies on it, and the step-size and initialisation studies, whose
flows are slow on 800 features, on a 30 x 200 problem. Every figure script's ``main`` renders
into a temporary directory; each PNG must stay within a pixel cap, and no warning may be
raised (matplotlib's "constrained_layout not applied because axes sizes collapsed to zero"
and "Creating legend with loc='best' can be slow" among them).
"""

import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dln import io  # noqa: E402
from dln.baselines import comparison  # noqa: E402
from dln.problems.problem import make_problem  # noqa: E402
from dln.studies import initialisation, noise, step_size  # noqa: E402
from tests.helpers import write_pipeline_stores  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "workflow" / "scripts"
CAPTIONS = REPO / "workflow" / "report" / "captions"
sys.path.insert(0, str(SCRIPTS))

N, D = 60, 800
ALPHAS = ("-10", "-30")
DPI = 60
STEP_SIZE = {"log_inv_alpha": np.log(1e4), "steps": [0.2], "num_times": 40, "rtol": 1e-4}
INIT = {"log_inv_alphas": [np.log(1e10)], "n_directions": 1, "n_scales": 1, "num_times": 40}
INIT["rtol"] = 1e-3
# The largest PNG of any figure, in inches (at DPI): wide enough for a legend outside the
# axes and a few panels, never as tall as one row per feature.
MAX_INCHES = (20.0, 14.0)


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    return build(tmp_path_factory.mktemp("wide"))


def build(root: Path) -> dict:
    """Write the wide problem's stores under ``root``; return their paths."""
    p = make_problem(n_samples=N, n_features=D, support_size=10, noise_std=0.5, seed=3, name="wide")
    X, y, names = p.X, p.y, p.feature_names
    out, sad = write_pipeline_stores(
        root,
        p,
        t=lambda sad: np.geomspace(sad.times[1] / 5, 1.2 * sad.times[-1], 150),
        alphas=ALPHAS,
        rtol=1e-4,
    )
    assert sad.times.size > 50  # a long path: many saddles
    small = make_problem(n_samples=30, n_features=200, support_size=5, noise_std=0.5, seed=3)
    Xs, ys = small.X, small.y
    studies = {
        "noise": (noise, noise.noise_study(X, y, noise_levels=[0.0, 0.1], n_seeds=2)),
        "baselines": (comparison, comparison.baseline_comparison(X, y)),
        # the flows of these two studies are slow on 800 features: a smaller wide problem
        "step_size": (step_size, step_size.step_size_study(Xs, ys, **STEP_SIZE)),
        "initialisation": (initialisation, initialisation.initialisation_study(Xs, ys, **INIT)),
    }
    for kind, (module, study) in studies.items():
        out[kind] = root / f"{kind}.zarr"
        fnames = small.feature_names if kind in ("step_size", "initialisation") else names
        ds = module.to_dataset(study, feature_names=fnames, problem="wide")
        if kind == "step_size":  # as run_step_size_study.py / run_initialisation_study.py add
            ds.attrs.update(log10_alpha="-4", departure_rtol=step_size.DEPARTURE_RTOL)
        if kind == "initialisation":
            ds = ds.assign(
                log10_alpha=(
                    ("log_inv_alpha",),
                    np.array([-10.0]),
                    {"long_name": "log10 alpha", "units": "1"},
                )
            )
        io.write_dataset(ds, out[kind], rule="test")
    return {k: [str(p) for p in v] if isinstance(v, list) else str(v) for k, v in out.items()}


def _calls(s):
    """(stem, module name, keyword arguments but the outputs) of every figure script."""
    one = {"problem": s["problem"], "saddles": s["saddles"]}
    return [
        (
            "flow",
            "plot_flow",
            {"saddles": s["saddles"], "flows": s["flows"], "time_spacing": "log"},
        ),
        ("problems", "plot_problems", {"problems": [s["problem"]], "saddles": [s["saddles"]]}),
        ("saddles", "plot_saddles", {"saddles": [s["saddles"]]}),
        ("evaluation", "plot_evaluation", {"evaluations": s["evaluations"]}),
        ("convergence", "plot_convergence", {"convergence": [s["convergence"]]}),
        (
            "figure2_right",
            "plot_paper_panel",
            {**one, "figure": "figure2_right", "flows": s["flows"][1:], "time_scale": "log"},
        ),
        (
            "neurips_figure1",
            "plot_neurips_figure1",
            {**one, "figure": "neurips_figure1", "flows": s["flows"][1:], "time_scale": "log"},
        ),
        (
            "poster_staircase",
            "plot_poster_staircase",
            {**one, "figure": "poster_staircase", "flows": s["flows"]},
        ),
        (
            "convergence_coordinates",
            "plot_convergence_coordinates",
            {**one, "figure": "convergence_coordinates", "flows": s["flows"]},
        ),
        (
            "lasso_vs_saddles",
            "plot_lasso_comparison",
            {**one, "figure": "lasso", "lasso": s["lasso"], "time_scale": "log"},
        ),
        (
            "jump_time_errors",
            "plot_jump_time_errors",
            {"convergence": [s["convergence"]], "problems": [s["problem"]]},
        ),
        (
            "distance_metrics",
            "plot_distance_metrics",
            {"convergence": [s["convergence"]], "problems": [s["problem"]]},
        ),
        (
            "activation_timeline",
            "plot_activation_timeline",
            {"problems": [s["problem"]], "saddles": [s["saddles"]], "time_scales": {"wide": "log"}},
        ),
        ("noise_study", "plot_noise_study", {"study": s["noise"]}),
        ("baselines", "plot_baselines", {"studies": [s["baselines"]]}),
        ("step_size_study", "plot_step_size_study", {"study": s["step_size"]}),
        ("initialisation_study", "plot_initialisation_study", {"study": s["initialisation"]}),
    ]


def _png_size(path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def test_every_figure_is_readable_on_a_wide_problem(wide, tmp_path):
    sizes, problems = render(wide, tmp_path)
    assert not problems, problems


def render(wide: dict, out: Path):
    """Run every figure script into ``out``; return the PNG sizes and what went wrong."""
    import importlib
    import inspect

    tmp_path = Path(out)
    sizes, problems = {}, []
    for stem, module_name, kwargs in _calls(wide):
        module = importlib.import_module(module_name)
        params = inspect.signature(module.main).parameters
        kwargs = dict(kwargs)
        kwargs.update(png=str(tmp_path / f"{stem}.png"), pdf=str(tmp_path / f"{stem}.pdf"))
        if "caption" in params:
            kwargs["caption"] = str(tmp_path / f"{stem}.rst")
        if "template" in params:
            template = {"figure2_right": "figure2_right", "lasso_vs_saddles": "lasso_vs_saddles"}
            kwargs["template"] = str(CAPTIONS / f"{template.get(stem, stem)}.rst")
        if "table" in params:
            kwargs["table"] = str(tmp_path / f"{stem}.csv")
        kwargs["dpi"] = DPI
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module.main(**kwargs)
        problems += [f"{stem}: {w.message}" for w in caught]
        sizes[stem] = _png_size(kwargs["png"])
        width, height = sizes[stem]
        if width > MAX_INCHES[0] * DPI or height > MAX_INCHES[1] * DPI:
            problems.append(f"{stem}: {width} x {height} px")
    return sizes, problems
