# The figure rules, generated from the figure table (dln.pipeline.figures.FIGURES): one rule
# per job of the table, drawing every figure of that job that the configuration asks for
# (the figures of one job read the same stores). Each figure is written as PNG and PDF, and
# report figures also get their caption (workflow/report/captions/<name>.rst filled with
# numbers read from the stores), which `snakemake --report` shows next to the figure.


for figure_job in figure_table.jobs(PLAN):

    rule:
        name:
            figure_job
        input:
            **figure_job_inputs(figure_job),
        output:
            **figure_job_outputs(figure_job),
        log:
            PLAN.paths.log(figure_job, figure_job),
        benchmark:
            PLAN.paths.benchmark(figure_job, figure_job)
        priority: figure_table.priority(figure_job)
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            figures=figure_job_params(figure_job),
            code=figure_job_code(figure_job),
        script:
            "../scripts/plot_figures.py"


# The LARS-Lasso path of a problem on its flows' time grid, for the Lasso comparison figure.
rule write_lasso_path:
    input:
        problem=PLAN.paths.problem,
        saddles=PLAN.paths.saddles,
    output:
        lasso=directory(PLAN.paths.lasso),
    log:
        PLAN.paths.log("write_lasso_path", "{problem}"),
    benchmark:
        PLAN.paths.benchmark("write_lasso_path", "{problem}")
    priority: figure_table.PRIORITY_FEEDS_FIGURES
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        lasso=lasso_params,
        code=code("write_lasso_path"),
    script:
        "../scripts/write_lasso_path.py"
