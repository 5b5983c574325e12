"""The package's public names (lazily imported, PEP 562)."""

import pytest


def test_public_names_resolve():
    import dln

    for name in dln.__all__:
        assert getattr(dln, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dln.nope  # noqa: B018
