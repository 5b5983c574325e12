rule simulate_flow:
    input:
        problem="results/problems/{problem}.zarr",
        saddles="results/saddles/{problem}.zarr",
    output:
        flow=directory("results/flow/{problem}/log10_alpha={log10_alpha}.zarr"),
    log:
        "logs/simulate_flow/{problem}/log10_alpha={log10_alpha}.log",
    benchmark:
        "benchmarks/simulate_flow/{problem}/log10_alpha={log10_alpha}.tsv"
    group:
        "per_alpha"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=3,
        group_slot=1,
    params:
        flow=flow_params,
    script:
        "../scripts/simulate_flow.py"
