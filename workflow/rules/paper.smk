# The report's figures: the paper's Figures 1-2, the NeurIPS Figure 1 and the poster's picture,
# the convergence in alpha, and two figures beyond the paper (saddles vs the Lasso path, the
# activation timeline). Every figure has its own rule; each plotting job reads the stores only
# (no recomputation) and writes PNG, PDF and its caption (workflow/report/captions/<name>.rst
# filled with numbers from the stores), which `snakemake --report` shows next to the figure.
#
# Which problem and alphas each figure shows is configured under `report_figures` (a null
# entry skips the figure). Figures may ask for flows at alphas a problem does not list: they
# are computed by simulate_flow like any other (no evaluation, no convergence fit).
#
# Functions and configuration checks: workflow/rules/paper_common.smk.


# ---------------------------------------------------------------------------- the paper
rule plot_figure1_left:
    input:
        unpack(report_problem("figure1_left")),
        template=CAPTIONS / "figure1_left.rst",
    output:
        **report_figure(
            "paper/figure1_left",
            category=CATEGORY_PAPER,
            subcategory="arXiv Figures 1-2",
        ),
    log:
        "logs/plot_figure1_left/plot_figure1_left.log",
    benchmark:
        "benchmarks/plot_figure1_left/plot_figure1_left.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("figure1_left"),
    script:
        "../scripts/plot_paper_panel.py"


rule plot_figure1_right:
    input:
        unpack(report_problem("figure1_right")),
        template=CAPTIONS / "figure1_right.rst",
    output:
        **report_figure(
            "paper/figure1_right",
            category=CATEGORY_PAPER,
            subcategory="arXiv Figures 1-2",
        ),
    log:
        "logs/plot_figure1_right/plot_figure1_right.log",
    benchmark:
        "benchmarks/plot_figure1_right/plot_figure1_right.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("figure1_right"),
    script:
        "../scripts/plot_paper_panel.py"


rule plot_figure2_left:
    input:
        unpack(report_problem("figure2_left")),
        template=CAPTIONS / "figure2_left.rst",
    output:
        **report_figure(
            "paper/figure2_left",
            category=CATEGORY_PAPER,
            subcategory="arXiv Figures 1-2",
        ),
    log:
        "logs/plot_figure2_left/plot_figure2_left.log",
    benchmark:
        "benchmarks/plot_figure2_left/plot_figure2_left.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("figure2_left"),
    script:
        "../scripts/plot_paper_panel.py"


rule plot_figure2_right:
    input:
        unpack(report_problem("figure2_right")),
        template=CAPTIONS / "figure2_right.rst",
    output:
        **report_figure(
            "paper/figure2_right",
            category=CATEGORY_PAPER,
            subcategory="arXiv Figures 1-2",
        ),
    log:
        "logs/plot_figure2_right/plot_figure2_right.log",
    benchmark:
        "benchmarks/plot_figure2_right/plot_figure2_right.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("figure2_right"),
    script:
        "../scripts/plot_paper_panel.py"


rule plot_neurips_figure1:
    input:
        unpack(report_problem("neurips_figure1")),
        template=CAPTIONS / "neurips_figure1.rst",
    output:
        **report_figure(
            "paper/neurips_figure1",
            category=CATEGORY_PAPER,
            subcategory="NeurIPS Figure 1 and the poster",
        ),
    log:
        "logs/plot_neurips_figure1/plot_neurips_figure1.log",
    benchmark:
        "benchmarks/plot_neurips_figure1/plot_neurips_figure1.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("neurips_figure1"),
    script:
        "../scripts/plot_neurips_figure1.py"


rule plot_poster_staircase:
    input:
        unpack(report_problem("poster")),
        template=CAPTIONS / "poster_staircase.rst",
    output:
        **report_figure(
            "paper/poster_staircase",
            category=CATEGORY_PAPER,
            subcategory="NeurIPS Figure 1 and the poster",
        ),
    log:
        "logs/plot_poster_staircase/plot_poster_staircase.log",
    benchmark:
        "benchmarks/plot_poster_staircase/plot_poster_staircase.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("poster"),
    script:
        "../scripts/plot_poster_staircase.py"


