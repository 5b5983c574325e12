"""The pipeline's configuration logic without Snakemake: dln.pipeline.plan and its checks.

Every malformed configuration of tests/config_cases.py goes through the same two steps as the
Snakefile (JSON-schema validation with defaults, then :func:`dln.pipeline.plan.resolve`) and
must fail with a message naming the key; every bad data file of tests/unit/test_data_files.py
too. The resolved plan of the shipped configurations is checked for what the rules rely on:
the alphas of each job, the figure table, the paths, and that nothing is recomputed at parse
time that need not be.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from dln.pipeline import figures as figure_table
from dln.pipeline import plan as plan_module
from dln.pipeline.plan import ConfigError, Paths, resolve
from tests.config_cases import CASES, base_config, make_data_dir, write_case
from tests.unit.test_data_files import ACCEPTED_DATA_FILES, BAD_DATA_FILES, write_data_file

REPO = Path(__file__).resolve().parents[2]
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def load_plan(path: Path, *, overrides: dict | None = None, cache_dir=None, check_data=True):
    """What the Snakefile does with ``--configfile path [--config overrides]``."""
    cfg = yaml.safe_load(Path(path).read_text()) or {}
    cfg.update(overrides or {})
    validate(cfg, SCHEMA, set_default=True)
    return resolve(
        cfg,
        config_files=[path],
        check_data=check_data,
        cache_dir=cache_dir,
        validate=lambda c: validate(c, SCHEMA, set_default=True),
        workflow_dir=REPO,
    )


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    root = make_data_dir(tmp_path / "w")
    monkeypatch.chdir(root)
    return root


# ---------------------------------------------------------------------------- bad configurations
def test_base_config_resolves(workdir):
    plan = load_plan(write_case(workdir, base_config()))
    assert set(plan.problems) == {"fig2_left", "tiny", "table"}


def test_cases_are_many_and_distinct():
    ids = [case[0] for case in CASES]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)


@pytest.mark.parametrize(("case_id", "config", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_rejected_with_the_key(workdir, case_id, config, expected):
    path = write_case(workdir, config)
    with pytest.raises((ConfigError, WorkflowError)) as info:
        load_plan(path, cache_dir=workdir / "cache")
    message = str(info.value)
    for text in expected:
        assert text in message, f"{case_id}: {text!r} not in\n{message}"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [case[:3] for case in BAD_DATA_FILES],
    ids=[case[0] for case in BAD_DATA_FILES],
)
def test_bad_data_file_is_rejected_with_the_key(workdir, name, content, expected):
    data = write_data_file(workdir / "data", name, content)
    cfg = base_config()
    cfg["problems"]["table"]["data"]["path"] = f"data/{data.name}"
    with pytest.raises(ConfigError) as info:
        load_plan(write_case(workdir, cfg))
    message = str(info.value)
    assert "config key 'problems.table.data" in message and data.name in message
    assert expected in message


@pytest.mark.parametrize(
    ("name", "content"),
    [case[:2] for case in ACCEPTED_DATA_FILES],
    ids=[case[0] for case in ACCEPTED_DATA_FILES],
)
def test_accepted_data_file_passes_the_checks(workdir, name, content):
    data = write_data_file(workdir / "data", name, content)
    cfg = base_config()
    cfg["problems"]["table"]["data"]["path"] = f"data/{data.name}"
    assert "table" in load_plan(write_case(workdir, cfg)).problems


def test_data_run_refuses_a_folder_of_another_file(workdir):
    """Two files of the same name (other folders) would share results/data/<name>_<target>."""
    path = write_case(workdir, base_config())
    plan = load_plan(path, overrides={"data": "data/good.csv", "target": "y"})
    store = Path(plan.problem_store("good"))
    store.mkdir(parents=True)
    params = {"source": {"data": {"path": str(workdir / "elsewhere" / "good.csv")}}}
    attrs = {"attributes": {"provenance_params": json.dumps(params)}}
    (store / "zarr.json").write_text(json.dumps(attrs))
    with pytest.raises(ConfigError, match="config key 'data_name'.*another file"):
        load_plan(path, overrides={"data": "data/good.csv", "target": "y"})
    params["source"]["data"]["path"] = "data/good.csv"  # the same file: an update, accepted
    (store / "zarr.json").write_text(
        json.dumps({"attributes": {"provenance_params": json.dumps(params)}})
    )
    load_plan(path, overrides={"data": "data/good.csv", "target": "y"})


def test_data_shortcut_errors_name_the_key(workdir):
    path = write_case(workdir, base_config())
    with pytest.raises(ConfigError, match="config key 'target'.*only used with data="):
        load_plan(path, overrides={"target": "y"})
    with pytest.raises(ConfigError, match="config key 'data'.*does not exist"):
        load_plan(path, overrides={"data": "data/nope.csv"})
    with pytest.raises(ConfigError, match="config key 'target'.*'z' not found"):
        load_plan(path, overrides={"data": "data/good.csv", "target": "z"})
    with pytest.raises(ConfigError, match="config key 'data_name'"):
        load_plan(path, overrides={"data": "data/good.csv", "data_name": "1x"})


def test_data_shortcut_studies_the_file_alone(workdir):
    path = write_case(workdir, base_config())
    plan = load_plan(path, overrides={"data": "data/good.csv", "target": "y"})
    assert list(plan.problems) == ["good"]
    # its own folders: never the paper's results, nor another target's or another file's
    assert plan.paths == Paths("results/data/good_y", "logs/data/good_y", "benchmarks/data/good_y")
    assert plan.problem_store("good") == "results/data/good_y/problems/good.zarr"
    assert all(f.outputs["png"].startswith("results/data/good_y/") for f in plan.figures)
    other = load_plan(path, overrides={"data": "data/good.csv", "target": "x1"})
    assert other.paths.results == "results/data/good_x1"
    spec = plan.problems["good"]
    assert spec.source["data"] == {"path": "data/good.csv", "target": "y", "standardize": True}
    assert spec.time["spacing"] == "log" and spec.time["t_min"] > 0
    assert dict(plan.studies) == {"baselines": {"problems": ("good",)}}
    assert not plan.report
    stems = {f.stem for f in plan.figures}
    assert "studies/baselines" in stems and not any(s.startswith("paper/") for s in stems)


# ---------------------------------------------------------------------------- the plan
@pytest.fixture(scope="module")
def paper_plan():
    return load_plan(REPO / "config" / "config.yaml", check_data=False)


def test_plan_is_immutable(paper_plan):
    with pytest.raises(AttributeError):
        paper_plan.problems = {}
    with pytest.raises(TypeError):
        paper_plan.problems["x"] = None
    with pytest.raises(TypeError):
        paper_plan.config["flow"]["rtol"] = 1.0
    assert isinstance(paper_plan.problems["fig2_left"].alphas, tuple)


def test_flow_alphas_cover_the_figures_and_one_job_runs_each_sweep(paper_plan):
    poster = paper_plan.report["poster"]
    spec = paper_plan.problems[poster["problem"]]
    assert set(poster["alphas"]) <= set(spec.flow_alphas)
    assert set(spec.alphas) <= set(spec.flow_alphas)
    for spec in paper_plan.problems.values():
        assert spec.parts == (spec.flow_alphas,)  # alphas_per_job: null
        params = paper_plan.sweep_params(spec.name, 0)
        assert params["evaluate_alphas"] == list(spec.alphas)
        for alpha in spec.flow_alphas:
            assert paper_plan.flow_store(spec.name, alpha) == paper_plan.paths.flow.format(
                problem=spec.name, part=0, log10_alpha=alpha
            )
    assert paper_plan.sweep_jobs() == []


def test_alphas_per_job_splits_the_sweep(workdir):
    cfg = base_config()
    cfg["flow"]["alphas_per_job"] = 2
    cfg["problems"]["tiny"]["log10_alpha"] = [-10, -1000, -30, -100, -5]
    plan = load_plan(write_case(workdir, cfg), check_data=False)
    tiny = plan.problems["tiny"]
    assert tiny.flow_alphas == ("-5", "-10", "-30", "-100", "-1000")
    assert tiny.parts == ((), ("-5", "-10"), ("-30", "-100"), ("-1000",))
    assert ("tiny", 3) in plan.sweep_jobs() and ("tiny", 0) not in plan.sweep_jobs()
    assert plan.sweep_params("tiny", 0)["flow_alphas"] == []
    assert plan.sweep_params("tiny", 2)["evaluate_alphas"] == ["-30", "-100"]
    assert plan.evaluation_store("tiny", "-1000").startswith("results/evaluate/tiny/part3/")
    with pytest.raises(KeyError, match="not simulated"):
        plan.flow_store("tiny", "-7")


def test_alphas_per_job_must_be_positive(workdir):
    cfg = base_config()
    cfg["flow"]["alphas_per_job"] = 0
    with pytest.raises(WorkflowError, match="alphas_per_job"):
        load_plan(write_case(workdir, cfg), check_data=False)


def test_time_grid_has_one_home():
    time = {"t_min": 0.0, "num": 5, "spacing": "linear", "t_max": None, "t_max_factor": 1.5}
    t = plan_module.time_grid(time, 2.0)
    assert t[0] == 0.0 and t[-1] == pytest.approx(3.0) and t.size == 5
    log = plan_module.time_grid({**time, "t_min": 0.1, "spacing": "log", "t_max": 10.0}, 2.0)
    assert log[0] == pytest.approx(0.1) and log[-1] == pytest.approx(10.0)


# ---------------------------------------------------------------------------- the figure table
def test_figure_table_entries_are_unique_and_complete(paper_plan):
    stems = [f.stem for f in paper_plan.figures]
    assert len(stems) == len(set(stems))
    names = {f.name for f in figure_table.FIGURES}
    assert len(names) == len(figure_table.FIGURES)
    # every configured report figure is drawn, every problem has its flow figure
    for key in ("figure1_left", "figure1_right", "figure2_left", "figure2_right"):
        assert f"paper/{key}" in stems
    assert {f"flow/{p}" for p in paper_plan.problems} <= set(stems)
    for fig in paper_plan.figures:
        if fig.category is not None:
            assert "caption" in fig.outputs and Path(fig.template).is_file(), fig.name


@pytest.mark.parametrize("config", ["config.yaml", "test.yaml", "test_studies.yaml"])
def test_figure_scripts_accept_their_arguments(config):
    plan = load_plan(REPO / "config" / config, check_data=False)
    sys.path.insert(0, str(REPO / "workflow" / "scripts"))
    try:
        for fig in plan.figures:
            module = __import__(fig.script)
            kwargs = dict(fig.kwargs)
            if fig.template is not None:
                kwargs["template"] = fig.template
            inspect.signature(module.main).bind(**kwargs)  # raises TypeError on a mismatch
    finally:
        sys.path.remove(str(REPO / "workflow" / "scripts"))


def test_figures_read_only_what_the_plan_writes(paper_plan):
    """Every store a figure reads is produced by a job of the plan (its sweep directory)."""
    produced = {paper_plan.problem_store(p) for p in paper_plan.problems}
    produced |= {paper_plan.saddles_store(p) for p in paper_plan.problems}
    for name, spec in paper_plan.problems.items():
        for part in range(len(spec.parts)):
            produced.add(paper_plan.paths.flow_dir.format(problem=name, part=part))
            produced.add(paper_plan.paths.evaluation_dir.format(problem=name, part=part))
    produced |= {paper_plan.convergence_store(p) for p in paper_plan.convergence_problems}
    produced |= {paper_plan.paths.lasso.format(problem=paper_plan.report["lasso"]["problem"])}
    for kind in paper_plan.studies:
        if kind == "baselines":
            produced |= {
                paper_plan.paths.baselines.format(problem=p)
                for p in paper_plan.studies[kind]["problems"]
            }
        else:
            produced.add(paper_plan.paths.study.format(kind=kind))
    for fig in paper_plan.figures:
        assert set(fig.deps) <= produced, (fig.name, set(fig.deps) - produced)


# ---------------------------------------------------------------------------- parse-time work
def test_no_algorithm_1_when_no_grid_can_miss_a_jump(workdir, monkeypatch):
    import dln.saddles

    def forbidden(*args, **kwargs):
        raise AssertionError("Algorithm 1 ran at parse time")

    monkeypatch.setattr(dln.saddles, "saddle_jumps", forbidden)
    cfg = base_config()
    cfg["problems"] = {"tiny": cfg["problems"]["tiny"]}  # no t_max, no t_min
    load_plan(write_case(workdir, cfg), cache_dir=workdir / "cache")


def test_algorithm_1_checks_are_cached(workdir, monkeypatch):
    import dln.saddles

    path = write_case(workdir, base_config())
    load_plan(path, cache_dir=workdir / "cache")  # fig2_left has t_max: runs Algorithm 1
    assert any((workdir / "cache").glob("*.json"))

    def forbidden(*args, **kwargs):
        raise AssertionError("Algorithm 1 ran again")

    monkeypatch.setattr(dln.saddles, "saddle_jumps", forbidden)
    load_plan(path, cache_dir=workdir / "cache")
    # the cache still rejects a bad grid (the check reads the cached jump times)
    cfg = base_config()
    cfg["problems"]["fig2_left"]["time"]["t_max"] = 0.05
    with pytest.raises(ConfigError, match="ends before the last jump"):
        load_plan(write_case(workdir, cfg), cache_dir=workdir / "cache")


def test_cache_follows_the_data_file(workdir):
    cfg = base_config()
    cfg["problems"]["table"]["time"] = {"t_max": 100.0}
    path = write_case(workdir, cfg)
    load_plan(path, cache_dir=workdir / "cache")
    (workdir / "data" / "good.csv").write_text("x1,y\n1,nan\n2,1\n")
    with pytest.raises(ConfigError, match="non-finite"):
        load_plan(path, cache_dir=workdir / "cache")


def test_reading_options_reach_the_reader(workdir):
    """`data:` entries and the data= shortcut pass drop, sep, decimal, ... to load_data."""
    (workdir / "data" / "eu.csv").write_text("id;a;b;y\nr1;1,5;2;3\nr2;0,5;-1;1\nr3;2;1,25;2\n")
    cfg = base_config()
    cfg["problems"]["table"]["data"] = {"path": "data/eu.csv", "target": "y"}
    with pytest.raises(ConfigError, match=r"problems\.table\.data.*drop=\['id'\]"):
        load_plan(write_case(workdir, cfg))
    cfg["problems"]["table"]["data"].update(
        {"drop": ["id"], "sep": ";", "decimal": ",", "standardize": False}
    )
    plan = load_plan(write_case(workdir, cfg))
    assert plan.problems["table"].source["data"]["drop"] == ("id",)
    from dln.pipeline.sources import build_problem

    problem = build_problem("table", plan.problems["table"].source)
    assert list(problem.feature_names) == ["a", "b"] and problem.X[0, 0] == 1.5
    shortcut = load_plan(
        write_case(workdir, base_config()),
        overrides={"data": "data/eu.csv", "target": "y", "drop": "id"},
    )
    assert shortcut.problems["eu"].source["data"]["drop"] == ("id",)
    with pytest.raises(ConfigError, match="config key 'drop'.*only used with data="):
        load_plan(write_case(workdir, base_config()), overrides={"drop": ["id"]})


def test_scheduling_priorities_put_the_sweeps_first_and_the_overview_before_other_figures():
    """The order Snakemake starts ready jobs in: sweeps, then the overview (it needs only the
    sweeps), then the jobs other figures wait on, alongside the convergence figures, then the
    remaining figure jobs; every figure job of the table has a priority below the sweeps'."""
    assert figure_table.PRIORITY_SWEEP > figure_table.priority(figure_table.OVERVIEW)
    assert figure_table.priority(figure_table.OVERVIEW) > figure_table.PRIORITY_FEEDS_FIGURES
    assert figure_table.priority(figure_table.CONVERGENCE) == figure_table.PRIORITY_FEEDS_FIGURES
    for job in (figure_table.PAPER, figure_table.STUDIES):
        assert figure_table.priority(job) < figure_table.PRIORITY_FEEDS_FIGURES
    sweep = figure_table.PRIORITY_SWEEP
    assert all(figure_table.priority(job) < sweep for job in figure_table.JOBS)
