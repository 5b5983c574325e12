"""The report's plotting functions and scripts on tiny stores.

Stores are built with the library (no Snakemake): the deterministic Figure 2 (right) setup
(n = d = 3) and Figure 2 (left) (d = 2), a few alphas on coarse grids. Every plotting
script's ``main`` runs twice into two directories, and the figures, captions and the CSV table
must be byte-identical. ``alpha`` is the initialisation scale of the network.
"""

import csv
import hashlib
import math
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from dln import convergence_store, flow_store, io, saddle_store  # noqa: E402
from dln.problems import make_preset  # noqa: E402
from tests.helpers import write_pipeline_stores  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "workflow" / "scripts"
CAPTIONS = REPO / "workflow" / "report" / "captions"
sys.path.insert(0, str(SCRIPTS))

# Alphas of the tiny stores (base-10 exponents), and the coarse grids.
ALPHAS = ("-10", "-30", "-100")
GRIDS = {
    "fig2_left": {"t_min": 0.0, "t_max": 0.15, "num": 151, "spacing": "linear"},
    "fig2_right": {"t_min": 0.01, "t_max": 100.0, "num": 201, "spacing": "log"},
}


def _grid(spec):
    if spec["spacing"] == "log":
        return np.geomspace(spec["t_min"], spec["t_max"], spec["num"])
    return np.linspace(spec["t_min"], spec["t_max"], spec["num"])


def _build(root: Path, name: str) -> dict:
    """Problem, saddles, flows, evaluations, convergence and Lasso stores of one preset."""
    problem = make_preset(name)
    assert problem.name == name
    t = _grid(GRIDS[name])
    return write_pipeline_stores(root, problem, t=t, alphas=ALPHAS, rtol=1e-6)[0]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("stores")
    return {name: _build(root, name) for name in GRIDS}


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _figure_paths(root: Path, stem: str) -> dict:
    return {
        "png": str(root / f"{stem}.png"),
        "pdf": str(root / f"{stem}.pdf"),
        "caption": str(root / f"{stem}.rst"),
    }


def _run_twice(tmp_path, run, stem, extra=()):
    """Run a script's main into two directories; return the outputs of the first run."""
    outputs = []
    for sub in ("a", "b"):
        paths = _figure_paths(tmp_path / sub, stem)
        paths.update({key: str(tmp_path / sub / name) for key, name in extra})
        run(paths)
        outputs.append(paths)
    first, second = outputs
    for key in first:
        assert Path(first[key]).stat().st_size > 0, key
        assert _digest(first[key]) == _digest(second[key]), f"{key} differs between runs"
    pdf = Path(first["pdf"]).read_bytes()
    assert b"CreationDate" not in pdf and b"Matplotlib v" not in pdf
    assert b"Software" not in Path(first["png"]).read_bytes()
    return first


# ------------------------------------------------------------------------ scripts, byte-identical
@pytest.mark.parametrize(
    ("figure", "name", "alphas"),
    [
        ("figure2_left", "fig2_left", [0, 2]),  # the paper's 1e-100 solid, 1e-10 dashed order
        ("figure2_right", "fig2_right", [2]),
    ],
)
def test_paper_panel(stores, tmp_path, figure, name, alphas):
    import plot_paper_panel

    s = stores[name]
    flows = [s["flows"][i] for i in alphas]
    out = _run_twice(
        tmp_path,
        lambda p: plot_paper_panel.main(
            figure=figure,
            problem=s["problem"],
            saddles=s["saddles"],
            flows=flows,
            template=str(CAPTIONS / f"{figure}.rst"),
            time_scale=GRIDS[name]["spacing"],
            dpi=40,
            **p,
        ),
        figure,
    )
    text = Path(out["caption"]).read_text()
    sad = io.read_dataset(s["saddles"])
    for tk in sad["jump_time"].values[1:]:
        assert f"{tk:.4g}" in text
    assert "$" not in text and "{{" not in text  # every placeholder filled, no Jinja
    if name == "fig2_right":  # the saddle values of Figure 2 (right)
        assert "x1 = 1, x2 = 9, x3 = 10" in text


def test_paper_panel_rejects_unknown_figure(stores, tmp_path):
    import plot_paper_panel

    s = stores["fig2_left"]
    with pytest.raises(ValueError, match="figure must be one of"):
        plot_paper_panel.main(
            figure="figure3",
            problem=s["problem"],
            saddles=s["saddles"],
            flows=s["flows"][:1],
            template=str(CAPTIONS / "figure2_left.rst"),
            **_figure_paths(tmp_path, "x"),
        )


