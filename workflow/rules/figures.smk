# Stage 5: figures, drawn from the tables and the config only, so redrawing
# them never retrains or re-evaluates anything.


rule seed_plot:
    input:
        curves=TABLES["curves"],
    output:
        png=report(
            "results/figures/seed_plot_{dataset}.png",
            category="Figures",
            caption="../report/seed_plot.rst",
        ),
        svg="results/figures/seed_plot_{dataset}.svg",
    log:
        "results/logs/figures/seed_plot_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/seed_plot_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        confidence=config["evaluation"]["confidence"],
    script:
        "../scripts/plot_seed.py"


rule lr_schedules:
    output:
        png=report(
            "results/figures/lr_schedules_{dataset}.png",
            category="Figures",
            caption="../report/lr_schedules.rst",
        ),
        svg="results/figures/lr_schedules_{dataset}.svg",
    log:
        "results/logs/figures/lr_schedules_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/lr_schedules_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        methods=config["methods"],
        epochs=config["training"]["epochs"],
        steps_per_epoch=lambda wildcards: steps_per_epoch(wildcards.dataset),
    script:
        "../scripts/plot_schedules.py"
