# Stage 2: seeded training runs, each saving its snapshots as .keras models.
# One job per chunk of execution.runs_per_job seeds; each run keeps its own
# directory, and the job's one declared output is its manifest.


rule train:
    input:
        data=DATA,
    output:
        manifest=manifest("train"),
    log:
        job_file("logs", "train", "log"),
    benchmark:
        job_file("benchmarks", "train", "tsv")
    priority: priority(train_seconds)
    conda:
        "../../environment.yml"
    threads: config["execution"]["train_threads"]
    resources:
        mem_mb=1024,  # measured peak RSS ~0.8 GB (results/benchmarks)
        runtime=minutes(train_seconds),
    params:
        seeds=chunk_seeds,
        runs=chunk_runs,
        run_config=run_config,
    script:
        "../scripts/train.py"
