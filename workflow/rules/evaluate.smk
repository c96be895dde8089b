# Stage 3: every snapshot on the test set, then the last-k ensembles.


rule evaluate:
    input:
        data=DATA,
        trained=manifest("train"),
    output:
        manifest=manifest("evaluate"),
    log:
        job_file("logs", "evaluate", "log"),
    benchmark:
        job_file("benchmarks", "evaluate", "tsv")
    priority: priority(evaluate_seconds)
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=400,  # measured peak RSS ~0.13 GB: no TensorFlow (results/benchmarks)
        runtime=minutes(evaluate_seconds),
    params:
        runs=chunk_runs,
        evaluation=metric_settings(),
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        data=DATA,
        evaluated=manifest("evaluate"),
    output:
        manifest=manifest("aggregate"),
    log:
        job_file("logs", "aggregate", "log"),
    benchmark:
        job_file("benchmarks", "aggregate", "tsv")
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=10,
    params:
        runs=chunk_runs,
        evaluation=metric_settings(),
    script:
        "../scripts/aggregate.py"


# The decision-regions figure's table: probabilities over the plane of a 2-D
# dataset for the first seed's run of every method (a TensorFlow job).
rule decision_grid:
    input:
        data=DATA,
        trained=first_seed_manifests,
    output:
        DECISION_GRID,
    log:
        "results/logs/decision_grid/{dataset}.log",
    benchmark:
        "results/benchmarks/decision_grid/{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS ~0.13 GB, like evaluate
        runtime=10,
    params:
        runs=first_seed_runs,
        seed=SEEDS[0],
    script:
        "../scripts/decision_grid.py"
