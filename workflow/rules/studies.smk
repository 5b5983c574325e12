# The practitioner's studies (config key `studies`, dln.studies): label noise, initialisation,
# finite step size and the baselines (Lasso, OMP). Functions and configuration checks:
# workflow/rules/studies_common.smk.


# ---------------------------------------------------------------------------- studies
rule run_noise_study:
    input:
        problem=study_problem("label_noise"),
    output:
        study=directory("results/studies/label_noise.zarr"),
        table="results/tables/label_noise.csv",
    log:
        "logs/run_noise_study/run_noise_study.log",
    benchmark:
        "benchmarks/run_noise_study/run_noise_study.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        study=study_params("label_noise"),
    script:
        "../scripts/run_noise_study.py"


rule run_initialisation_study:
    input:
        problem=study_problem("initialisation"),
    output:
        study=directory("results/studies/initialisation.zarr"),
        table="results/tables/initialisation.csv",
    log:
        "logs/run_initialisation_study/run_initialisation_study.log",
    benchmark:
        "benchmarks/run_initialisation_study/run_initialisation_study.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        study=study_params("initialisation"),
    script:
        "../scripts/run_initialisation_study.py"


rule run_step_size_study:
    input:
        problem=study_problem("step_size"),
    output:
        study=directory("results/studies/step_size.zarr"),
        table="results/tables/step_size.csv",
    log:
        "logs/run_step_size_study/run_step_size_study.log",
    benchmark:
        "benchmarks/run_step_size_study/run_step_size_study.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        study=study_params("step_size"),
    script:
        "../scripts/run_step_size_study.py"


rule compare_baselines:
    input:
        problem="results/problems/{problem}.zarr",
    output:
        study=directory("results/studies/baselines/{problem}.zarr"),
        table="results/tables/baselines/{problem}.csv",
        saddle_table="results/tables/saddles/{problem}.csv",
    log:
        "logs/compare_baselines/{problem}.log",
    benchmark:
        "benchmarks/compare_baselines/{problem}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        max_saddles=baseline_max_saddles,
    script:
        "../scripts/compare_baselines.py"


# ---------------------------------------------------------------------------- figures
rule plot_noise_study:
    input:
        study="results/studies/label_noise.zarr",
        template=CAPTIONS / "noise_study.rst",
    output:
        **report_figure(
            "studies/label_noise",
            category=CATEGORY_STUDIES,
            subcategory="robustness of the activation order",
        ),
    log:
        "logs/plot_noise_study/plot_noise_study.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_noise_study.py"


rule plot_initialisation_study:
    input:
        study="results/studies/initialisation.zarr",
        template=CAPTIONS / "initialisation_study.rst",
    output:
        **report_figure(
            "studies/initialisation",
            category=CATEGORY_STUDIES,
            subcategory="robustness of the activation order",
        ),
    log:
        "logs/plot_initialisation_study/plot_initialisation_study.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_initialisation_study.py"


rule plot_step_size_study:
    input:
        study="results/studies/step_size.zarr",
        template=CAPTIONS / "step_size_study.rst",
    output:
        **report_figure(
            "studies/step_size",
            category=CATEGORY_STUDIES,
            subcategory="gradient descent versus the flow",
        ),
    log:
        "logs/plot_step_size_study/plot_step_size_study.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_step_size_study.py"


rule plot_baselines:
    input:
        studies=baseline_stores,
        template=CAPTIONS / "baselines.rst",
    output:
        **report_figure(
            "studies/baselines",
            category=CATEGORY_STUDIES,
            subcategory="saddles, Lasso and OMP",
        ),
    log:
        "logs/plot_baselines/plot_baselines.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_baselines.py"
