"""CSV tables of the study rules: exact floats (``repr``), ``inf`` spelled out, empty for None.

Every table names its data: ``source`` (``dln.units.source_columns`` of the problem store)
puts the columns ``data_file``, ``target`` and ``coefficient_units`` first in every row.

Snakemake puts this directory on ``sys.path`` of every script it runs; tests do the same.
"""

import csv
import math
import os
from pathlib import Path


def cell(value) -> str:
    """CSV text of one value: repr-exact floats, ``inf``/``nan`` spelled out, '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return str(value)


def write_csv(path, columns, rows, *, source=None) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) atomically: hidden sibling, then rename.

    ``source`` (a dict of columns) is prepended to every row.
    """
    if source is not None:
        columns = (*source, *columns)
        rows = [{**source, **row} for row in rows]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(partial, "w", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([cell(row[c]) for c in columns])
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