def test_neurips_figure1(stores, tmp_path):
    import plot_neurips_figure1

    s = stores["fig2_right"]
    out = _run_twice(
        tmp_path,
        lambda p: plot_neurips_figure1.main(
            figure="neurips_figure1",
            problem=s["problem"],
            saddles=s["saddles"],
            flows=s["flows"][:1],
            template=str(CAPTIONS / "neurips_figure1.rst"),
            time_scale="log",
            dpi=40,
            **p,
        ),
        "neurips_figure1",
    )
    text = Path(out["caption"]).read_text()
    assert "coordinates x1, x2, x3" in text and "No other coordinate" in text


def test_neurips_figure1_needs_one_flow(stores, tmp_path):
    import plot_neurips_figure1

    s = stores["fig2_right"]
    with pytest.raises(ValueError, match="exactly one flow"):
        plot_neurips_figure1.main(
            figure="neurips_figure1",
            problem=s["problem"],
            saddles=s["saddles"],
            flows=s["flows"],
            template=str(CAPTIONS / "neurips_figure1.rst"),
            **_figure_paths(tmp_path, "x"),
        )


def test_poster_and_convergence_coordinates(stores, tmp_path):
    import plot_convergence_coordinates
    import plot_poster_staircase

    s = stores["fig2_left"]
    for module, stem in (
        (plot_poster_staircase, "poster_staircase"),
        (plot_convergence_coordinates, "convergence_coordinates"),
    ):
        out = _run_twice(
            tmp_path / stem,
            lambda p, module=module, stem=stem: module.main(
                figure=stem,
                problem=s["problem"],
                saddles=s["saddles"],
                flows=list(reversed(s["flows"])),
                template=str(CAPTIONS / f"{stem}.rst"),
                dpi=40,
                **p,
            ),
            stem,
        )
        text = Path(out["caption"]).read_text()
        # alphas listed from large to small whatever the input order
        assert text.index("α = 1e-10 (") < text.index("α = 1e-30 (") < text.index("α = 1e-100 (")


def test_convergence_figures(stores, tmp_path):
    import plot_distance_metrics
    import plot_jump_time_errors

    conv = [stores[n]["convergence"] for n in GRIDS]
    probs = [stores[n]["problem"] for n in GRIDS]
    for module, stem in (
        (plot_jump_time_errors, "jump_time_errors"),
        (plot_distance_metrics, "distance_metrics"),
    ):
        out = _run_twice(
            tmp_path / stem,
            lambda p, module=module, stem=stem: module.main(
                convergence=conv,
                problems=probs,
                template=str(CAPTIONS / f"{stem}.rst"),
                dpi=40,
                **p,
            ),
            stem,
        )
        text = Path(out["caption"]).read_text()
        assert "fig2_left" in text and "fig2_right" in text
    # the fitted slopes, read from the store, are in the jump-time caption
    slope = float(io.read_dataset(stores["fig2_left"]["convergence"])["jump_slope"].values[0])
    text = (tmp_path / "jump_time_errors" / "a" / "jump_time_errors.rst").read_text()
    assert f"k = 1: {slope:.3g}" in text


def test_lasso_comparison(stores, tmp_path):
    import plot_lasso_comparison

    s = stores["fig2_right"]
    out = _run_twice(
        tmp_path,
        lambda p: plot_lasso_comparison.main(
            figure="lasso",
            problem=s["problem"],
            saddles=s["saddles"],
            lasso=s["lasso"],
            template=str(CAPTIONS / "lasso_vs_saddles.rst"),
            time_scale="log",
            dpi=40,
            **p,
        ),
        "lasso_vs_saddles",
    )
    text = Path(out["caption"]).read_text()
    assert "**3 saddles**" in text and "**3 Lasso knots**" in text


