"""A problem from its configuration entry (``problems.<name>``: preset, generate or data)."""

from __future__ import annotations

from collections.abc import Mapping

# Reading options of a `data:` entry passed on to dln.problems.load_data when set (its own
# defaults apply otherwise); the same keys, at the top level, go with the `data=` shortcut.
READ_OPTIONS = ("drop", "index_col", "categorical", "missing", "sep", "decimal", "na_values")


def read_options(entry: Mapping) -> dict:
    """The reading options set in ``entry`` (a ``data:`` entry, or the configuration's top
    level with the ``data=`` shortcut), as keyword arguments of ``load_data``: unset ones
    (null, empty, the default ``missing: error``) are left to its defaults, and one column
    given as a string (``drop=id`` on the command line) becomes a list."""
    options = {}
    for key in READ_OPTIONS:
        value = _plain(entry.get(key))
        if value is None or value == [] or value == "error":
            continue
        if key in ("drop", "categorical", "na_values") and isinstance(value, str):
            value = [value]
        options[key] = value
    return options


def _plain(obj):
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def build_problem(name: str, source: Mapping):
    """The :class:`dln.problems.Problem` of one ``problems.<name>`` entry's source."""
    import dataclasses

    from dln.problems import load_data, make_preset, make_problem

    if source.get("preset") is not None:
        seed = source.get("seed")
        problem = make_preset(source["preset"], **({} if seed is None else {"seed": seed}))
    elif source.get("generate") is not None:
        kwargs = {k: v for k, v in _plain(source["generate"]).items() if v is not None}
        if isinstance(kwargs.get("amplitude"), list):
            kwargs["amplitude"] = tuple(kwargs["amplitude"])
        problem = make_problem(name=name, **kwargs)
    elif source.get("data") is not None:
        data = source["data"]
        problem = load_data(
            data["path"],
            target=data.get("target"),
            standardize=data["standardize"],
            name=name,
            **read_options(data),
        )
    else:
        raise ValueError(f"problem {name!r}: no preset, generate or data given")
    return dataclasses.replace(problem, name=name)
