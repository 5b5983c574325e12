rule fit_convergence:
    input:
        evaluations=problem_evaluations,
    output:
        convergence=directory("results/convergence/{problem}.zarr"),
    log:
        "logs/fit_convergence/{problem}.log",
    benchmark:
        "benchmarks/fit_convergence/{problem}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=2,
    script:
        "../scripts/fit_convergence.py"
