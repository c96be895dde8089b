# Stage 3: every snapshot on the test set, then the last-k ensembles.


rule evaluate:
    input:
        data=DATA,
        snapshots=run_files("snapshots"),
        meta=run_files("run.json"),
    output:
        members=run_files("members.csv"),
        probabilities=run_files("probabilities.npz"),
        averaged=run_files("averaged.csv"),
    log:
        job_file("logs", "evaluate", "log"),
    benchmark:
        job_file("benchmarks", "evaluate", "tsv")
    priority: priority(evaluate_seconds)
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1024,  # measured peak RSS ~0.65 GB (results/benchmarks)
        runtime=minutes(evaluate_seconds),
    params:
        evaluation=metric_settings(),
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        data=DATA,
        probabilities=run_files("probabilities.npz"),
    output:
        ensemble=run_files("ensemble.csv"),
        diversity=run_files("diversity.csv"),
        weighted=run_files("weighted.csv"),
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
        evaluation=metric_settings(),
    script:
        "../scripts/aggregate.py"


# The decision-regions figure's table: probabilities over the plane of a 2-D
# dataset for the first seed's run of every method (a TensorFlow job).
rule decision_grid:
    input:
        data=DATA,
        snapshots=lambda wildcards: [
            f"{d}/snapshots" for d in first_seed_runs(wildcards).values()
        ],
        meta=lambda wildcards: [
            f"{d}/run.json" for d in first_seed_runs(wildcards).values()
        ],
    output:
        DECISION_GRID,
    log:
        "results/logs/decision_grid/{dataset}.log",
    benchmark:
        "results/benchmarks/decision_grid/{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1024,  # a TensorFlow process, like evaluate
        runtime=10,
    params:
        runs=first_seed_runs,
        seed=SEEDS[0],
    script:
        "../scripts/decision_grid.py"
