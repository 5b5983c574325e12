"""The pipeline's configuration logic, as plain Python that tests call without Snakemake.

* :mod:`dln.pipeline.plan`: :func:`~dln.pipeline.plan.resolve` turns a schema-validated
  configuration into an immutable :class:`~dln.pipeline.plan.Plan` (problems, alphas and the
  jobs of their sweeps, figures, studies, paths), after every semantic check;
* :mod:`dln.pipeline.figures`: the figure table, one entry per figure, from which the figure
  rules are generated;
* :mod:`dln.pipeline.code`: the hash of the library code a workflow script imports, so that
  editing a module of ``dln`` reruns the jobs that use it.

The Snakefile is the only caller in production; see docs/pipeline.md.
"""
