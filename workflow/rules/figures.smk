rule plot_problems:
    input:
        problems=all_problem_stores,
        saddles=all_saddles_stores,
    output:
        png="results/figures/problems.png",
        pdf="results/figures/problems.pdf",
    log:
        "logs/plot_problems/plot_problems.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=3,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_problems.py"


rule plot_saddles:
    input:
        saddles=all_saddles_stores,
    output:
        png="results/figures/saddles.png",
        pdf="results/figures/saddles.pdf",
    log:
        "logs/plot_saddles/plot_saddles.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=3,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_saddles.py"


rule plot_flow:
    input:
        saddles="results/saddles/{problem}.zarr",
        flows=plotted_flows,
    output:
        png="results/figures/flow/{problem}.png",
        pdf="results/figures/flow/{problem}.pdf",
    log:
        "logs/plot_flow/{problem}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=3,
    params:
        figure=figure_params,
        time_spacing=lookup(dpath="{problem}/time/spacing", within=PROBLEMS),
    script:
        "../scripts/plot_flow.py"


rule plot_evaluation:
    input:
        evaluations=all_evaluation_stores,
    output:
        png="results/figures/evaluation.png",
        pdf="results/figures/evaluation.pdf",
    log:
        "logs/plot_evaluation/plot_evaluation.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=3,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_evaluation.py"


rule plot_convergence:
    input:
        convergence=all_convergence_stores,
    output:
        png="results/figures/convergence.png",
        pdf="results/figures/convergence.pdf",
    log:
        "logs/plot_convergence/plot_convergence.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=800,
        runtime=3,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_convergence.py"
