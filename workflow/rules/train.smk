# Stage 2: seeded training runs, each saving its snapshots as .keras models.
# One job per chunk of execution.runs_per_job seeds; each run keeps its own
# directory, and the job's one declared output is its manifest
# (docs/architecture.md says why).


rule train:
    input:
        data=chunk_data,
        code=code("train.py"),
    output:
        manifest=manifest("train"),
    log:
        log_file("train", CHUNK_JOB),
    benchmark:
        benchmark_file("train", CHUNK_JOB)
    priority: priority(chunk_chain(train_seconds, evaluate_seconds, aggregate_seconds))
    conda:
        "../../environment.yml"
    threads: config["execution"]["train_threads"]
    resources:
        mem_mb=1024,  # measured peak RSS ~0.8 GB (docs/benchmarks.md)
        runtime=minutes(train_seconds),
    params:
        seeds=chunk_seeds,
        run_config=run_config,
    script:
        "../scripts/train.py"
