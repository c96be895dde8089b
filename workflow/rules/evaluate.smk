# Stage 3: every snapshot on the test set, then the last-k ensembles.


rule evaluate:
    input:
        data=input_chunk_data,
        trained=input_train_manifest,
        code=library_files("evaluate.py"),
    output:
        manifest=STUDY.manifest("evaluate"),
    log:
        log_file("evaluate", CHUNK_JOB),
    benchmark:
        benchmark_file("evaluate", CHUNK_JOB)
    priority: priority_of("evaluate")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=400,  # measured peak RSS ~0.13 GB: no TensorFlow (docs/benchmarks.md)
        runtime=runtime_of("evaluate"),
    params:
        seeds=param_chunk_seeds,
        evaluation=STUDY.metric_settings(),
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        data=input_chunk_data,
        evaluated=STUDY.manifest("evaluate"),
        code=library_files("aggregate.py"),
    output:
        manifest=STUDY.manifest("aggregate"),
    log:
        log_file("aggregate", CHUNK_JOB),
    benchmark:
        benchmark_file("aggregate", CHUNK_JOB)
    priority: priority_of("aggregate")
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=runtime_of("aggregate"),
    params:
        seeds=param_chunk_seeds,
        evaluation=STUDY.metric_settings(),
    script:
        "../scripts/aggregate.py"


# The decision-regions figure's table: probabilities over the plane of a 2-D
# dataset for the first seed's run of every method (read from the snapshots
# in NumPy, like evaluate).
rule decision_grid:
    input:
        data=input_first_seed_data,
        trained=input_first_seed_manifests,
        code=library_files("decision_grid.py"),
    output:
        LAYOUT.decision_grid,
    log:
        log_file("decision_grid", "{dataset}"),
    benchmark:
        benchmark_file("decision_grid", "{dataset}")
    conda:
        "../../environment.yml"
    resources:
        mem_mb=STUDY.grid_mb,
        runtime=10,
    params:
        trained_by=param_first_seed_trained,
        seed=STUDY.seeds[0],
    script:
        "../scripts/decision_grid.py"
