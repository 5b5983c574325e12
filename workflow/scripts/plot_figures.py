"""The figure rules of the figure table (dln.pipeline.figures): draw every figure of one job.

Each figure is drawn by the ``main(...)`` of its own script in this directory, called with
the keyword arguments the plan resolved (store paths, outputs, parameters) and its caption
template; one Python start-up serves all the figures of the job. Each store is read once
(``io.read_cache``: figures of one job read the same problem, saddles and flow stores) and each
math-text label parsed once (``_helpers.shared_mathtext_cache``). A caption then gets a last
paragraph that says where the data of its problems come from, their target and the units of
the coefficients (``_captions.append_source``), written here once for every figure.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import importlib
    import logging
    import time

log = logging.getLogger("dln.workflow.plot_figures")


def main(*, figures: list[dict], templates: dict[str, str], rule: str = "plot_figures") -> None:
    from _captions import append_source
    from _helpers import job_context, shared_mathtext_cache

    from dln import io

    with io.read_cache(), shared_mathtext_cache():
        for fig in figures:
            kwargs = dict(fig["kwargs"])
            if fig["template"] is not None:
                kwargs["template"] = templates[fig["template"]]
            start = time.perf_counter()
            with job_context(rule, figure=fig["name"]):
                with imports_without_gc():
                    script = importlib.import_module(fig["script"])
                script.main(**kwargs)
                if fig["template"] is not None:
                    append_source(kwargs["caption"], fig["problems"], units=fig["units"])
            log.info("%s (%s): %.2f s", fig["name"], fig["script"], time.perf_counter() - start)


if __name__ == "__main__":
    from _helpers import configure_logging

    configure_logging(snakemake.log[0])
    figures = snakemake.params.figures
    main(
        rule=snakemake.rule,
        figures=figures,
        templates={
            f["template"]: getattr(snakemake.input, f["template"])
            for f in figures
            if f["template"] is not None
        },
    )
