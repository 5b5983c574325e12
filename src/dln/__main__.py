"""``python -m dln``: the command line (:mod:`dln.cli`)."""

from dln.cli import main

raise SystemExit(main())
