# Stage 3: every snapshot on the test set, then the last-k ensembles.


rule evaluate:
    input:
        data=chunk_data,
        trained=manifest("train"),
        code=code("evaluate.py"),
    output:
        manifest=manifest("evaluate"),
    log:
        log_file("evaluate", CHUNK_JOB),
    benchmark:
        benchmark_file("evaluate", CHUNK_JOB)
    priority: priority(chunk_chain(evaluate_seconds, aggregate_seconds))
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=400,  # measured peak RSS ~0.13 GB: no TensorFlow (docs/benchmarks.md)
        runtime=minutes(evaluate_seconds),
    params:
        seeds=chunk_seeds,
        evaluation=metric_settings(),
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        data=chunk_data,
        evaluated=manifest("evaluate"),
        code=code("aggregate.py"),
    output:
        manifest=manifest("aggregate"),
    log:
        log_file("aggregate", CHUNK_JOB),
    benchmark:
        benchmark_file("aggregate", CHUNK_JOB)
    priority: priority(aggregate_seconds)
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=minutes(aggregate_seconds),
    params:
        seeds=chunk_seeds,
        evaluation=metric_settings(),
    script:
        "../scripts/aggregate.py"


# The decision-regions figure's table: probabilities over the plane of a 2-D
# dataset for the first seed's run of every method (read from the snapshots
# in NumPy, like evaluate).
rule decision_grid:
    input:
        data=first_seed_data,
        trained=first_seed_manifests,
        code=code("decision_grid.py"),
    output:
        LAYOUT.decision_grid,
    log:
        log_file("decision_grid", "{dataset}"),
    benchmark:
        benchmark_file("decision_grid", "{dataset}")
    conda:
        "../../environment.yml"
    resources:
        mem_mb=cost.grid_mb(len(METHODS)),
        runtime=10,
    params:
        methods=lambda wildcards: DATASET_METHODS[wildcards.dataset],
        seed=SEEDS[0],
    script:
        "../scripts/decision_grid.py"
