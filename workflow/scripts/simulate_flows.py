"""Rule simulate_flows: one chunk of a problem's alpha sweep, the flows and their evaluations.

Also run by solve_problem for part 0. For every alpha of the chunk (``alpha`` is the
initialisation scale, given by its base-10 exponent) the finite-alpha flow is simulated and
written as one store; the problem's own alphas are also evaluated against the limit process
of Algorithm 1 (one store each). Progress and an estimate of the time left go to the log.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging
    import time
    from pathlib import Path

    import evaluate_flow
    import simulate_flow

    from dln.pipeline.paths import SWEEP_STORE

log = logging.getLogger("dln.workflow.simulate_flows")


def main(
    *,
    problem: str,
    saddles: str,
    problem_name: str,
    flows_dir: str,
    evaluations_dir: str,
    flow_alphas: list[str],
    evaluate_alphas: list[str],
    flow: dict,
    evaluate: dict,
    rule: str = "simulate_flows",
) -> None:
    from _helpers import job_context

    from dln import io

    Path(flows_dir).mkdir(parents=True, exist_ok=True)
    Path(evaluations_dir).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with io.read_cache():  # the problem and saddles stores are read once per chunk
        for i, alpha in enumerate(flow_alphas):
            flow_store = str(Path(flows_dir) / SWEEP_STORE.format(log10_alpha=alpha))
            with job_context(rule, problem=problem_name, log10_alpha=alpha):
                simulate_flow.main(
                    problem=problem,
                    saddles=saddles,
                    output=flow_store,
                    log10_alpha=alpha,
                    rule=rule,
                    **flow,
                )
                if alpha in evaluate_alphas:
                    evaluate_flow.main(
                        saddles=saddles,
                        flow=flow_store,
                        output=str(Path(evaluations_dir) / SWEEP_STORE.format(log10_alpha=alpha)),
                        rule=rule,
                        **evaluate,
                    )
            elapsed = time.perf_counter() - start
            left = elapsed / (i + 1) * (len(flow_alphas) - i - 1)
            log.info(
                "alpha %d/%d (1e%s) done, %.1f s elapsed, about %.1f s left",
                i + 1,
                len(flow_alphas),
                alpha,
                elapsed,
                left,
            )


if __name__ == "__main__":
    from _helpers import configure_logging

    configure_logging(snakemake.log[0])
    main(
        problem=snakemake.input.problem,
        saddles=snakemake.input.saddles,
        problem_name=snakemake.wildcards.problem,
        flows_dir=snakemake.output.flows,
        evaluations_dir=snakemake.output.evaluations,
        rule=snakemake.rule,
        **snakemake.params.sweep,
    )
