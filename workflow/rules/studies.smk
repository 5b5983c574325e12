# The practitioner's studies (config key `studies`, dln.studies): how robust the activation
# order is to label noise and to the initialisation, where gradient descent with a finite step
# departs from the flow, and how the saddles compare with the Lasso path and orthogonal matching
# pursuit. Each study reads the store of a configured problem and writes one Zarr store and a
# CSV table; their figures are drawn by the job plot_study_figures of the figure table.


rule run_noise_study:
    input:
        problem=study_problem("label_noise"),
    output:
        study=directory(PLAN.paths.study.format(kind="label_noise")),
        table=PLAN.paths.table.format(stem="label_noise"),
    log:
        PLAN.paths.log("run_noise_study", "run_noise_study"),
    benchmark:
        PLAN.paths.benchmark("run_noise_study", "run_noise_study")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
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
        study=directory(PLAN.paths.study.format(kind="initialisation")),
        table=PLAN.paths.table.format(stem="initialisation"),
    log:
        PLAN.paths.log("run_initialisation_study", "run_initialisation_study"),
    benchmark:
        PLAN.paths.benchmark("run_initialisation_study", "run_initialisation_study")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
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
        study=directory(PLAN.paths.study.format(kind="step_size")),
        table=PLAN.paths.table.format(stem="step_size"),
    log:
        PLAN.paths.log("run_step_size_study", "run_step_size_study"),
    benchmark:
        PLAN.paths.benchmark("run_step_size_study", "run_step_size_study")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
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
        problem=PLAN.paths.problem,
    output:
        study=directory(PLAN.paths.sgd_study),
        table=PLAN.paths.sgd_table,
    log:
        PLAN.paths.log("run_sgd_study", "{problem}"),
    benchmark:
        PLAN.paths.benchmark("run_sgd_study", "{problem}")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
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
        problem=PLAN.paths.problem,
    output:
        study=directory(PLAN.paths.baselines),
        table=PLAN.paths.baselines_table,
        saddle_table=PLAN.paths.saddles_table,
    log:
        PLAN.paths.log("compare_baselines", "{problem}"),
    benchmark:
        PLAN.paths.benchmark("compare_baselines", "{problem}")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        max_saddles=baseline_max_saddles,
        units=PLAN.units,
        code=code("compare_baselines"),
    script:
        "../scripts/compare_baselines.py"
