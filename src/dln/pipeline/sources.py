"""A problem from its configuration entry (``problems.<name>``: preset, generate or data)."""

from __future__ import annotations

from collections.abc import Mapping

# Reading options of a `data:` entry passed on to dln.problems.load_data when set (its own
# defaults apply otherwise); the same keys, at the top level, go with the `data=` shortcut.
READ_OPTIONS = ("drop", "index_col", "categorical", "missing", "sep", "decimal", "na_values")


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
        options = {k: _plain(data[k]) for k in READ_OPTIONS if data.get(k) not in (None, [], ())}
        for key in ("drop", "categorical", "na_values"):  # one column may be given as a string
            if isinstance(options.get(key), str):
                options[key] = [options[key]]
        problem = load_data(
            data["path"],
            target=data.get("target"),
            standardize=data["standardize"],
            name=name,
            **options,
        )
    else:
        raise ValueError(f"problem {name!r}: no preset, generate or data given")
    return dataclasses.replace(problem, name=name)
