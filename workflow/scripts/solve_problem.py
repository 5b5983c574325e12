"""Rule solve_problem: build one problem, run Algorithm 1 and the first part of its alpha sweep.

One job per problem: the problem store, the saddles store (Algorithm 1 and the minimum-l1 LP
check) and, unless ``flow.alphas_per_job`` splits the sweep, the flows and evaluations of every
alpha (``alpha`` is the initialisation scale) — one Python start-up for all of it, and the
problem and saddles stores are read once for the whole sweep (``io.read_cache``).
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import find_saddles
    import make_problem
    import simulate_flows


def main(
    *,
    name: str,
    source: dict,
    saddles: dict,
    sweep: dict,
    problem_store: str,
    saddles_store: str,
    flows_dir: str,
    evaluations_dir: str,
    rule: str = "solve_problem",
) -> None:
    from _helpers import job_context

    from dln import io

    with io.read_cache():
        with job_context(rule, problem=name):
            make_problem.main(name=name, source=source, output=problem_store, rule=rule)
            find_saddles.main(problem=problem_store, output=saddles_store, rule=rule, **saddles)
        simulate_flows.main(
            problem=problem_store,
            saddles=saddles_store,
            problem_name=name,
            flows_dir=flows_dir,
            evaluations_dir=evaluations_dir,
            rule=rule,
            **sweep,
        )


if __name__ == "__main__":
    from _helpers import configure_logging

    configure_logging(snakemake.log[0])
    main(
        name=snakemake.wildcards.problem,
        source=snakemake.params.source,
        saddles=snakemake.params.saddles,
        sweep=snakemake.params.sweep,
        problem_store=snakemake.output.problem,
        saddles_store=snakemake.output.saddles,
        flows_dir=snakemake.output.flows,
        evaluations_dir=snakemake.output.evaluations,
        rule=snakemake.rule,
    )
