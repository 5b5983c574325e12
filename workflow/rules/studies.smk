# The practitioner's studies (config key `studies`, dln.studies): how robust the activation
# order is to label noise and to the initialisation, where gradient descent with a finite step
# departs from the flow, and how the saddles compare with the Lasso path and orthogonal matching
# pursuit. Each study reads the store of a configured problem and writes one Zarr store and a
# CSV table; their figures are drawn by the job plot_study_figures of the figure table.


rule run_noise_study:
    input:
        problem=study_problem("label_noise"),
    output:
        study=directory(Paths.study.format(kind="label_noise")),
        table=Paths.table.format(stem="label_noise"),
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
        code=code("run_noise_study"),
    script:
        "../scripts/run_noise_study.py"


rule run_initialisation_study:
    input:
        problem=study_problem("initialisation"),
    output:
        study=directory(Paths.study.format(kind="initialisation")),
        table=Paths.table.format(stem="initialisation"),
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
        code=code("run_initialisation_study"),
    script:
        "../scripts/run_initialisation_study.py"


rule run_step_size_study:
    input:
        problem=study_problem("step_size"),
    output:
        study=directory(Paths.study.format(kind="step_size")),
        table=Paths.table.format(stem="step_size"),
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
        code=code("run_step_size_study"),
    script:
        "../scripts/run_step_size_study.py"


rule run_sgd_study:
    input:
        problem=Paths.problem,
    output:
        study=directory(Paths.sgd_study),
        table=Paths.sgd_table,
    log:
        "logs/run_sgd_study/{problem}.log",
    benchmark:
        "benchmarks/run_sgd_study/{problem}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=sgd_runtime,
    params:
        study=sgd_study_params,
        code=code("run_sgd_study"),
    script:
        "../scripts/run_sgd_study.py"


rule compare_baselines:
    input:
        problem=Paths.problem,
    output:
        study=directory(Paths.baselines),
        table=Paths.baselines_table,
        saddle_table=Paths.saddles_table,
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
        code=code("compare_baselines"),
    script:
        "../scripts/compare_baselines.py"
