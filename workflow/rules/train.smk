# Stage 2: seeded training runs, each saving its snapshots as .keras models.
# One job per chunk of execution.runs_per_job seeds of consecutive methods of a
# dataset (as many as execution.train_job_seconds holds: TensorFlow starts once
# for them); each run keeps its own directory, and the job's one declared
# output is its manifest (docs/manifests.md says why).


rule train:
    input:
        data=input_chunk_data,
        code=library_files("train.py"),
    output:
        manifest=STUDY.manifest("train"),
    log:
        log_file("train", TRAIN_JOB),
    benchmark:
        benchmark_file("train", TRAIN_JOB)
    priority: priority_of("train")
    conda:
        "../../environment.yml"
    threads: config["execution"]["train_threads"]
    resources:
        mem_mb=1024,  # measured peak RSS 0.58-0.77 GB, jobs of 1 to 13 methods (docs/benchmarks.md)
        runtime=runtime_of("train"),
    params:
        seeds=param_chunk_seeds,
        run_configs=param_train_run_configs,
    script:
        "../scripts/train.py"
