rule find_saddles:
    input:
        problem="results/problems/{problem}.zarr",
    output:
        saddles=directory("results/saddles/{problem}.zarr"),
    log:
        "logs/find_saddles/{problem}.log",
    benchmark:
        "benchmarks/find_saddles/{problem}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        saddles=saddle_params,
    script:
        "../scripts/find_saddles.py"
