"""The ``dln`` command: the saddle-to-saddle path of a data file, in the terminal.

``dln path FILE --target COL`` reads the file with :func:`dln.problems.load_data`, runs
Algorithm 1 (:func:`dln.saddles.saddle_jumps`: the alpha -> 0 limit of a diagonal linear
network, ``alpha`` being the initialisation scale) and prints when each feature enters or
leaves the support. ``--plot`` draws the activation timeline, ``--csv`` writes the table.
Also ``python -m dln path ...``. See docs/cli.md.

Start-up matters for a command: this module imports only the standard library; numpy, pandas,
scipy and matplotlib are imported when they are needed, Snakemake and xarray never.
"""

from __future__ import annotations

import argparse
import re
import sys

from dln.units import UNITS

__all__ = ["main"]

# At most this many features get a row of their own on the timeline figure (the first to
# enter); the others share one faint row, so the figure stays readable for thousands of them.
MAX_LABELLED = 15
# Jump times are marked by dotted lines up to this many jumps (beyond, they fill the axes).
MAX_JUMP_LINES = 40
# Height of the timeline figure: per feature row, and its cap (inches).
ROW_HEIGHT = 0.28
MAX_HEIGHT = 9.0
# Figure formats that --plot accepts (by extension), all written by matplotlib's Agg canvas.
_PLOT_FORMATS = (".png", ".pdf", ".svg")
# Colours of positive and negative coefficients (those of the pipeline's timeline figure).
_SIGN_COLORS = {1: "#c0392b", -1: "#2e6fb7"}
# Separators by name, for shells where a tab is awkward to type.
_SEP_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
# load_data keyword arguments as they appear in its messages -> the command-line options.
_OPTIONS = {
    "target": "--target",
    "drop": "--drop",
    "index_col": "--index-col",
    "categorical": "--categorical",
    "missing": "--missing",
    "sep": "--sep",
    "decimal": "--decimal",
    "na_values": "--na-values",
    "encoding": "--encoding",
}
_KEYWORD = re.compile(r"\b(" + "|".join(_OPTIONS) + r")=(\[[^\]]*\]|'[^']*'|\d+|\.\.\.)?")


class _Parser(argparse.ArgumentParser):
    """argparse, with the error raised rather than printed, so that main() returns 2."""

    def error(self, message):
        raise _UsageError(self.prog, message)


class _UsageError(Exception):
    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog


