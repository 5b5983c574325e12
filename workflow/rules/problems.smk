rule make_problem:
    input:
        data=data_file,
    output:
        problem=directory("results/problems/{problem}.zarr"),
    log:
        "logs/make_problem/{problem}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=600,
        runtime=2,
    params:
        source=problem_source,
    script:
        "../scripts/make_problem.py"
