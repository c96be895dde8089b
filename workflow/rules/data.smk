# Stage 1: the datasets, fixed across repeats.


rule make_dataset:
    input:
        dataset_sources,
    output:
        DATA,
    log:
        "results/logs/make_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/make_dataset/{dataset}.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=400,  # measured peak RSS < 0.2 GB
        runtime=5,
    params:
        spec=lambda wildcards: config["datasets"][wildcards.dataset],
    script:
        "../scripts/make_dataset.py"