def _columns(text: str) -> list[str]:
    """``a,b`` -> ``["a", "b"]`` (a name with a comma can be given in its own option)."""
    names = [c.strip() for c in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected column names separated by commas: {text!r}")
    return names


def _separator(text: str) -> str:
    sep = _SEP_NAMES.get(text.lower(), text)
    if len(sep) != 1:
        raise argparse.ArgumentTypeError(
            f"expected one character (or tab, comma, semicolon, pipe): {text!r}"
        )
    return sep


def _index_col(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _output(suffixes: tuple[str, ...]):
    def check(text: str) -> str:
        if not text.lower().endswith(suffixes):
            raise argparse.ArgumentTypeError(f"{text!r} must end in {', '.join(suffixes)}")
        return text

    return check


def _build_parser() -> _Parser:
    from dln._version import __version__

    parser = _Parser(
        prog="dln",
        description="Saddle-to-saddle dynamics of diagonal linear networks (Pesme & "
        "Flammarion, NeurIPS 2023).",
    )
    parser.add_argument("--version", action="version", version=f"dln {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    path = commands.add_parser(
        "path",
        help="the order in which features enter (Algorithm 1) for a CSV or NPZ file",
        description="Read FILE, run Algorithm 1 (the alpha -> 0 limit of gradient flow on a "
        "diagonal linear network, alpha the initialisation scale) and print the saddles: "
        "when each feature enters or leaves the support, the loss and the l1 norm. The "
        "last saddle is the minimum-l1 interpolator (or least-squares fit).",
        epilog="Lists of columns are comma-separated and the options can be repeated, e.g. "
        "--drop id,name --categorical city. See docs/cli.md.",
    )
    path.add_argument("file", metavar="FILE", help="a .csv or .npz file")
    path.add_argument(
        "--target", metavar="COL", help="the column to predict (default: the column 'y')"
    )
    files = path.add_argument_group("reading the file (see dln.load_data)")
    files.add_argument(
        "--drop",
        metavar="COLS",
        type=_columns,
        action="extend",
        default=[],
        help="columns to leave out, e.g. an identifier",
    )
    files.add_argument(
        "--index-col",
        metavar="COL",
        type=_index_col,
        help="a column of row labels, by name or 0-based position (0: the unnamed first "
        "column DataFrame.to_csv writes)",
    )
    files.add_argument(
        "--categorical",
        metavar="COLS",
        type=_columns,
        action="extend",
        default=[],
        help="columns to one-hot encode (the first level, in sorted order, is the reference)",
    )
    files.add_argument(
        "--missing",
        choices=("error", "drop_rows"),
        default="error",
        help="refuse missing cells, or leave out the rows that have one (default: error)",
    )
    files.add_argument(
        "--na-values",
        metavar="TEXTS",
        type=_columns,
        action="extend",
        default=[],
        help="more cell texts that mark a missing value, e.g. '?'",
    )
    files.add_argument(
        "--sep",
        type=_separator,
        help="field separator (default: sniffed among , ; tab |); 'tab' for a tab",
    )
    files.add_argument(
        "--decimal",
        choices=(".", ","),
        help="decimal mark (default: ',' in a file not separated by commas that has "
        "decimal commas, else '.')",
    )
    files.add_argument("--encoding", default="utf-8", help="text encoding (default: utf-8)")
    files.add_argument(
        "--no-standardize",
        dest="standardize",
        action="store_false",
        help="use the raw columns; by default X is centred and scaled to unit variance and y "
        "centred (an intercept), as in the pipeline, dln.load_data and dln.SaddleRegressor",
    )
    files.add_argument(
        "--units",
        choices=UNITS,
        default=UNITS[0],
        help="units of the l1 norms of the coefficients: the columns' original units "
        "(default; a standardised coefficient divided by its column's standard deviation) "
        "or standardized (per standard deviation)",
    )
    outputs = path.add_argument_group("outputs")
    outputs.add_argument(
        "--plot",
        metavar="OUT",
        type=_output(_PLOT_FORMATS),
        help="write the activation timeline figure (.png, .pdf or .svg)",
    )
    outputs.add_argument(
        "--csv", metavar="OUT", type=_output((".csv",)), help="write the activation table"
    )
    path.add_argument(
        "--max-saddles",
        type=int,
        metavar="N",
        help="guard on the number of jumps (default: dln.saddle_jumps's)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``dln`` command; returns the exit status (0, 1 on failure, 2 on bad input).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    except _UsageError as exc:
        return _fail(exc.prog, str(exc), 2)
    if args.max_saddles is not None and args.max_saddles < 1:
        return _fail("dln path", f"--max-saddles must be >= 1, got {args.max_saddles}", 2)
    return _path(args)


def _fail(prog: str, message: str, code: int) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return code


def _cli_words(message: str) -> str:
    """load_data's option advice in command-line words: ``drop=['id']`` -> ``--drop id``."""

    def replace(m: re.Match) -> str:
        option, value = _OPTIONS[m.group(1)], m.group(2)
        if value is None or value == "...":
            return option + (" ..." if value else "")
        if value.startswith("["):
            value = ",".join(v.strip().strip("'\"") for v in value[1:-1].split(","))
        return f"{option} {value.strip(chr(39))}"

    return _KEYWORD.sub(replace, message).replace("standardize=False", "--no-standardize")


def _path(args) -> int:
    from dln.problems.data import load_data

    try:
        problem = load_data(
            args.file,
            target=args.target,
            standardize=args.standardize,
            drop=args.drop,
            index_col=args.index_col,
            categorical=args.categorical,
            missing=args.missing,
            sep=args.sep,
            decimal=args.decimal,
            na_values=args.na_values,
            encoding=args.encoding,
        )
    except ValueError as exc:
        return _fail("dln path", _cli_words(str(exc)), 2)

    from dln.saddles import SaddleLimitError, saddle_jumps

    try:
        result = saddle_jumps(problem.X, problem.y, max_saddles=args.max_saddles)
    except (ValueError, SaddleLimitError) as exc:
        return _fail("dln path", f"Algorithm 1 failed on {problem.params['file_name']}: {exc}", 1)
    import numpy as np

    from dln.units import to_units

    # the l1 norm of every saddle, in the units asked for (dln.units)
    l1 = np.abs(to_units(result.betas, problem.params, args.units)).sum(axis=1)
    rows = _events(result, problem.feature_names, l1)
    print(_header(problem, result, args.units, l1[-1]))
    print()
    print(_table(result, rows))
    try:
        if args.csv:
            _write_csv(args.csv, rows, problem, args.units)
            print(f"\nactivation table written to {args.csv}")
        if args.plot:
            _plot_timeline(args.plot, result, problem)
            print(f"timeline figure written to {args.plot}")
    except OSError as exc:
        return _fail("dln path", f"cannot write the output: {exc}", 1)
    return 0


def _events(result, feature_names, l1) -> list[dict]:
    """One row per feature that enters or leaves at each jump, in jump order, with the l1
    norm ``l1[k]`` of its saddle."""
    rows = []
    for k in range(1, result.n_saddles + 1):
        changes = [(int(j), "enters", result.betas[k, j]) for j in result.activated[k]]
        changes += [(int(j), "leaves", result.betas[k - 1, j]) for j in result.deactivated[k]]
        for j, event, value in changes:
            rows.append(
                {
                    "saddle": k,
                    "time": float(result.times[k]),
                    "feature": feature_names[j],
                    "event": event,
                    "sign": "+" if value > 0 else "-",
                    "loss": float(result.losses[k]),
                    "l1_norm": float(l1[k]),
                }
            )
    return rows


def _header(problem, result, units: str, l1_end: float) -> str:
    from dln.units import units_sentence

    p = problem.params
    lines = [
        f"{p.get('file_name', problem.name)}: {problem.n_samples} samples, "
        f"{problem.n_features} features, target {problem.target_name!r}; "
        f"{units_sentence(p, units)}",
    ]
    dropped = p.get("dropped_lines") or p.get("dropped_rows") or []
    if dropped:
        where = "file lines" if p.get("dropped_lines") else "rows"
        shown = ", ".join(map(str, dropped[:10])) + (", ..." if len(dropped) > 10 else "")
        lines.append(
            f"left out {len(dropped)} row{'s' if len(dropped) > 1 else ''} with a missing "
            f"value ({where} {shown}; --missing drop_rows)"
        )
    if p.get("constant_features"):
        lines.append(
            "constant columns (zero once centred, never active): "
            + ", ".join(p["constant_features"])
        )
    ever = int((result.betas != 0).any(axis=0).sum())
    lines.append(
        f"Algorithm 1: {result.n_saddles} jumps, {ever} features ever active; times are "
        f"accelerated times t of the alpha -> 0 limit; last saddle: loss "
        f"{result.losses[-1]:.4g}, l1 norm {l1_end:.4g}"
    )
    return "\n".join(lines)


def _table(result, rows) -> str:
    head = ("saddle k", "time t_k", "feature", "event", "sign", "loss", "l1 norm of beta_k")
    body = [("0", "0", "", "start (beta = 0)", "", f"{result.losses[0]:.6g}", "0")]
    for r in rows:
        body.append(
            (
                str(r["saddle"]),
                f"{r['time']:.6g}",
                r["feature"],
                r["event"],
                r["sign"],
                f"{r['loss']:.6g}",
                f"{r['l1_norm']:.6g}",
            )
        )
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    left = {2, 3}  # text columns

    def fmt(cells):
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *map(fmt, body)])


def _write_csv(path: str, rows: list[dict], problem, units: str) -> None:
    """The activation table, each row naming the data file, the target and the units."""
    import csv

    from dln.units import source as source_of

    source = source_of(problem.params, problem.target_name, units)
    fields = (*source, "saddle", "time", "feature", "event", "sign", "loss", "l1_norm")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    **source,
                    **r,
                    "time": repr(r["time"]),
                    "loss": repr(r["loss"]),
                    "l1_norm": repr(r["l1_norm"]),
                }
            )