def test_activation_timeline_and_table(stores, tmp_path):
    import plot_activation_timeline

    probs = [stores[n]["problem"] for n in GRIDS]
    sads = [stores[n]["saddles"] for n in GRIDS]
    out = _run_twice(
        tmp_path,
        lambda p: plot_activation_timeline.main(
            problems=probs,
            saddles=sads,
            template=str(CAPTIONS / "activation_timeline.rst"),
            time_scales={"fig2_right": "log"},
            dpi=40,
            **p,
        ),
        "activation_timeline",
        extra=[("table", "activation_timeline.csv")],
    )
    with open(out["table"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    right = [r for r in rows if r["problem"] == "fig2_right"]
    # Figure 2 (right): x1 enters at t = 0.05, leaves at 1.05, re-enters at 15 with x3
    x1 = [
        (float(r["enter_time"]), float(r["leave_time"])) for r in right if r["feature_name"] == "x1"
    ]
    assert x1 == [pytest.approx((0.05, 1.05)), (pytest.approx(15.0), math.inf)]
    assert {r["feature_name"] for r in right if r["leave_time"] == "inf"} == {"x1", "x2", "x3"}


# ------------------------------------------------------------------------ plotting functions
def test_support_intervals_signs_and_reentry():
    """A feature that changes sign across a jump gets two intervals; gaps split intervals."""
    import xarray as xr

    betas = np.array([[0.0, 0.0], [2.0, 0.0], [-1.0, 3.0], [0.0, 3.0], [4.0, 3.0]])
    ds = xr.Dataset(
        {
            "jump_time": ("saddle", np.array([0.0, 1.0, 2.0, 3.0, 4.0])),
            "beta": (("saddle", "feature"), betas),
        },
        coords={"feature_name": ("feature", ["a", "b"])},
    )
    rows = saddle_store.support_intervals(ds)
    got = [(r["feature_name"], r["sign"], r["enter_jump"], r["leave_jump"]) for r in rows]
    assert got == [("a", 1, 1, 2), ("a", -1, 2, 3), ("b", 1, 2, None), ("a", 1, 4, None)]
    assert rows[2]["leave_time"] == math.inf and rows[0]["max_abs_beta"] == 2.0


def test_moving_features_picks_the_largest(stores):
    sad = io.read_dataset(stores["fig2_right"]["saddles"])
    assert saddle_store.moving_features(sad).tolist() == [0, 1, 2]
    assert saddle_store.moving_features(sad, 2).tolist() == [1, 2]  # max |beta|: 10 (x3), 10 (x2)
    left = io.read_dataset(stores["fig2_left"]["saddles"])
    with pytest.raises(ValueError, match="n_features = 2"):
        saddle_store.moving_features(left)


def test_paper_panel_legend_outside_and_ranges(stores):
    s = stores["fig2_right"]
    flows = [io.read_dataset(p) for p in s["flows"][2:]]
    fig, ax = plt.subplots(layout="constrained")
    flow_store.plot_paper_panel(flows, io.read_dataset(s["saddles"]), ax, time_scale="log")
    fig.canvas.draw()
    assert ax.get_xscale() == "log" and ax.get_xlim() == pytest.approx((0.01, 100.0))
    legend = ax.get_legend().get_window_extent()
    axes = ax.get_window_extent()
    assert legend.x0 >= axes.x1  # to the right of the axes, never over the data
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["x1", "x2", "x3"]
    plt.close(fig)


def test_losses_over_alpha_orders_colours_by_alpha(stores):
    s = stores["fig2_left"]
    flows = [io.read_dataset(p) for p in reversed(s["flows"])]
    fig, ax = plt.subplots()
    flow_store.plot_losses_over_alpha(flows, io.read_dataset(s["saddles"]), ax)
    labels = [line.get_label() for line in ax.get_lines()]
    assert [lab.split(",")[0] for lab in labels[:3]] == [
        r"$\alpha = 10^{-10}$",
        r"$\alpha = 10^{-30}$",
        r"$\alpha = 10^{-100}$",
    ]
    assert ax.get_xlim() == pytest.approx((0.0, 0.15))
    plt.close(fig)


def test_plot_functions_reject_empty_input(stores):
    sad = io.read_dataset(stores["fig2_left"]["saddles"])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="at least one flow"):
        flow_store.plot_paper_panel([], sad, ax)
    with pytest.raises(ValueError, match="at least one flow"):
        flow_store.plot_losses_over_alpha([], sad, ax)
    conv = io.read_dataset(stores["fig2_left"]["convergence"])
    with pytest.raises(ValueError, match="metric must be one of"):
        convergence_store.plot_metric_over_alpha([conv], ax, metric="nope")
    plt.close(fig)


def test_key_features_first_to_enter_then_largest():
    from dln.plotstyle import key_colors, key_features

    # features 0..19 enter one per step, in reverse index order; the last step is large on 0..3
    path = np.zeros((21, 30))
    for k in range(1, 21):
        path[k:, 19 - (k - 1)] = 1.0
    path[-1, :4] = [5.0, 6.0, 7.0, 8.0]
    key = key_features(path, k=8).tolist()
    assert key[:4] == [19, 18, 17, 16]  # the first four to enter, in order
    assert key[4:] == [3, 2, 1, 0]  # then the largest at the end
    assert key_features(path[:4]).tolist() == [19, 18, 17]  # few: every active feature
    assert key_features(np.zeros((3, 5))).size == 0
    colors = key_colors(30, key)
    assert len({colors[j] for j in key}) == len(key)  # distinct colours for the labelled


def test_small_problems_keep_every_feature_labelled(stores):
    """Up to MAX_LABELLED features the flow figure labels every feature, as before."""
    s = stores["fig2_right"]
    fig, ax = plt.subplots()
    flow_store.plot_flow_coordinates(io.read_dataset(s["flows"][0]), ax)
    assert [line.get_label() for line in ax.get_lines()] == ["x1", "x2", "x3"]
    plt.close(fig)


def test_shared_mathtext_cache_keeps_figures_byte_identical(tmp_path):
    """Figures drawn with the job-wide math-text cache are the bytes drawn without it, the
    second figure reuses the first one's parses, and matplotlib is restored afterwards."""
    from _helpers import new_figure, save_figure, shared_mathtext_cache
    from matplotlib.mathtext import MathTextParser

    original = MathTextParser.__dict__["_parse_cached"]
    parses = []
    inner = original.__wrapped__

    def draw(stem):
        fig, axes = new_figure(1, 2)
        for k, ax in enumerate(axes[0]):
            ax.loglog([1e-3, 1e2], [1e-5 * (k + 1), 1e3])
            ax.set_xlabel(r"$\log(1/\alpha)$")
        png, pdf = tmp_path / f"{stem}.png", tmp_path / f"{stem}.pdf"
        save_figure(fig, png=str(png), pdf=str(pdf), dpi=60)
        return png.read_bytes(), pdf.read_bytes()

    plain = draw("plain")
    original.__wrapped__ = lambda *args: parses.append(args[1]) or inner(*args)
    try:
        with shared_mathtext_cache():
            assert MathTextParser.__dict__["_parse_cached"] is not original
            first = draw("first")
            n_first = len(parses)
            second = draw("second")
    finally:
        original.__wrapped__ = inner
    assert MathTextParser.__dict__["_parse_cached"] is original
    assert first == plain and second == plain
    assert n_first > 0 and len(parses) == n_first  # the second figure parsed nothing


def _layout_figure(kind):
    """Figures whose constrained layout depends on text extents, legends and aspect."""
    from _helpers import new_figure

    fig, axes = new_figure(1, 2)
    rng = np.random.default_rng(3)
    for k, ax in enumerate(axes[0]):
        ax.set_xlabel(r"$t / \log(1/\alpha)$")
        if kind == "aspect" and k == 1:  # an image on linear axes below
            continue
        ax.loglog(np.logspace(-3, 2, 50), np.exp(rng.standard_normal(50)), label=f"x{k}")
    if kind == "legend":
        axes[0, 1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), title="features")
        fig.suptitle("a suptitle that takes room")
    elif kind == "aspect":
        axes[0, 0].set_aspect("equal")
        image = axes[0, 1].imshow(rng.standard_normal((5, 7)))
        fig.colorbar(image, ax=axes[0, 1], label="value")
    elif kind == "twin":
        axes[0, 0].twinx().plot([1, 2], [3, 4])
        axes[0, 1].set_title("title\nover two lines")
    return fig


@pytest.mark.parametrize("kind", ["legend", "aspect", "twin"])
def test_save_figure_solves_the_layout_once_with_savefigs_bytes(tmp_path, monkeypatch, kind):
    """save_figure draws each format once (solve_layout runs the engine beforehand) and writes
    the bytes that two plain savefig calls write, which draw the figure four times."""
    from _helpers import PDF_METADATA, PNG_METADATA, save_figure
    from matplotlib.figure import Figure

    fig = _layout_figure(kind)
    fig.savefig(tmp_path / "ref.png", format="png", dpi=70, metadata=PNG_METADATA)
    fig.set_layout_engine("none")
    fig.savefig(tmp_path / "ref.pdf", format="pdf", metadata=PDF_METADATA)
    plt.close(fig)

    draws = []
    original_draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: draws.append(1) or original_draw(self, r))
    fig = _layout_figure(kind)
    save_figure(fig, png=str(tmp_path / "new.png"), pdf=str(tmp_path / "new.pdf"), dpi=70)
    assert (tmp_path / "new.png").read_bytes() == (tmp_path / "ref.png").read_bytes()
    assert (tmp_path / "new.pdf").read_bytes() == (tmp_path / "ref.pdf").read_bytes()
    assert len(draws) == 2
