rule evaluate_flow:
    input:
        saddles="results/saddles/{problem}.zarr",
        flow="results/flow/{problem}/log10_alpha={log10_alpha}.zarr",
    output:
        evaluation=directory(
            "results/evaluate/{problem}/log10_alpha={log10_alpha}.zarr"
        ),
    log:
        "logs/evaluate_flow/{problem}/log10_alpha={log10_alpha}.log",
    benchmark:
        "benchmarks/evaluate_flow/{problem}/log10_alpha={log10_alpha}.tsv"
    group:
        "per_alpha"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=2,
        group_slot=1,
    params:
        evaluate=evaluate_params,
    script:
        "../scripts/evaluate_flow.py"