def _plot_timeline(path: str, result, problem) -> None:
    """Support over time: a row per feature ever active, in order of entry, bars by sign."""
    import numpy as np
    from matplotlib.figure import Figure  # the Agg canvas, no pyplot and no GUI backend
    from matplotlib.patches import Patch

    times, betas = result.times, result.betas
    p = result.n_saddles
    ever = np.flatnonzero(np.any(betas != 0, axis=0))
    first = np.argmax(betas[:, ever] != 0, axis=0)  # the saddle where each one enters
    order = [int(j) for j in ever[np.argsort(first, kind="stable")]]
    t_end = times[-1] * 5.0 if p else 1.0
    t_start = times[1] / 3.0 if p else 0.1
    shown, rest = order[:MAX_LABELLED], order[MAX_LABELLED:]
    n_rows = len(shown) + (1 if rest else 0)
    height = min(MAX_HEIGHT, 1.6 + ROW_HEIGHT * max(n_rows, 1))
    fig = Figure(figsize=(7.0, height), layout="constrained")
    ax = fig.add_subplot()
    signs = np.sign(betas)
    rows = [(row, j, 1.0) for row, j in enumerate(shown)]
    # the later features share one last row, faint: darker where more of them are active
    rows += [(len(shown), j, min(0.6, 3.0 / len(rest))) for j in rest]
    for row, j, opacity in rows:
        k = 1
        while k <= p:  # one bar per run of saddles with the same sign
            if signs[k, j] == 0:
                k += 1
                continue
            end = k
            while end < p and signs[end + 1, j] == signs[k, j]:
                end += 1
            right = times[end + 1] if end < p else t_end
            ax.broken_barh(
                [(times[k], right - times[k])],
                (row - 0.35, 0.7),
                color=_SIGN_COLORS[int(signs[k, j])],
                alpha=opacity,
                edgecolor="none",
            )
            k = end + 1
    if p <= MAX_JUMP_LINES:
        for tk in times[1:]:
            ax.axvline(tk, color="0.6", lw=0.5, linestyle=":", zorder=0)
    ax.set_xscale("log")  # jump times span decades
    ax.set_xlim(t_start, t_end)
    ax.set_ylim(max(n_rows, 1) - 0.5, -0.5)
    labels = [problem.feature_names[j] for j in shown]
    if rest:
        labels.append(f"{len(rest)} more")
    ax.set_yticks(range(len(labels)), labels)
    ax.tick_params(axis="y", labelsize="small" if len(labels) > 8 else "medium")
    ax.set_xlabel("accelerated time t (alpha -> 0 limit), log scale")
    ax.set_ylabel("feature, in order of entry")
    ax.set_title(
        f"{problem.params.get('file_name', problem.name)}, target {problem.target_name!r}:\n"
        f"{p} jumps, {len(order)} of {problem.n_features} features ever active",
        fontsize="medium",
        loc="left",
    )
    ax.legend(
        handles=[
            Patch(color=_SIGN_COLORS[1], label=r"$\beta_i > 0$"),
            Patch(color=_SIGN_COLORS[-1], label=r"$\beta_i < 0$"),
        ],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        fontsize="x-small",
        frameon=False,
    )
    fig.savefig(path, dpi=150)
