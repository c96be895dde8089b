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


rule learning_curves:
    input:
        learning=TABLES["learning"],
    output:
        png=report(
            "results/figures/learning_curves_{dataset}.png",
            category="Figures",
            caption="../report/learning_curves.rst",
        ),
        svg="results/figures/learning_curves_{dataset}.svg",
    log:
        "results/logs/figures/learning_curves_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/learning_curves_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    script:
        "../scripts/plot_learning_curves.py"


rule paired_differences:
    input:
        runs=TABLES["runs"],
    output:
        png=report(
            "results/figures/paired_differences_{dataset}.png",
            category="Figures",
            caption="../report/paired_differences.rst",
        ),
        svg="results/figures/paired_differences_{dataset}.svg",
    log:
        "results/logs/figures/paired_differences_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/paired_differences_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        confidence=config["evaluation"]["confidence"],
    script:
        "../scripts/plot_paired_differences.py"


rule diversity:
    input:
        diversity=TABLES["diversity"],
    output:
        png=report(
            "results/figures/diversity_{dataset}.png",
            category="Figures",
            caption="../report/diversity.rst",
        ),
        svg="results/figures/diversity_{dataset}.svg",
    log:
        "results/logs/figures/diversity_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/diversity_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    script:
        "../scripts/plot_diversity.py"


rule methods:
    input:
        summary=TABLES["summary"],
    output:
        png=report(
            "results/figures/methods_{dataset}.png",
            category="Figures",
            caption="../report/methods.rst",
        ),
        svg="results/figures/methods_{dataset}.svg",
    log:
        "results/logs/figures/methods_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/methods_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        confidence=config["evaluation"]["confidence"],
    script:
        "../scripts/plot_methods.py"


rule deep_ensemble_equivalent:
    input:
        dee=TABLES["dee"],
    output:
        png=report(
            "results/figures/deep_ensemble_equivalent_{dataset}.png",
            category="Figures",
            caption="../report/deep_ensemble_equivalent.rst",
        ),
        svg="results/figures/deep_ensemble_equivalent_{dataset}.svg",
    log:
        "results/logs/figures/deep_ensemble_equivalent_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/deep_ensemble_equivalent_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    script:
        "../scripts/plot_dee.py"


rule decision_regions:
    input:
        data="results/data/{dataset}.npz",
        snapshots=lambda wildcards: [
            f"{d}/snapshots" for d in first_seed_runs(wildcards).values()
        ],
        meta=lambda wildcards: [
            f"{d}/run.json" for d in first_seed_runs(wildcards).values()
        ],
    output:
        png=report(
            "results/figures/decision_regions_{dataset}.png",
            category="Figures",
            caption="../report/decision_regions.rst",
        ),
        svg="results/figures/decision_regions_{dataset}.svg",
    log:
        "results/logs/figures/decision_regions_{dataset}.log",
    benchmark:
        "results/benchmarks/figures/decision_regions_{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1024,  # a TensorFlow process, like evaluate
        runtime=10,
    params:
        runs=first_seed_runs,
        seed=SEEDS[0],
    script:
        "../scripts/plot_decision_regions.py"
