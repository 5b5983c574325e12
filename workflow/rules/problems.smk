# One job per problem: the problem store, Algorithm 1 (saddles store with the minimum-l1 LP
# check), and the problem's alpha sweep: one flow store and, for the problem's own alphas, one
# evaluation store per alpha (directories part0). With `flow.alphas_per_job` set, the sweep is
# split: solve_problem then writes empty part0 directories and simulate_flows runs the chunks
# (parts 1, 2, ...), each as its own job (for big problems on a cluster).


rule solve_problem:
    input:
        data=data_file,
    output:
        problem=directory(PLAN.paths.problem),
        saddles=directory(PLAN.paths.saddles),
        flows=directory(PLAN.paths.flow_dir.replace("{part}", "0")),
        evaluations=directory(PLAN.paths.evaluation_dir.replace("{part}", "0")),
    log:
        PLAN.paths.log("solve_problem", "{problem}"),
    benchmark:
        PLAN.paths.benchmark("solve_problem", "{problem}")
    priority: figure_table.PRIORITY_SWEEP
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=sweep_runtime,
    params:
        source=problem_source,
        saddles=saddle_params,
        sweep=sweep_params,
        code=code("solve_problem"),
    script:
        "../scripts/solve_problem.py"


rule simulate_flows:
    input:
        problem=PLAN.paths.problem,
        saddles=PLAN.paths.saddles,
    output:
        flows=directory(PLAN.paths.flow_dir),
        evaluations=directory(PLAN.paths.evaluation_dir),
    log:
        PLAN.paths.log("simulate_flows", "{problem}/part{part}"),
    benchmark:
        PLAN.paths.benchmark("simulate_flows", "{problem}/part{part}")
    wildcard_constraints:
        part="[1-9][0-9]*",
    priority: figure_table.PRIORITY_SWEEP
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=sweep_runtime,
    params:
        sweep=sweep_params,
        code=code("simulate_flows"),
    script:
        "../scripts/simulate_flows.py"