# ---------------------------------------------------------------------------- convergence in alpha
rule plot_jump_time_errors:
    input:
        unpack(convergence_inputs),
        template=CAPTIONS / "jump_time_errors.rst",
    output:
        **report_figure(
            "alpha_convergence/jump_time_errors",
            category=CATEGORY_CONVERGENCE,
            subcategory="rates in log(1/alpha)",
        ),
    log:
        "logs/plot_jump_time_errors/plot_jump_time_errors.log",
    benchmark:
        "benchmarks/plot_jump_time_errors/plot_jump_time_errors.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_jump_time_errors.py"


rule plot_distance_metrics:
    input:
        unpack(convergence_inputs),
        template=CAPTIONS / "distance_metrics.rst",
    output:
        **report_figure(
            "alpha_convergence/distance_metrics",
            category=CATEGORY_CONVERGENCE,
            subcategory="rates in log(1/alpha)",
        ),
    log:
        "logs/plot_distance_metrics/plot_distance_metrics.log",
    benchmark:
        "benchmarks/plot_distance_metrics/plot_distance_metrics.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
    script:
        "../scripts/plot_distance_metrics.py"


rule plot_convergence_coordinates:
    input:
        unpack(report_problem("convergence_coordinates")),
        template=CAPTIONS / "convergence_coordinates.rst",
    output:
        **report_figure(
            "alpha_convergence/coordinates",
            category=CATEGORY_CONVERGENCE,
            subcategory="the flow approaching the limit",
        ),
    log:
        "logs/plot_convergence_coordinates/plot_convergence_coordinates.log",
    benchmark:
        "benchmarks/plot_convergence_coordinates/plot_convergence_coordinates.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("convergence_coordinates"),
    script:
        "../scripts/plot_convergence_coordinates.py"


# ---------------------------------------------------------------------------- beyond the paper
rule write_lasso_path:
    input:
        problem="results/problems/{problem}.zarr",
        saddles="results/saddles/{problem}.zarr",
    output:
        lasso=directory("results/lasso/{problem}.zarr"),
    log:
        "logs/write_lasso_path/{problem}.log",
    benchmark:
        "benchmarks/write_lasso_path/{problem}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        lasso=lasso_params,
    script:
        "../scripts/write_lasso_path.py"


rule plot_lasso_comparison:
    input:
        unpack(lasso_inputs),
        template=CAPTIONS / "lasso_vs_saddles.rst",
    output:
        **report_figure(
            "beyond/lasso_vs_saddles",
            category=CATEGORY_BEYOND,
            subcategory="saddles and the Lasso path",
        ),
    log:
        "logs/plot_lasso_comparison/plot_lasso_comparison.log",
    benchmark:
        "benchmarks/plot_lasso_comparison/plot_lasso_comparison.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        setup=report_params("lasso"),
    script:
        "../scripts/plot_lasso_comparison.py"


rule plot_activation_timeline:
    input:
        problems=all_problem_stores,
        saddles=all_saddles_stores,
        template=CAPTIONS / "activation_timeline.rst",
    output:
        **report_figure(
            "beyond/activation_timeline",
            category=CATEGORY_BEYOND,
            subcategory="support of the limit",
        ),
        table=report(
            "results/tables/activation_timeline.csv",
            caption=report_caption("beyond/activation_timeline"),
            category=CATEGORY_BEYOND,
            subcategory="support of the limit",
        ),
    log:
        "logs/plot_activation_timeline/plot_activation_timeline.log",
    benchmark:
        "benchmarks/plot_activation_timeline/plot_activation_timeline.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=figure_params,
        time_scales=time_scales,
    script:
        "../scripts/plot_activation_timeline.py"
