# The convergence in alpha of each problem with at least convergence.min_alphas alphas:
# log-log fits of the flow-versus-limit errors against log(1/alpha).


rule fit_convergence:
    input:
        evaluations=problem_evaluations,
    output:
        convergence=directory(PLAN.paths.convergence),
    log:
        PLAN.paths.log("fit_convergence", "{problem}"),
    benchmark:
        PLAN.paths.benchmark("fit_convergence", "{problem}")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=2,
    params:
        convergence=convergence_params,
        code=code("fit_convergence"),
    script:
        "../scripts/fit_convergence.py"
