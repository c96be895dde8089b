# Stage 3: every snapshot on the test set, then the last-k ensembles.


rule evaluate:
    input:
        data="results/data/{dataset}.npz",
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
        ece_bins=config["evaluation"]["ece_bins"],
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        data="results/data/{dataset}.npz",
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
        ece_bins=config["evaluation"]["ece_bins"],
    script:
        "../scripts/aggregate.py"
