# Your own data in one command:
#
#   snakemake --cores 2 --config data=path/to/file.csv target=column_name
#
# Included by the Snakefile after the schema validation and before common.smk. When the config
# key `data` is set (normally from the command line), the configuration is rewritten to study
# that file alone: `problems` becomes one problem read by dln.problems.load_data (standardised
# unless standardize=false), with the alphas `data_log10_alpha` and a log-spaced time grid that
# starts before its first jump; the paper's report figures and the robustness studies are
# switched off, and the baseline comparison (saddles, Lasso, OMP) runs on it. Without `data`
# nothing changes (`target`, `data_name` then must not be set either).
#
# `--config` is merged into the workflow's config file (config/config.yaml, or the file given
# with --configfile), so the paper's keys are there too; they are replaced here, not mixed in.

from pathlib import Path


class DataShortcutError(ValueError):
    """A command-line data shortcut value that cannot be used."""


def _shortcut_fail(key, message):
    raise DataShortcutError(f"config key '{key}': {message}")


def _problem_name_from_path(path):
    """A problem name (letters, digits, underscores, starting with a letter) from a file stem."""
    import re

    stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(path).stem) or "data"
    return stem if stem[0].isalpha() else f"data_{stem}"


def apply_data_shortcut(cfg, *, schema):
    """Rewrite ``cfg`` for the one-command run on a user's file (see the header)."""
    import re

    import numpy as np

    from dln.problems import load_data

    path = cfg.get("data")
    if path is None:
        for key in ("target", "data_name"):
            if cfg.get(key) is not None:
                _shortcut_fail(
                    key, "only used with data=<file>; add data=path/to/file.csv"
                )
        return
    path = str(path)
    name = cfg.get("data_name")
    name = _problem_name_from_path(path) if name is None else str(name)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        _shortcut_fail(
            "data_name",
            f"{name!r} is not a problem name; allowed: letters, digits, underscores, "
            "starting with a letter",
        )
    target = cfg.get("target")
    target = None if target is None else str(target)  # `target=1` arrives as an int
    if not Path(path).is_file():
        _shortcut_fail(
            "data",
            f"file {path!r} does not exist (relative paths are read from the working "
            f"directory {str(Path.cwd())!r}); allowed: an existing .csv or .npz file",
        )
    try:
        problem = load_data(
            path, target=target, standardize=bool(cfg["standardize"]), name=name
        )
    except ValueError as exc:
        _shortcut_fail("target" if "target" in str(exc) else "data", str(exc))
    b = np.abs(problem.X.T @ problem.y) / problem.n_samples
    if not np.any(b > 0):
        _shortcut_fail("data", "X^T y = 0: no feature is correlated with the target")
    t_1 = 1.0 / float(b.max())  # first jump time of Algorithm 1
    t_min = float(f"{t_1 / 5:.3g}")
    cfg["problems"] = {
        name: {
            "data": {
                "path": path,
                "target": target,
                "standardize": bool(cfg["standardize"]),
            },
            "log10_alpha": list(cfg["data_log10_alpha"]),
            "time": {"t_min": t_min, "spacing": "log"},
        }
    }
    cfg["report_figures"] = {}
    cfg["studies"] = {"baselines": {"problems": [name]}}
    # fill in the defaults of the new entries as the Snakefile's validation did
    validate(cfg, schema, set_default=True)


apply_data_shortcut(
    config,
    schema=str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"),
)
