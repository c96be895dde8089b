# Stage 2: seeded training runs, each saving its snapshots as .keras models.


rule train:
    input:
        data=DATA,
    output:
        snapshots=directory(run_files("snapshots")),
        training=run_files("training.csv"),
        meta=run_files("run.json"),
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
        seeds=run_seeds,
        run_config=run_config,
    script:
        "../scripts/train.py"
